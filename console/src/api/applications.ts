import { request, requestFile, type DownloadedFile } from './http';

export interface TrustedCertificate {
  /** SHA-256 of the DER certificate, lower-case hex. */
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
  readonly resourceType: string;
  readonly operations: readonly string[];
  /** The user whose access the application inherits. */
  readonly inheritUser: string;
  readonly createdAt: number;
  readonly certificates: readonly TrustedCertificate[];
}

export interface Applications {
  readonly items: readonly Application[];
  readonly operations: readonly string[];
  readonly resourceTypes: readonly string[];
}

export interface NewApplication {
  readonly name: string;
  readonly host: string;
  readonly resourceType: string;
  readonly operations: readonly string[];
  readonly inheritUser: string;
}

export const applicationsApi = {
  applications(signal?: AbortSignal): Promise<Applications> {
    return request('GET', '/applications', { signal });
  },
  registerApplication(app: NewApplication): Promise<Application> {
    return request('POST', '/applications', { body: app });
  },
  removeApplication(id: number): Promise<unknown> {
    return request('DELETE', `/applications/${id}`);
  },
  importApplicationCertificate(id: number, certificate: string): Promise<TrustedCertificate> {
    return request('POST', `/applications/${id}/certificates`, { body: { certificate } });
  },
  revokeApplicationCertificate(id: number, fingerprint: string): Promise<TrustedCertificate> {
    return request('DELETE', `/applications/${id}/certificates/${encodeURIComponent(fingerprint)}`);
  },
  /** The PMP_API toolkit (a ZIP); `serverUrl` is how the application's host reaches the server. */
  applicationToolkit(id: number, serverUrl: string): Promise<DownloadedFile> {
    return requestFile(`/applications/${id}/toolkit`, { serverUrl }, 'PMP_API.zip');
  },
};
