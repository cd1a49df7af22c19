import type { FieldReader } from '../../http/field-reader.js';
import { parseId } from '../../http/ids.js';
import type { PmpRouter } from '../../http/server.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import type { ApplicationsService } from './applications.service.js';
import type { Application, TrustedCertificate } from './applications.types.js';

const V1 = '/restapi/json/v1';
const LIMITS = {
  name: 255,
  host: 253,
  resourceType: 50,
  username: 100,
  operations: 10,
  operation: 50,
  serverUrl: 2048,
  /** A PEM certificate is a few KiB; a chain pasted whole still fits. */
  certificate: 65_536,
} as const;

function certificateAttributes(c: TrustedCertificate) {
  return {
    FINGERPRINT: c.fingerprint,
    SUBJECT: c.subject,
    SERIAL: c.serial,
    NOTBEFORE: new Date(c.notBefore).toISOString(),
    NOTAFTER: new Date(c.notAfter).toISOString(),
  };
}

function applicationAttributes(a: Application) {
  return {
    APPLICATIONID: String(a.id),
    APPLICATIONNAME: a.name,
    HOSTNAME: a.host,
    RESOURCETYPE: a.resourceType,
    OPERATIONS: [...a.operations],
    INHERITUSER: a.username,
    CERTIFICATES: a.certificates.map(certificateAttributes),
  };
}

/** OPERATIONS as a list of names (`["RETRIEVE","RESET_LOCAL"]`) or one comma-separated text. */
function readOperations(details: FieldReader): string[] {
  const value = details.raw('OPERATIONS');
  if (value === undefined || value === null || value === '') throw new MissingFieldError('OPERATIONS');
  if (typeof value === 'string') {
    if (value.length > LIMITS.operations * (LIMITS.operation + 1)) {
      throw new InvalidInputError('OPERATIONS names too many operations');
    }
    return value.split(',');
  }
  if (!Array.isArray(value)) {
    throw new InvalidInputError('OPERATIONS must be a list of operation names or a comma-separated text');
  }
  if (value.length > LIMITS.operations) {
    throw new InvalidInputError(`OPERATIONS holds ${value.length} entries; at most ${LIMITS.operations}`);
  }
  return value.map((op, index) => {
    if (typeof op !== 'string' || op.length > LIMITS.operation) {
      throw new InvalidInputError(`OPERATIONS[${index}] must be an operation name`);
    }
    return op;
  });
}

/** An application as registered: every field required. */
const DRAFT = inputSchema({
  name: f.string('APPLICATIONNAME', { required: true, maxLength: LIMITS.name }),
  host: f.string('HOSTNAME', { required: true, maxLength: LIMITS.host }),
  resourceType: f.string('RESOURCETYPE', { required: true, maxLength: LIMITS.resourceType }),
  operations: f.group(['OPERATIONS'], (input) => readOperations(input.details())),
  inheritUser: f.string('INHERITUSER', { required: true, maxLength: LIMITS.username }),
});

/**
 * Native endpoints managing registered applications and their client certificates (issue 6,
 * ADR 014); the original does this in its web interface only. None names an `a2aOperation`, so
 * an application itself is refused all of them. The service authorises administrators.
 */
export function registerApplicationRoutes(
  router: PmpRouter,
  {
    applications,
    serverCertificatePem,
  }: {
    applications: ApplicationsService;
    /** The server's TLS certificate: a self-signed one is pinned in the toolkit. */
    serverCertificatePem: string | undefined;
  },
): void {
  router.add({
    method: 'GET',
    url: `${V1}/applications`,
    operation: 'GET APPLICATIONS',
    schema: NO_INPUT,
    async handle({ caller }) {
      const list = await applications.list({ caller });
      return {
        message: 'Applications fetched successfully',
        details: list.map(applicationAttributes),
        totalRows: list.length,
      };
    },
  });

  router.add({
    method: 'POST',
    url: `${V1}/applications`,
    operation: 'REGISTER APPLICATION',
    schema: DRAFT,
    async handle({ caller, fields }) {
      const app = await applications.register({ caller }, fields);
      return {
        message: `Application ${app.name} registered successfully`,
        details: applicationAttributes(app),
      };
    },
  });

  router.add({
    method: 'DELETE',
    url: `${V1}/applications/:applicationId`,
    operation: 'DELETE APPLICATION',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const id = parseId(params.applicationId, 'application');
      const name = await applications.remove({ caller }, { id });
      return { message: `Application ${name} deleted successfully` };
    },
  });

  router.add({
    method: 'POST',
    url: `${V1}/applications/:applicationId/certificates`,
    operation: 'IMPORT APPLICATION CERTIFICATE',
    schema: inputSchema({
      pem: f.string('CERTIFICATE', { required: true, maxLength: LIMITS.certificate }),
    }),
    async handle({ caller, fields, params }) {
      const id = parseId(params.applicationId, 'application');
      const cert = await applications.importCertificate({ caller }, { id }, fields.pem);
      return {
        message: `Certificate imported successfully for application ${cert.application.name}`,
        details: {
          APPLICATIONID: String(cert.application.id),
          APPLICATIONNAME: cert.application.name,
          ...certificateAttributes(cert),
        },
      };
    },
  });

  router.add({
    method: 'DELETE',
    url: `${V1}/applications/:applicationId/certificates/:fingerprint`,
    operation: 'REVOKE APPLICATION CERTIFICATE',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const id = parseId(params.applicationId, 'application');
      const cert = await applications.revokeCertificate({ caller }, { id }, params.fingerprint ?? '');
      return {
        message: `Certificate ${cert.fingerprint} of application ${cert.application.name} revoked successfully`,
        details: {
          APPLICATIONID: String(cert.application.id),
          APPLICATIONNAME: cert.application.name,
          ...certificateAttributes(cert),
        },
      };
    },
  });

  // The "Download Toolkit" of the original: SERVERURL is how the application's host reaches us,
  // which only the administrator knows (the Host header is how *they* reach us).
  router.add({
    method: 'GET',
    url: `${V1}/applications/:applicationId/toolkit`,
    operation: 'DOWNLOAD APPLICATION TOOLKIT',
    schema: inputSchema({ serverUrl: f.value('SERVERURL', LIMITS.serverUrl, { required: true }) }),
    async handle({ caller, fields, params }) {
      const id = parseId(params.applicationId, 'application');
      const archive = await applications.toolkitArchive(
        { caller },
        { id },
        fields.serverUrl,
        serverCertificatePem,
      );
      return { file: { ...archive, contentType: 'application/zip' } };
    },
  });
}
