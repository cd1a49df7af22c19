import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import { NativeFile, type NativeRouter } from '../../http/native.js';
import { nameField, withFieldErrors } from '../../http/native-fields.js';
import { FieldInputError, InvalidInputError, NotFoundError } from '../../platform/errors.js';
import type { ApplicationsService } from './applications.service.js';
import {
  A2A_OPERATIONS,
  RESOURCE_TYPES,
  type Application,
  type TrustedCertificate,
} from './applications.types.js';

/**
 * A2A applications in the console (ADR 042; issue 6, ADR 014, 015): registered applications with
 * their trusted client certificates, registering, importing and revoking certificates, removing,
 * and the PMP_API toolkit as a download. The service authorises administrators and audits.
 */

/** A PEM certificate is a few KiB; a chain pasted whole still fits (as the PMP route). */
const CERTIFICATE_LIMIT = 65_536;

const draft = z.object({
  name: nameField(255),
  host: z
    .string()
    .trim()
    .min(1, 'Enter the host the application calls from')
    .max(253, 'At most 253 characters')
    .regex(/^\S+$/, 'A DNS name or an IP address, without spaces'),
  resourceType: z.enum(RESOURCE_TYPES, { error: `Choose ${RESOURCE_TYPES.join(' or ')}` }),
  operations: z
    .array(z.enum(A2A_OPERATIONS, { error: `Operations are ${A2A_OPERATIONS.join(', ')}` }))
    .min(1, 'Choose at least one operation')
    .max(A2A_OPERATIONS.length),
  inheritUser: nameField(100, 'Choose the user whose access the application inherits'),
});

const certificateView = z.object({
  fingerprint: z.string(),
  subject: z.string(),
  serial: z.string(),
  notBefore: z.number(),
  notAfter: z.number(),
  importedAt: z.number(),
});

const applicationView = z.object({
  id: z.number(),
  name: z.string(),
  host: z.string(),
  resourceType: z.enum(RESOURCE_TYPES),
  operations: z.array(z.enum(A2A_OPERATIONS)),
  inheritUser: z.string(),
  createdAt: z.number(),
  certificates: z.array(certificateView),
});

function certificateOf(c: TrustedCertificate) {
  return {
    fingerprint: c.fingerprint,
    subject: c.subject,
    serial: c.serial,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    importedAt: c.importedAt,
  };
}

function viewOf(a: Application) {
  return {
    id: a.id,
    name: a.name,
    host: a.host,
    resourceType: a.resourceType,
    operations: [...a.operations],
    inheritUser: a.username,
    createdAt: a.createdAt,
    certificates: a.certificates.map(certificateOf),
  };
}

/** The service's refusals of one input, shown beside that field. */
async function asField<T>(field: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof InvalidInputError && !(err instanceof FieldInputError))
      throw new FieldInputError(field, err.message, err.code);
    throw err;
  }
}

export function registerApplicationConsoleRoutes(
  router: NativeRouter,
  deps: {
    applications: ApplicationsService;
    /** The server's TLS certificate: a self-signed one is pinned in the toolkit. */
    serverCertificatePem: string | undefined;
  },
): void {
  const { applications, serverCertificatePem } = deps;
  const idOf = (params: Readonly<Record<string, string>>) => ({
    id: parseId(params.applicationId, 'application'),
  });

  router.add({
    method: 'GET',
    url: '/api/v1/applications',
    summary: 'The registered A2A applications with their client certificates (administrators)',
    tag: 'applications',
    access: 'signed-in',
    response: z.object({
      items: z.array(applicationView),
      operations: z.array(z.enum(A2A_OPERATIONS)),
      resourceTypes: z.array(z.enum(RESOURCE_TYPES)),
    }),
    async handle({ caller }) {
      return {
        items: (await applications.list({ caller })).map(viewOf),
        operations: [...A2A_OPERATIONS],
        resourceTypes: [...RESOURCE_TYPES],
      };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/applications',
    summary: 'Register an application: its host, resource type, operations and the user it inherits',
    tag: 'applications',
    access: 'signed-in',
    status: 201,
    body: draft,
    response: applicationView,
    async handle({ caller, body }) {
      try {
        const app = await withFieldErrors({ conflict: 'name' }, () =>
          applications.register({ caller }, body),
        );
        return viewOf(app);
      } catch (err) {
        if (err instanceof NotFoundError) throw new FieldInputError('inheritUser', err.message, err.code);
        throw err;
      }
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/applications/:applicationId',
    summary: 'Remove an application and every certificate trusted for it',
    tag: 'applications',
    access: 'signed-in',
    response: z.object({ name: z.string() }),
    async handle({ caller, params }) {
      return { name: await applications.remove({ caller }, idOf(params)) };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/applications/:applicationId/certificates',
    summary: 'Trust a client certificate (PEM text) for the application',
    tag: 'applications',
    access: 'signed-in',
    status: 201,
    body: z.object({
      certificate: z
        .string()
        .min(1, 'Paste the certificate or choose its file')
        .max(CERTIFICATE_LIMIT, `At most ${CERTIFICATE_LIMIT} characters`),
    }),
    response: certificateView,
    async handle({ caller, params, body }) {
      const cert = await withFieldErrors({ conflict: 'certificate' }, () =>
        asField('certificate', () =>
          applications.importCertificate({ caller }, idOf(params), body.certificate),
        ),
      );
      return certificateOf(cert);
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/applications/:applicationId/certificates/:fingerprint',
    summary: 'Revoke a client certificate of the application (SHA-256 fingerprint)',
    tag: 'applications',
    access: 'signed-in',
    response: certificateView,
    async handle({ caller, params }) {
      const cert = await asField('fingerprint', () =>
        applications.revokeCertificate({ caller }, idOf(params), params.fingerprint ?? ''),
      );
      return certificateOf(cert);
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/applications/:applicationId/toolkit',
    summary:
      "Download the application's PMP_API toolkit (a ZIP; serverUrl: how its host reaches this server)",
    tag: 'applications',
    access: 'signed-in',
    body: z.object({
      serverUrl: z
        .string()
        .trim()
        .min(1, 'Enter the server URL the application uses')
        .max(2048, 'At most 2048 characters'),
    }),
    async handle({ caller, params, body }) {
      const archive = await asField('serverUrl', () =>
        applications.toolkitArchive({ caller }, idOf(params), body.serverUrl, serverCertificatePem),
      );
      return new NativeFile(archive.fileName, 'application/zip', archive.content);
    },
  });
}
