import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import type { NativeRouter } from '../../http/native.js';
import { changeOf, granteeOf, shareBody, shareFieldErrors } from './certificate-groups.console.js';
import type { CertificateShares } from './certificate-shares.service.js';

/**
 * Sharing one certificate from the console (endpoints 65, 66, 69, 70 through the same service):
 * only an independent full holder shares, at most at full (ADR 040), and revokes; the direct
 * shares are listed to those who may change them.
 */
export function registerCertificateShareConsoleRoutes(
  router: NativeRouter,
  deps: { shares: CertificateShares },
): void {
  const { shares } = deps;
  const certificateId = (params: Readonly<Record<string, string>>) =>
    parseId(params.certificateId, 'certificate');

  router.add({
    method: 'GET',
    url: '/api/v1/certificates/:certificateId/shares',
    summary: 'Who a certificate is shared with directly (full access needed)',
    tag: 'certificates',
    access: 'signed-in',
    response: z.object({
      items: z.array(
        z.object({
          grantee: z.string(),
          kind: z.enum(['user', 'group']),
          permission: z.enum(['view', 'modify', 'full']),
          grantedAt: z.number(),
        }),
      ),
    }),
    async handle({ caller, params }) {
      const items = await shares.sharesOf(caller, { id: certificateId(params) });
      return { items: items.map((s) => ({ ...s })) };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/certificates/:certificateId/shares',
    summary:
      'Share a certificate with a user or a user group, or revoke the share (endpoints 65, 66, 69, 70)',
    tag: 'certificates',
    access: 'signed-in',
    body: shareBody,
    response: z.object({ certificate: z.string(), grantee: z.string() }),
    async handle({ caller, params, body }) {
      return shareFieldErrors(() =>
        shares.certificate(
          caller,
          { id: certificateId(params) },
          granteeOf(body.grantee),
          changeOf(body.permission),
        ),
      );
    },
  });
}
