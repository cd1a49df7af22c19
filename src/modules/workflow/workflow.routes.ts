import { parseId } from '../../http/ids.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import { MissingFieldError } from '../../platform/errors.js';
import type { TimeFormatter } from '../../platform/time.js';
import type { WorkflowService } from './workflow.service.js';
import { STATUS_TEXT, type PasswordRequestView } from './workflow.types.js';

const V1 = '/restapi/json/v1';
const REASON_LIMIT = 1000;
const TICKET_LIMIT = 250;

/** Endpoints 10–15: names, messages and answer shapes as in the reference. */
export function registerWorkflowRoutes(
  router: PmpRouter,
  { workflow, time }: { workflow: WorkflowService; time: TimeFormatter },
): void {
  const reason = f.value('REASON', REASON_LIMIT);

  // 10
  router.add({
    method: 'POST',
    url: `${V1}/accounts/:accountId/requestpassword`,
    operation: 'REQUEST_PASSWORD',
    schema: inputSchema({ reason, ticketId: f.value('TICKETID', TICKET_LIMIT) }),
    async handle({ caller, params, fields }) {
      const { status } = await workflow.request(caller, parseId(params.accountId, 'account'), {
        reason: fields.reason ?? null,
        ticketId: fields.ticketId ?? null,
      });
      return {
        message: 'Request to view password have been raised successfully',
        details: { STATUS: status },
      };
    },
  });

  // 11
  router.add({
    method: 'GET',
    url: `${V1}/accounts/passwordaccessrequests`,
    operation: 'GET_PASSWORDREQUEST',
    schema: NO_INPUT,
    async handle({ caller }) {
      const requests = await workflow.waitingFor(caller);
      return {
        message: 'Password Request fetched successfully',
        details: presentRequests(requests, time),
        totalRows: requests.length,
      };
    },
  });

  const decisions = [
    ['reject', 'ADMIN_REQUEST_REJECT', 'Password Rejected successfully'],
    ['approve', 'ADMIN_REQUEST_APPROVE', 'Password Approved successfully'],
  ] as const;
  // 12, 13
  for (const [verb, operation, message] of decisions) {
    router.add({
      method: 'POST',
      url: `${V1}/accounts/:accountId/requester/:requesterId/${verb}`,
      operation,
      schema: NO_INPUT,
      async handle({ caller, params }) {
        await workflow.decide(
          caller,
          parseId(params.accountId, 'account'),
          parseId(params.requesterId, 'requester'),
          verb === 'approve',
        );
        return { message };
      },
    });
  }

  // 14
  router.add({
    method: 'POST',
    url: `${V1}/accounts/:accountId/requester/:requesterId/checkin`,
    operation: 'ADMIN_REQUEST_CHECKIN',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      await workflow.checkin(
        caller,
        parseId(params.accountId, 'account'),
        parseId(params.requesterId, 'requester'),
      );
      return { message: 'Password have been checked in successfully' };
    },
  });

  // 15
  router.add({
    method: 'POST',
    url: `${V1}/accounts/:accountId/checkout`,
    operation: 'REQUEST_CHECKOUT',
    schema: inputSchema({ reason }),
    async handle({ caller, params, fields }) {
      await workflow.checkout(caller, parseId(params.accountId, 'account'), fields.reason ?? null);
      return {
        message: 'Password have been checked out successfully',
        details: { STATUS: '***** [checkIn]' },
      };
    },
  });

  // native: the approvers named on an account
  router.add({
    method: 'GET',
    url: `${V1}/accounts/:accountId/approvers`,
    operation: 'GET_ACCOUNT_APPROVERS',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const { account, approvers } = await workflow.approvers(caller, parseId(params.accountId, 'account'));
      return {
        message: `Approvers of account ${account.name} fetched successfully`,
        details:
          approvers.length > 0
            ? approvers.map((a) => ({ USERID: String(a.id), USERNAME: a.username }))
            : undefined,
        totalRows: approvers.length,
      };
    },
  });
  router.add({
    method: 'PUT',
    url: `${V1}/accounts/:accountId/approvers`,
    operation: 'SET_ACCOUNT_APPROVERS',
    schema: inputSchema({
      // Present but empty ([]) removes every approver; absent is refused.
      userIds: f.group(['USERIDS'], (input) => {
        const userIds = input.details().idList('USERIDS', 'user', { maxItems: 100 });
        if (!input.details().has('USERIDS')) throw new MissingFieldError('USERIDS');
        return userIds;
      }),
    }),
    async handle({ caller, params, fields }) {
      const names = await workflow.nameApprovers(
        caller,
        parseId(params.accountId, 'account'),
        fields.userIds,
      );
      return {
        message:
          names.length > 0
            ? `Approvers set: ${names.join(', ')}`
            : 'Approvers removed; administrators and owners decide',
      };
    },
  });
}

/**
 * The sample groups the list under its requester: one requester answers that object; requests
 * of several requesters answer a list of such objects (each item also names its requester).
 */
function presentRequests(requests: readonly PasswordRequestView[], time: TimeFormatter): unknown {
  if (requests.length === 0) return undefined;
  const byRequester = new Map<number, PasswordRequestView[]>();
  for (const r of requests) byRequester.set(r.requesterId, [...(byRequester.get(r.requesterId) ?? []), r]);
  const groups = [...byRequester.values()].map((list) => ({
    'REQUESTER USERID': String(list[0]!.requesterId),
    'REQUESTED BY': list[0]!.requesterName,
    'REQUESTED BY FULLNAME': list[0]!.requesterFullName ?? list[0]!.requesterName,
    PASSWORDREQUESTLIST: list.map((r) => ({
      'ACCOUNT ID': String(r.accountId),
      'ACCOUNT NAME': r.accountName,
      'RESOURCE ID': String(r.resourceId),
      'RESOURCE NAME': r.resourceName,
      'PASSWD ID': String(r.accountId),
      'REQUESTER USERID': String(r.requesterId),
      STATUS: STATUS_TEXT[r.status],
      'REQUESTED TIME': time.pmpDateTime(r.requestedAt),
      REASON: r.reason ?? 'N/A',
      TICKETID: r.ticketId ?? 'N/A',
    })),
  }));
  return groups.length === 1 ? groups[0] : groups;
}
