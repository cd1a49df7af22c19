import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import type { NativeRouter } from '../../http/native.js';
import type { WorkflowService } from './workflow.service.js';

const REASON_LIMIT = 1000;
const TICKET_LIMIT = 250;

const status = z.enum(['waiting', 'approved', 'rejected', 'checked_out', 'checked_in']);

const request = z.object({
  reason: z.string().trim().max(REASON_LIMIT, `At most ${REASON_LIMIT} characters`).optional(),
  ticketId: z.string().trim().max(TICKET_LIMIT, `At most ${TICKET_LIMIT} characters`).optional(),
});

/**
 * Password access control in the console (ADR 042): the same workflow as endpoints 10–15 —
 * request, approve or reject, check out, check in — in the native shape.
 */
export function registerWorkflowConsoleRoutes(
  router: NativeRouter,
  deps: { workflow: WorkflowService },
): void {
  const { workflow } = deps;

  router.add({
    method: 'GET',
    url: '/api/v1/requests/mine',
    summary: "The caller's own password requests: open ones first, with the checkout's end",
    tag: 'requests',
    access: 'signed-in',
    response: z.object({
      items: z.array(
        z.object({
          accountId: z.number(),
          accountName: z.string(),
          resourceId: z.number(),
          resourceName: z.string(),
          status,
          requestedAt: z.number(),
          reason: z.string().nullable(),
          ticketId: z.string().nullable(),
          checkoutExpiresAt: z.number().nullable(),
        }),
      ),
    }),
    async handle({ caller }) {
      return { items: await workflow.mine(caller) };
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/requests/pending',
    summary: "The requests waiting for the caller's decision",
    tag: 'requests',
    access: 'signed-in',
    response: z.object({
      items: z.array(
        z.object({
          requesterId: z.number(),
          requesterName: z.string(),
          requesterFullName: z.string().nullable(),
          accountId: z.number(),
          accountName: z.string(),
          resourceId: z.number(),
          resourceName: z.string(),
          status,
          requestedAt: z.number(),
          reason: z.string().nullable(),
          ticketId: z.string().nullable(),
        }),
      ),
    }),
    async handle({ caller }) {
      return { items: await workflow.waitingFor(caller) };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/accounts/:accountId/requests',
    summary: 'Request access to the password of an account under access control',
    tag: 'requests',
    access: 'signed-in',
    status: 201,
    body: request,
    async handle({ caller, params, body }) {
      await workflow.request(caller, parseId(params.accountId, 'account'), {
        reason: body.reason || null,
        ticketId: body.ticketId || null,
      });
      return { status: 'waiting' };
    },
  });

  for (const verb of ['approve', 'reject'] as const) {
    router.add({
      method: 'POST',
      url: `/api/v1/accounts/:accountId/requests/:requesterId/${verb}`,
      summary: verb === 'approve' ? 'Approve a password request' : 'Reject a password request',
      tag: 'requests',
      access: 'signed-in',
      async handle({ caller, params }) {
        await workflow.decide(
          caller,
          parseId(params.accountId, 'account'),
          parseId(params.requesterId, 'requester'),
          verb === 'approve',
        );
        return { status: verb === 'approve' ? 'approved' : 'rejected' };
      },
    });
  }

  router.add({
    method: 'POST',
    url: '/api/v1/accounts/:accountId/checkout',
    summary: 'Check out the password of an approved request (exclusive, for the checkout period)',
    tag: 'requests',
    access: 'signed-in',
    body: request.pick({ reason: true }),
    async handle({ caller, params, body }) {
      await workflow.checkout(caller, parseId(params.accountId, 'account'), body.reason || null);
      return { status: 'checked_out' };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/accounts/:accountId/requests/:requesterId/checkin',
    summary: 'Check a password in: by its holder, or by an approver on their behalf',
    tag: 'requests',
    access: 'signed-in',
    async handle({ caller, params }) {
      await workflow.checkin(
        caller,
        parseId(params.accountId, 'account'),
        parseId(params.requesterId, 'requester'),
      );
      return { status: 'checked_in' };
    },
  });
}
