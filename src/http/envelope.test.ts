import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../platform/errors.js';
import { dialectOfPath, envelope, envelopeIn, failureEnvelope, pkiEnvelope } from './envelope.js';

describe('the two envelopes', () => {
  const parts = {
    name: 'GetAllSSHKeys',
    status: 'Success',
    message: 'All SSH Keys fetched successfully',
    statusCode: 20000,
    details: [{ KeyName: 'k' }],
    totalRows: 1,
  } as const;

  it('PKI: top-level name and result, totalRows then details, extra arrays after', () => {
    expect(pkiEnvelope({ ...parts, extra: { SSHKeys: [{ KeyName: 'k' }] } })).toBe(
      '{"name":"GetAllSSHKeys","result":{"status":"Success","message":"All SSH Keys fetched successfully","statusCode":20000},"totalRows":1,"details":[{"KeyName":"k"}],"SSHKeys":[{"KeyName":"k"}]}',
    );
    // An empty list keeps `details` (PKI clients index it).
    expect(pkiEnvelope({ ...parts, details: [], totalRows: 0 })).toContain('"totalRows":0,"details":[]');
  });

  it('v1 is unchanged; failures take the dialect', () => {
    expect(envelopeIn('pmp', parts)).toBe(envelope(parts));
    expect(envelope(parts).startsWith('{"operation":{"name":"GetAllSSHKeys"')).toBe(true);
    const failed = failureEnvelope('DeleteSSHKey', new InvalidInputError('bad'), undefined, 'pki');
    expect(failed).toBe(
      '{"name":"DeleteSSHKey","result":{"status":"Failed","message":"bad","statusCode":40001}}',
    );
  });

  it('the dialect is the path prefix, in any case and with doubled slashes', () => {
    expect(dialectOfPath('/api/pki/restapi/getAllSSHKeys')).toBe('pki');
    expect(dialectOfPath('/API/PKI//RestApi/x')).toBe('pki');
    expect(dialectOfPath('/restapi/json/v1/resources')).toBe('pmp');
    expect(dialectOfPath('/api/pki/restapix')).toBe('pmp');
  });
});
