import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import type { NativeRouter } from '../../http/native.js';
import type { RotationAdministration } from './rotation.admin.js';

/** The console's view of an account's remote resets (ADR 028, 042): its latest rotations. */
export function registerRotationConsoleRoutes(
  router: NativeRouter,
  deps: { rotation: RotationAdministration },
): void {
  router.add({
    method: 'GET',
    url: '/api/v1/accounts/:accountId/rotations',
    summary: "An account's latest password rotations on its target, newest first, with their state",
    tag: 'accounts',
    access: 'signed-in',
    response: z.object({
      items: z.array(
        z.object({
          rotationId: z.number(),
          status: z.string(),
          trigger: z.string(),
          requestedBy: z.string(),
          message: z.string().nullable(),
          attempts: z.number(),
          startedAt: z.number(),
          finishedAt: z.number().nullable(),
        }),
      ),
    }),
    async handle({ caller, params }) {
      const page = await deps.rotation.listRotations(
        { caller },
        { accountId: parseId(params.accountId, 'account'), limit: 20 },
      );
      return {
        items: page.rotations.map((r) => ({
          rotationId: r.rotationId,
          status: r.status,
          trigger: r.trigger,
          requestedBy: r.requestedBy.name,
          message: r.message,
          attempts: r.attempts,
          startedAt: r.startedAt,
          finishedAt: r.finishedAt,
        })),
      };
    },
  });
}
