import type { FastifyInstance, FastifyReply } from 'fastify';
import { clientIpOf } from '../../http/server.js';
import { extractToken } from '../../http/token.js';
import type { TrustedProxies } from '../../http/client-address.js';
import type { Metrics } from '../../platform/metrics.js';
import { AuthenticationError } from '../../platform/errors.js';
import type { Principal, CallOrigin } from '../../platform/principal.js';
import { can } from '../access/index.js';
import type { Readiness } from './readiness.js';

export interface MonitoringRouteDeps {
  readonly metrics: Metrics;
  readonly readiness: Readiness;
  readonly authenticator: {
    authenticate(token: string | undefined, origin: CallOrigin): Promise<Principal>;
  };
  /** BULWARK_METRICS_PUBLIC: /metrics answers without a token. */
  readonly metricsPublic: boolean;
  readonly trustedProxies: TrustedProxies;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The operator's endpoints (issue 17, ADR 047), outside the PMP API and its envelope: what a
 * load balancer, an orchestrator and Prometheus call.
 *
 * - `GET /healthz`: the process answers. No token, nothing but `{"status":"ok"}`.
 * - `GET /readyz`: this node should get traffic (database, migrations, keys, not shutting
 *   down); 503 otherwise, with which check failed. No token; no secret, host or URL in it.
 * - `GET /metrics`: Prometheus text. An administrator's API token (AUTHTOKEN as for the PMP
 *   API, or `Authorization: Bearer`, which Prometheus sends; the throttle and the audit of wrong
 *   tokens apply), or none when the operator made
 *   the metrics public. They hold counts and timings only, never a name, an id or a secret.
 */
export function registerMonitoringRoutes(app: FastifyInstance, deps: MonitoringRouteDeps): void {
  const { metrics, readiness } = deps;

  app.get('/healthz', async (_request, reply) => {
    return reply.header('cache-control', 'no-store').type(JSON_TYPE).send('{"status":"ok"}');
  });

  app.get('/readyz', async (_request, reply) => {
    const report = await readiness.check();
    return reply
      .code(report.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .type(JSON_TYPE)
      .send(JSON.stringify({ status: report.ready ? 'ready' : 'not ready', checks: report.checks }));
  });

  app.get('/metrics', async (request, reply) => {
    if (!deps.metricsPublic) {
      const origin: CallOrigin = { clientIp: clientIpOf(request, deps.trustedProxies), client: 'REST API' };
      let principal: Principal;
      try {
        const token =
          extractToken(request.headers, request.url) ?? bearerToken(request.headers.authorization);
        principal = await deps.authenticator.authenticate(token, origin);
      } catch (err) {
        if (err instanceof AuthenticationError) return refuse(reply, 401, err.message);
        throw err;
      }
      if (principal.application !== undefined || !can(principal, 'manageInstance')) {
        return refuse(reply, 403, 'the metrics need the API token of an administrator');
      }
    }
    const text = await metrics.registry.metrics();
    return reply.header('cache-control', 'no-store').type(metrics.registry.contentType).send(text);
  });
}

/** `Authorization: Bearer <token>`, what Prometheus sends from `authorization.credentials_file`. */
function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer +(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function refuse(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type(JSON_TYPE)
    .send(JSON.stringify({ status: 'Failed', message }));
}
