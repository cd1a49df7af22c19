/** What a registered application may do (ADR 014). */
export const A2A_OPERATIONS = ['RETRIEVE', 'RESET_LOCAL', 'RESET_REMOTE', 'CREATE'] as const;
export type A2AOperation = (typeof A2A_OPERATIONS)[number];

export const RESOURCE_TYPES = ['Linux', 'Windows'] as const;
export type ApplicationResourceType = (typeof RESOURCE_TYPES)[number];

export interface ApplicationDraft {
  readonly name: string;
  readonly host: string;
  readonly resourceType: string;
  readonly operations: readonly string[];
  readonly inheritUser: string;
}

export interface TrustedCertificate {
  readonly fingerprint: string;
  readonly subject: string;
  readonly serial: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly importedAt: number;
}

export interface Application {
  readonly id: number;
  readonly name: string;
  readonly host: string;
  readonly resourceType: ApplicationResourceType;
  readonly operations: readonly A2AOperation[];
  readonly userId: number;
  readonly username: string;
  readonly createdAt: number;
  readonly certificates: readonly TrustedCertificate[];
}

/** An application named by the CLI, or by its id over REST. */
export type ApplicationRef = { readonly id: number } | { readonly name: string };

/** What changing an application needs to know: who it is and whose powers it carries. */
export interface ApplicationHeader {
  readonly id: number;
  readonly name: string;
  readonly inheritUser: { readonly name: string; readonly isSuperAdmin: boolean };
}

/** An application as identified by one of its certificates, with its inherited user. */
export interface CertificateOwner {
  readonly applicationName: string;
  readonly host: string;
  readonly operations: readonly A2AOperation[];
  readonly notBefore: number;
  readonly notAfter: number;
  readonly userId: number;
  readonly username: string;
  readonly role: string;
  readonly isSuperAdmin: boolean;
  readonly isApiUser: boolean;
  readonly locked: boolean;
}

export function applicationNameKey(name: string): string {
  return name.trim().toLowerCase();
}

export function parseOperations(stored: string): A2AOperation[] {
  return stored
    .split(',')
    .filter((op): op is A2AOperation => (A2A_OPERATIONS as readonly string[]).includes(op));
}
