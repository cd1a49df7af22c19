import type { PmpInput } from '../../http/input.js';
import { f, inputSchema } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import { InvalidInputError } from '../../platform/errors.js';
import type { TimeFormatter } from '../../platform/time.js';
import type { CertificateExpiry } from './certificate-expiry.service.js';
import { LIMITS } from './certificates.types.js';

const V1 = '/restapi/json/v1';

const days = f.group(['DAYS'], (input: PmpInput) => {
  const value = input.value('DAYS', 12)?.trim();
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,6}$/.test(value) || Number(value) > LIMITS.maxDays)
    throw new InvalidInputError(
      `DAYS must be a whole number up to ${LIMITS.maxDays}; got "${value.slice(0, 20)}"`,
    );
  return Number(value);
});

/**
 * Native endpoint (ADR 041): the certificates the expiry job recorded within a threshold
 * (BULWARK_CERT_EXPIRY_DAYS), those the caller may see, soonest expiry first. The reference's
 * own expiry list (34) reads the repository directly; this one says which alerts were raised.
 */
export function registerCertificateExpiryRoutes(
  router: PmpRouter,
  deps: { expiry: CertificateExpiry; time: TimeFormatter },
): void {
  const { expiry, time } = deps;
  router.add({
    method: 'GET',
    url: `${V1}/certificates/expiring`,
    operation: 'GET EXPIRING CERTIFICATES',
    schema: inputSchema({ days }),
    async handle({ caller, fields }) {
      const list = await expiry.list(caller, fields.days);
      return {
        message: `${list.length} expiring certificate(s) fetched successfully`,
        totalRows: list.length,
        details: list.map((c) => ({
          CERTIFICATEID: String(c.certificateId),
          COMMONNAME: c.commonName,
          SERIALNUMBER: c.serial,
          SHA256FINGERPRINT: c.sha256,
          EXPIRYDATE: time.auditTime(c.notAfter),
          DAYSLEFT: c.daysLeft,
          THRESHOLDS: c.thresholds,
          LASTALERTTIME: time.auditTime(c.lastAlertAt),
        })),
      };
    },
  });
}
