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
  /** 'REST API', 'CLI', 'Web Client', 'System' */
  readonly client: string;
}

export interface Caller extends CallOrigin {
  readonly principal: Principal;
}
