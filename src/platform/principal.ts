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
