import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import type { NativeRouter } from '../../http/native.js';
import { FieldInputError, InvalidInputError, NotFoundError } from '../../platform/errors.js';
import { MAX_PATH, ownerProblem, pathProblem } from './certificate-deployment.connector.js';
import type { CertificateDeployment } from './certificate-deployment.service.js';
import { DEPLOYMENT_LIMITS } from './certificate-deployment.types.js';

/**
 * Deploying a certificate from the console (endpoint 64's service, ADR 041): to one Linux
 * resource over the SSH of its remote reset configuration, saving the paths for it, or again to
 * every saved server; the saved servers with their last outcome. The service decides who may
 * (full access to the certificate and to the resource) and audits; each server's outcome is
 * answered, never thrown, so a failure on the host is shown as the server's status.
 */

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const hostPath = (what: string) =>
  z.preprocess(
    blank,
    z
      .string()
      .trim()
      .max(MAX_PATH, `At most ${MAX_PATH} characters`)
      .superRefine((value, ctx) => {
        const why = pathProblem(value);
        if (why) ctx.addIssue({ code: 'custom', message: `The ${what} path ${why}` });
      })
      .optional(),
  );

const deployBody = z
  .object({
    /** The resource's name (or DNS name); absent: every saved server again. */
    resource: z.preprocess(blank, z.string().trim().max(255, 'At most 255 characters').optional()),
    certificatePath: hostPath('certificate'),
    keyPath: hostPath('key'),
    pfxPath: hostPath('PFX'),
    owner: z.preprocess(
      blank,
      z
        .string()
        .trim()
        .max(100, 'At most 100 characters')
        .superRefine((value, ctx) => {
          const why = ownerProblem(value);
          if (why) ctx.addIssue({ code: 'custom', message: `The owner ${why}` });
        })
        .optional(),
    ),
    reloadCommand: z.preprocess(
      blank,
      z
        .string()
        .max(DEPLOYMENT_LIMITS.reloadCommand, `At most ${DEPLOYMENT_LIMITS.reloadCommand} characters`)
        .refine((v) => !/[\u0000\r]/.test(v), 'No NUL or carriage-return characters')
        .optional(),
    ),
    verifyHost: z.preprocess(
      blank,
      z
        .string()
        .trim()
        .max(DEPLOYMENT_LIMITS.host, `At most ${DEPLOYMENT_LIMITS.host} characters`)
        .regex(/^[A-Za-z0-9.:_-]+$/, 'A host name or an IP address')
        .optional(),
    ),
    // A number, or the decimal digits a form field sends (not z.coerce: true, [443] or "0x1bb" are not ports).
    verifyPort: z.preprocess((value) => {
      const given = blank(value);
      return typeof given === 'string' && /^[0-9]{1,5}$/.test(given.trim()) ? Number(given) : given;
    }, z.number('A port number from 1 to 65535').int('A port number from 1 to 65535').min(1, 'A port number from 1 to 65535').max(65_535, 'A port number from 1 to 65535').optional()),
  })
  .strict()
  .superRefine((body, ctx) => {
    // Paths are saved for one server: without a resource they would belong to none.
    const { resource, ...configuration } = body;
    if (resource === undefined && Object.values(configuration).some((v) => v !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['resource'],
        message: 'Choose the resource these paths are for',
      });
  });

const status = z.object({ server: z.string(), status: z.enum(['Success', 'Failed']), message: z.string() });

const savedServer = z.object({
  resourceId: z.number(),
  server: z.string(),
  certificatePath: z.string(),
  keyPath: z.string().nullable(),
  pfxPath: z.string().nullable(),
  owner: z.string().nullable(),
  reloadCommand: z.string().nullable(),
  hasReloadCommand: z.boolean(),
  verifyHost: z.string(),
  verifyPort: z.number(),
  lastStatus: z.enum(['Success', 'Failed']).nullable(),
  lastMessage: z.string().nullable(),
  lastDeployedAt: z.number().nullable(),
  lastDeployedBy: z.string().nullable(),
});

/** The service's refusals of the form, beside the field they are about. */
async function deployFieldErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof NotFoundError && /^Resource /i.test(err.message))
      throw new FieldInputError('resource', err.message, err.code);
    if (err instanceof InvalidInputError && !(err instanceof FieldInputError)) {
      const field = /verifyHost/.test(err.message)
        ? 'verifyHost'
        : /must be different files/.test(err.message)
          ? 'keyPath'
          : /certificatePath/.test(err.message)
            ? 'certificatePath'
            : undefined;
      if (field !== undefined) throw new FieldInputError(field, err.message, err.code);
    }
    throw err;
  }
}

export function registerCertificateDeploymentConsoleRoutes(
  router: NativeRouter,
  deps: { deployment: CertificateDeployment },
): void {
  const { deployment } = deps;
  const certificateId = (params: Readonly<Record<string, string>>) =>
    parseId(params.certificateId, 'certificate');

  router.add({
    method: 'GET',
    url: '/api/v1/certificates/:certificateId/deployments',
    summary: "A certificate's saved servers with their last deployment (the resources the caller can see)",
    tag: 'certificates',
    access: 'signed-in',
    response: z.object({ items: z.array(savedServer) }),
    async handle({ caller, params }) {
      const { servers } = await deployment.savedServers(caller, { id: certificateId(params) });
      return {
        items: servers.map((s) => ({
          resourceId: s.resourceId,
          server: s.server,
          certificatePath: s.certificatePath,
          keyPath: s.keyPath ?? null,
          pfxPath: s.pfxPath ?? null,
          owner: s.owner ?? null,
          reloadCommand: s.reloadCommand ?? null,
          hasReloadCommand: s.hasReloadCommand,
          verifyHost: s.verifyHost,
          verifyPort: s.verifyPort,
          lastStatus: s.lastStatus,
          lastMessage: s.lastMessage,
          lastDeployedAt: s.lastDeployedAt,
          lastDeployedBy: s.lastDeployedBy,
        })),
      };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/certificates/:certificateId/deployments',
    summary:
      "Deploy a certificate (its chain, and its key or a PFX when asked) over SSH to a Linux resource, saving the paths, or again to every saved server; each server's outcome (endpoint 64)",
    tag: 'certificates',
    access: 'signed-in',
    body: deployBody,
    response: z.object({ statuses: z.array(status) }),
    async handle({ caller, params, body }) {
      const outcome = await deployFieldErrors(() =>
        deployment.deploy(caller, {
          selector: { id: certificateId(params) },
          serverName: body.resource,
          configuration: {
            certificatePath: body.certificatePath,
            keyPath: body.keyPath,
            pfxPath: body.pfxPath,
            owner: body.owner,
            reloadCommand: body.reloadCommand,
            verifyHost: body.verifyHost,
            verifyPort: body.verifyPort,
          },
        }),
      );
      return { statuses: outcome.statuses.map((s) => ({ ...s })) };
    },
  });
}
