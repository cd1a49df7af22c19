import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOrigin } from '../../platform/principal.js';
import { openInProcessServices, type InProcessServices } from '../../../test/helpers/in-process.js';
import { opensslCerts, type OpensslCerts } from '../../../test/helpers/openssl-certs.js';
import { certificatesDerOf } from './certificate-parsing.js';

/**
 * storeFound, what discovery (ADR 037) stores a served chain with: each certificate once by
 * SHA-256, where it was found recorded and refreshed, the chain linked, what was new answered.
 */
describe('certificates service: storeFound', () => {
  const origin: CallOrigin = { clientIp: '127.0.0.1', client: 'REST API' };
  let now = Date.UTC(2026, 11, 5, 10);
  let opened: InProcessServices;
  let o: OpensslCerts;
  let chain: Buffer[];

  beforeAll(async () => {
    o = opensslCerts();
    const rootKey = o.key('root', 'ec:P-256');
    const root = o.cert('root', { key: rootKey, subject: '/CN=Found Root', ca: true });
    const interKey = o.key('inter', 'ec:P-256');
    const inter = o.cert('inter', {
      key: interKey,
      subject: '/CN=Found Intermediate',
      issuer: { cert: root, key: rootKey },
      ca: true,
    });
    const leaf = o.cert('leaf', {
      key: o.key('leaf', 'rsa:2048'),
      subject: '/CN=found.example',
      issuer: { cert: inter, key: interKey },
    });
    // As a server serves it: leaf first, then the intermediate (the root is usually left out).
    chain = [leaf, inter].map((f) => certificatesDerOf(o.file(f))[0]!);
    chain.push(certificatesDerOf(o.file(root))[0]!);
    opened = await openInProcessServices({ now: () => now }, origin);
  }, 60_000);

  afterAll(async () => {
    await opened?.close();
    o?.cleanup();
  });

  it('stores each certificate once, records and refreshes where it was found, links the chain', async () => {
    const { services, admin, database } = opened;
    const at = { host: '127.0.0.2', port: 8443, servername: 'found.example' };
    const first = await services.certificates.storeFound(database.db, admin, chain.slice(0, 2), at);
    expect(first.added.map((c) => [c.commonName, c.source])).toEqual([
      ['found.example', 'discovered'],
      ['Found Intermediate', 'discovered'],
    ]);
    expect(first.added[0]!.issuerId).toBe(first.added[1]!.id);

    now += 60_000;
    const again = await services.certificates.storeFound(database.db, admin, chain, at);
    expect(again.added.map((c) => c.commonName)).toEqual(['Found Root']);
    expect(again.known.map((c) => c.commonName)).toEqual(['found.example', 'Found Intermediate']);
    const elsewhere = { host: '127.0.0.3', port: 443, servername: '' };
    await database.db
      .transaction()
      .execute((trx) => services.certificates.storeFound(trx, admin, chain.slice(0, 1), elsewhere));

    const leafId = first.added[0]!.id;
    const interId = first.added[1]!.id;
    const locations = await services.certificates.locations([leafId, interId]);
    expect(locations.get(leafId)).toEqual([
      { ...at, firstSeen: now - 60_000, lastSeen: now },
      { ...elsewhere, firstSeen: now, lastSeen: now },
    ]);
    const rows = await database.db
      .selectFrom('certificates')
      .select(['common_name', 'issuer_id', 'id'])
      .execute();
    const byName = new Map(rows.map((r) => [r.common_name, r]));
    expect(Number(byName.get('Found Intermediate')!.issuer_id)).toBe(Number(byName.get('Found Root')!.id));
    expect(rows).toHaveLength(3);

    const audit = await database.db
      .selectFrom('audit_records')
      .select(['operation', 'reason'])
      .where('operation', '=', 'Certificate Discovered')
      .execute();
    expect(audit).toHaveLength(3);
    expect(audit[0]!.reason).toBe('found at 127.0.0.2:8443 (SNI found.example)');

    // A listing of every certificate asks for the locations of more ids than one statement binds.
    const many = Array.from({ length: 40_000 }, (_, i) => i + 1);
    const all = await services.certificates.locations(many);
    expect(all.get(leafId)).toHaveLength(2);
    expect(all.get(interId)).toEqual(locations.get(interId));

    // Adding a certificate discovery already stored is refused, not duplicated.
    await expect(
      services.certificates.add(admin, { certificate: o.file(`${o.dir}/leaf.pem`) }),
    ).rejects.toThrow(/already in the repository/);
  });
});

/**
 * A keystore is opened by the service only for a caller who may add (review of issue 15): an
 * application is refused before its password is tried or anything in the file is parsed.
 */
describe('certificates service: adding a keystore', () => {
  const origin: CallOrigin = { clientIp: '127.0.0.1', client: 'REST API' };
  let opened: InProcessServices;

  beforeAll(async () => {
    opened = await openInProcessServices({ now: () => Date.now() }, origin);
  }, 60_000);
  afterAll(async () => {
    await opened?.close();
  });

  it('refuses an application before opening the file, and opens it for a user', async () => {
    const { services, admin } = opened;
    const application = {
      ...admin,
      principal: { ...admin.principal, application: { name: 'robot', operations: [] } },
    };
    // Junk that would be refused as "not a keystore" if it were read at all.
    const junk = { keystore: Buffer.from('not a keystore at all'), password: 'wrong' };
    await expect(services.certificates.add(application, junk)).rejects.toThrow(
      'The application robot is not allowed to add certificates',
    );
    await expect(services.certificates.add(admin, junk)).rejects.toThrow(/not a PKCS#12 or JKS keystore/);
  });
});
