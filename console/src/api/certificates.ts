import { request, requestFile, type DownloadedFile } from './http';

export interface Certificate {
  readonly id: number;
  readonly commonName: string;
  readonly issuerCommonName: string;
  readonly serial: string;
  readonly sans: { readonly dns: readonly string[]; readonly ip: readonly string[] };
  readonly sha256: string;
  readonly keyAlgorithm: string;
  readonly keyBits: number;
  readonly curve: string | null;
  readonly signatureAlgorithm: string;
  readonly notBefore: number;
  readonly notAfter: number;
  /** Whole days left now; negative once expired. */
  readonly daysLeft: number;
  readonly source: string;
  readonly hasPrivateKey: boolean;
}

export interface CertificateDetails extends Certificate {
  readonly subject: string;
  readonly issuer: string;
  readonly sha1: string;
  readonly selfSigned: boolean;
  readonly isCa: boolean;
  readonly issuerId: number | null;
  readonly hasPassphrase: boolean;
  readonly addedBy: string;
  readonly addedAt: number;
  readonly pem: string;
  readonly foundOn: readonly {
    readonly host: string;
    readonly port: number;
    readonly servername: string;
    readonly firstSeen: number;
    readonly lastSeen: number;
  }[];
}

export interface NewCertificate {
  /** `pem`: the file's text; `der` and `keystore`: its bytes in base64. */
  readonly format: 'pem' | 'der' | 'keystore';
  readonly certificate: string;
  readonly password?: string;
  readonly privateKey?: string;
  readonly passphrase?: string;
}

export interface CertificateRequestFields {
  readonly commonName: string;
  readonly altNames: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly locality?: string;
  readonly state?: string;
  readonly country?: string;
  readonly keyAlgorithm: 'RSA-2048' | 'RSA-4096' | 'EC-P256' | 'EC-P384';
  readonly signatureHash: 'SHA-256' | 'SHA-384' | 'SHA-512';
  readonly validity: number;
  readonly validityType: 'days' | 'hours' | 'minutes';
  readonly password?: string;
}

export interface CertificateRequest {
  readonly id: number;
  readonly commonName: string;
  readonly subject: string;
  readonly sans: { readonly dns: readonly string[]; readonly ip: readonly string[] };
  readonly keyAlgorithm: string;
  readonly keyBits: number;
  readonly signatureAlgorithm: string;
  readonly validity: number;
  readonly validityType: string;
  readonly hasPassword: boolean;
  readonly csrPem: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly certificateId: number | null;
  readonly signedAt: number | null;
}

export interface HostDiscovery {
  readonly host: string;
  readonly port: number;
  readonly status: 'SUCCESS' | 'FAILURE';
  readonly message: string;
  readonly added: number;
  readonly known: number;
}

/** What a finished range discovery stored: counts and each host's outcome. */
export interface RangeDiscoveryResult {
  readonly total: number;
  readonly found: number;
  readonly failed: number;
  readonly added: number;
  readonly details: Readonly<Record<string, readonly [string, string]>>;
}

/** The addresses of the downloads (GET, same origin: the session cookie goes with them). */
export const certificateFileHref = (id: number) => `/api/v1/certificates/${id}/file`;
export const INTERNAL_CA_HREF = '/api/v1/certificates/internal-ca';

export const certificatesApi = {
  certificates(
    query: { search: string; expiringWithinDays?: number | undefined; offset: number; limit: number },
    signal?: AbortSignal,
  ): Promise<{ items: readonly Certificate[]; total: number }> {
    const params = new URLSearchParams({ offset: String(query.offset), limit: String(query.limit) });
    if (query.search.trim() !== '') params.set('search', query.search.trim());
    if (query.expiringWithinDays !== undefined)
      params.set('expiringWithinDays', String(query.expiringWithinDays));
    return request('GET', `/certificates?${params.toString()}`, { signal });
  },
  certificate(id: number, signal?: AbortSignal): Promise<CertificateDetails> {
    return request('GET', `/certificates/${id}`, { signal });
  },
  addCertificate(
    input: NewCertificate,
  ): Promise<{ certificate: Certificate; chain: readonly Certificate[] }> {
    return request('POST', '/certificates', { body: input });
  },
  /** The certificate with its private key and chain; the key leaves through the release gate (audited). */
  exportKeystore(
    id: number,
    input: { format: 'PKCS12' | 'JKS'; password?: string },
  ): Promise<DownloadedFile> {
    return requestFile(`/certificates/${id}/keystore`, input, 'certificate.p12');
  },
  deleteCertificate(id: number): Promise<unknown> {
    return request('DELETE', `/certificates/${id}`);
  },
  /** One page of the unsigned CSRs (newest first) and how many there are. */
  certificateRequests(
    query: { offset: number; limit: number },
    signal?: AbortSignal,
  ): Promise<{ items: readonly CertificateRequest[]; total: number }> {
    const params = new URLSearchParams({
      unsigned: 'true',
      offset: String(query.offset),
      limit: String(query.limit),
    });
    return request('GET', `/certificate-requests?${params.toString()}`, { signal });
  },
  createCertificateRequest(fields: CertificateRequestFields): Promise<CertificateRequest> {
    return request('POST', '/certificate-requests', { body: fields });
  },
  signCertificateRequest(id: number): Promise<{ request: CertificateRequest; certificate: Certificate }> {
    return request('POST', `/certificate-requests/${id}/sign`);
  },
  issueCertificate(fields: CertificateRequestFields): Promise<{ certificate: Certificate }> {
    return request('POST', '/certificates/issue', { body: fields });
  },
  discoverHost(input: { host: string; port: number; timeoutSeconds: number }): Promise<HostDiscovery> {
    return request('POST', '/certificate-discovery/host', { body: input });
  },
  discoverRange(input: {
    start: string;
    end: string;
    ports: string;
    timeoutSeconds: number;
  }): Promise<{ jobId: number; total: number }> {
    return request('POST', '/certificate-discovery/range', { body: input });
  },
};
