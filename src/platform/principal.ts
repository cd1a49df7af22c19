/**
 * Who is calling, as established by authentication. Services authorise every object against
 * it; nothing else about the request reaches a service.
 */
export interface Principal {
  readonly userId: number;
  readonly username: string;
  readonly role: string;
  /** Access scope "All passwords": sees and manages every object. */
  readonly isSuperAdmin: boolean;
  readonly isApiUser: boolean;
  /**
   * Set when an application authenticated with its client certificate (ADR 014): the
   * principal is the user it inherits, limited to the application's allowed operations.
   */
  readonly application?: { readonly name: string; readonly operations: readonly string[] };
}

/** Where a call came from, recorded in the audit trail. */
export interface CallOrigin {
  readonly clientIp: string;
  /** 'REST API', 'CLI', 'Web Client', 'System', or `A2A <application>` ({@link a2aClientLabel}) */
  readonly client: string;
}

/** The client label of an application's calls in the audit trail (ADR 014). */
export function a2aClientLabel(applicationName: string): string {
  return `A2A ${applicationName}`;
}

export interface Caller extends CallOrigin {
  readonly principal: Principal;
}
