import { describe, expect, it } from 'vitest';
import { Secret } from '../../platform/crypto/secret.js';
import { RemoteChangeFailure } from './connectors/connector.js';
import { buildTarget, type RotationConfiguration } from './targets.js';

const linux = (over: Partial<RotationConfiguration>): RotationConfiguration => ({
  resourceId: 1,
  resourceName: 'lin-01',
  kind: 'linux',
  host: '10.0.0.5',
  dnsNameNow: '10.0.0.5',
  port: 22,
  prompts: { user: '$', root: '#' },
  landingResourceId: undefined,
  loginAccount: undefined,
  resetAccount: undefined,
  rootAccount: undefined,
  elevation: 'sudo',
  removeEnter: false,
  database: undefined,
  authentication: 'passauth',
  privateKey: undefined,
  passphrase: undefined,
  ...over,
});
const hop = { id: 7, resourceId: 2, name: 'hop' };
const jump = linux({
  resourceId: 2,
  resourceName: 'jump-01',
  host: '10.0.0.1',
  dnsNameNow: '10.0.0.1',
  loginAccount: hop,
});
const self = { name: 'app', password: new Secret('current-1') };
const credentials = new Map([[hop.id, new Secret('hop-password')]]);
const pins = { pinned: () => undefined };

function failureOf(build: () => unknown): RemoteChangeFailure {
  try {
    build();
  } catch (err) {
    if (err instanceof RemoteChangeFailure) return err;
    throw err;
  }
  throw new Error('expected a RemoteChangeFailure');
}

/** ADR 030: a change goes only to the host its configuration was confirmed for. */
describe('buildTarget and the confirmed host', () => {
  it('targets the confirmed host, through the confirmed landing host', () => {
    const { target } = buildTarget(linux({ landingResourceId: 2 }), jump, self, credentials, pins);
    expect(target.endpoint).toEqual({ host: '10.0.0.5', port: 22 });
    expect(target.kind === 'ssh' && target.landing?.endpoint).toEqual({ host: '10.0.0.1', port: 22 });
  });

  it('refuses before anything is sent when the DNSNAME of the resource or its landing server changed', () => {
    const moved = failureOf(() =>
      buildTarget(linux({ dnsNameNow: '10.9.9.9' }), undefined, self, credentials, pins),
    );
    expect(moved.reason).toBe('host-changed');
    expect(moved.targetMayHaveChanged).toBe(false);
    expect(moved.message).toMatch(
      /^the DNS name of resource lin-01 changed from 10\.0\.0\.5 to 10\.9\.9\.9 after/,
    );
    const cleared = failureOf(() =>
      buildTarget(linux({ dnsNameNow: '' }), undefined, self, credentials, pins),
    );
    expect(cleared.message).toMatch(/changed from 10\.0\.0\.5 to \(none\)/);
    const hopMoved = failureOf(() =>
      buildTarget(
        linux({ landingResourceId: 2 }),
        { ...jump, dnsNameNow: '10.9.9.9' },
        self,
        credentials,
        pins,
      ),
    );
    expect(hopMoved.message).toMatch(
      /^the DNS name of landing server jump-01 changed from 10\.0\.0\.1 to 10\.9\.9\.9/,
    );
    for (const f of [moved, cleared, hopMoved]) expect(f.message).not.toMatch(/current-1|hop-password/);
  });
});
