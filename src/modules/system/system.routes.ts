import type { PmpRouter } from '../../http/server.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import { InvalidInputError } from '../../platform/errors.js';
import type { TimeFormatter } from '../../platform/time.js';
import type { AgentKeyService } from './agent-key.service.js';
import type { ClusterNode } from './cluster.js';
import type { ClusterReport, NodeReport } from './system.types.js';

const V1 = '/restapi/json/v1';
const NA = 'N/A';

/** `validityPeriod` as clients send it (3, "3"); anything else is refused, not guessed. */
function validityHours(raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : undefined;
  if (text === undefined || !/^-?\d+$/.test(text)) {
    throw new InvalidInputError('validityPeriod must be a whole number of hours');
  }
  return Number(text);
}

/** Endpoints 88 (agent key) and 89 (HA status), names and fields as in the reference (ADR 013). */
export function registerSystemRoutes(
  router: PmpRouter,
  { agentKeys, cluster, time }: { agentKeys: AgentKeyService; cluster: ClusterNode; time: TimeFormatter },
): void {
  const endTime = (at: number | null | undefined) => (at == null ? NA : time.slashDateTime(at));

  // 88
  router.add({
    method: 'POST',
    url: `${V1}/agents/agentkey`,
    operation: 'Fetch Agent Key',
    schema: inputSchema({
      generate: f.boolean('generateAgentKey'),
      hours: f.group(['validityPeriod'], (input) => validityHours(input.details().raw('validityPeriod'))),
    }),
    async handle({ caller, fields }) {
      const generate = fields.generate ?? false;
      const { hours } = fields;
      if (!generate) {
        if (hours !== undefined) {
          throw new InvalidInputError('validityPeriod is read only together with "generateAgentKey":"true"');
        }
        const status = await agentKeys.status(caller);
        return status.exists
          ? {
              message:
                'An agent key exists. It was shown once, when generated, and is stored only as a hash; send "generateAgentKey":"true" to replace it with a new one.',
              details: {
                agentKeyExists: 'true',
                agentKeyEndTime: endTime(status.expiresAt),
                agentKeyCreatedTime: time.slashDateTime(status.createdAt!),
                singleUse: String(status.singleUse),
              },
            }
          : {
              message:
                'No agent key exists (or it expired or was used); send "generateAgentKey":"true" to generate one.',
              details: { agentKeyExists: 'false' },
            };
      }
      const key = await agentKeys.generate(caller, { validityHours: hours });
      return {
        message: 'Fetched Agent Key successfully.',
        details: {
          agentKey: key.key.reveal(),
          agentKeyEndTime: endTime(key.expiresAt),
          singleUse: String(key.singleUse),
        },
      };
    },
  });

  // 89
  router.add({
    method: 'GET',
    url: `${V1}/server/getHighAvailabilityStatus`,
    operation: 'Get HA Status',
    schema: NO_INPUT,
    async handle({ caller }) {
      return { message: 'HA Status fetched successfully', details: haDetails(await cluster.report(caller)) };
    },
  });

  function haDetails(report: ClusterReport) {
    const node = (n: NodeReport) => ({
      serverName: n.name,
      nodeId: n.nodeId,
      hostName: n.hostName,
      address: n.address,
      port: String(n.port),
      processId: String(n.pid),
      status: n.status,
      isPrimaryServer: String(n.isPrimary),
      isThisServer: String(n.isThisNode),
      startedAt: time.auditTime(n.startedAt),
      lastSeen: time.auditTime(n.lastSeen),
      stoppedAt: n.stoppedAt === null ? NA : time.auditTime(n.stoppedAt),
    });
    const secondary = report.secondaries[0];
    const anySecondaryActive = report.secondaries.some((s) => s.status === 'active');
    const haStatus =
      report.mode === 'single'
        ? 'disabled'
        : report.primary?.status === 'active' && anySecondaryActive
          ? 'active'
          : 'degraded';
    return {
      haStatus,
      isPrimaryServer: String(report.thisNodeIsPrimary),
      primaryServer: report.primary?.name ?? NA,
      primaryServerStatus: report.primary?.status ?? 'down',
      secondaryServer: secondary?.name ?? NA,
      secondaryServerStatus: secondary?.status ?? NA,
      thisServer: report.thisNode,
      database: report.dialect,
      description:
        report.mode === 'single'
          ? report.dialect === 'sqlite'
            ? 'Single node: the embedded SQLite database serves one process; high availability needs PostgreSQL.'
            : 'Single node: no other Bulwark node has written a heartbeat to this PostgreSQL database.'
          : `${report.secondaries.length + (report.primary ? 1 : 0)} nodes share this PostgreSQL database; the primary holds the scheduler lease.`,
      servers: [...(report.primary ? [report.primary] : []), ...report.secondaries].map(node),
    };
  }
}
