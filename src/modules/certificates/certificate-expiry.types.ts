/** What one run of the expiry check did (the job's stored result; no secret in it). */
export interface ExpiryCheck {
  /** Certificates expiring within the widest threshold (expired ones included). */
  readonly checked: number;
  /** Certificates alerted in this run, with the thresholds recorded for them now. */
  readonly alerted: readonly {
    readonly certificateId: number;
    readonly commonName: string;
    readonly thresholds: readonly number[];
    readonly daysLeft: number;
  }[];
}

/** A certificate the expiry job recorded, as the API and `bulwark certs expiring` show it. */
export interface ExpiringCertificate {
  readonly certificateId: number;
  readonly commonName: string;
  readonly serial: string;
  readonly sha256: string;
  readonly notAfter: number;
  /** Whole days left now (negative: expired that many days ago). */
  readonly daysLeft: number;
  /** The thresholds (days) recorded for it, widest first. */
  readonly thresholds: readonly number[];
  /** When the latest of them was recorded. */
  readonly lastAlertAt: number;
}
