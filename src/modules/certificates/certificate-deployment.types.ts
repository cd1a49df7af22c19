import type { CertificateRef } from './certificates.types.js';

/**
 * Where a certificate goes on one server (a saved server of endpoint 64, ADR 041). Paths are
 * absolute on the host; the key (0600) and a PFX (0600) are optional, the chain (0644) is not.
 */
export interface DeploymentConfiguration {
  readonly certificatePath: string;
  readonly keyPath: string | undefined;
  readonly pfxPath: string | undefined;
  /** `user` or `user:group` given to the files; undefined: whoever writes them. */
  readonly owner: string | undefined;
  /** Run with sh on the host after the files are in place (e.g. `systemctl reload nginx`). */
  readonly reloadCommand: string | undefined;
  /** Where the server's served certificate is read afterwards. */
  readonly verifyHost: string;
  readonly verifyPort: number;
  /** SNI name for the check; undefined: the host when it is a name. */
  readonly verifyServername: string | undefined;
}

/** What the request may set of a configuration; absent fields keep the saved ones. */
export type DeploymentConfigurationInput = {
  readonly [K in keyof DeploymentConfiguration]?: DeploymentConfiguration[K] | undefined;
};

export interface DeployRequest {
  readonly selector: CertificateRef;
  /** A resource's name or DNS name; undefined: every saved server of the certificate. */
  readonly serverName: string | undefined;
  readonly configuration: DeploymentConfigurationInput;
}

/** One server's outcome, as `deployStatus` lists it. */
export interface DeployStatus {
  readonly server: string;
  readonly status: 'Success' | 'Failed';
  readonly message: string;
}

export interface DeployOutcome {
  readonly commonName: string;
  readonly statuses: readonly DeployStatus[];
}

/** A saved server of a certificate as its listing shows it (no key material is ever saved). */
export interface SavedServer {
  readonly resourceId: number;
  readonly server: string;
  readonly certificatePath: string;
  readonly keyPath: string | undefined;
  readonly pfxPath: string | undefined;
  readonly owner: string | undefined;
  /** The command itself only to those who may deploy the certificate (full access). */
  readonly reloadCommand: string | undefined;
  readonly hasReloadCommand: boolean;
  readonly verifyHost: string;
  readonly verifyPort: number;
  readonly verifyServername: string | undefined;
  readonly lastStatus: 'Success' | 'Failed' | null;
  readonly lastMessage: string | null;
  readonly lastDeployedAt: number | null;
  readonly lastDeployedBy: string | null;
}

export const DEPLOYMENT_LIMITS = {
  reloadCommand: 2048,
  host: 253,
  /** How long after the reload the served certificate is awaited (re-read every 250 ms). */
  verifyMs: 15_000,
} as const;
