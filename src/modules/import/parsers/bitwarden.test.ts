import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBitwarden } from './bitwarden.js';

const fixture = readFileSync(
  new URL('../../../../test/fixtures/import/bitwarden.json', import.meta.url),
  'utf8',
);

describe('Bitwarden JSON', () => {
  it('reads login items with their folder; other item types are skipped by name', () => {
    const rows = parseBitwarden(fixture);
    const summary = rows.map((r) =>
      r.ok
        ? [
            r.row,
            r.record.resourceName,
            r.record.accountName,
            r.record.resourceGroup,
            r.record.password.reveal(),
          ]
        : [r.row, r.resource, r.account, r.reason],
    );
    expect(summary).toEqual([
      [1, 'jump-host', 'bastion', 'Servers', 'Jk4%wPz7Nc\\"é'],
      [2, 'Recovery codes', '', 'bad type: a secure note item, not a login'],
      [3, 'GitLab', 'ci-bot', 'Web', 'Rb6^yHn3Vq'],
      [4, 'Company card', '', 'bad type: a card item, not a login'],
      [5, 'Mystery', '', 'missing field: login.username'],
      [6, 'gitlab', 'CI-Bot', 'Web', 'Xt7&uMw2Kp'],
    ]);
    const gitlab = rows[2]!;
    if (!gitlab.ok) throw new Error('expected a record');
    expect(gitlab.record.url).toBe('https://gitlab.example.com/users/sign_in');
    expect(gitlab.record.dnsName).toBe('gitlab.example.com');
    expect(gitlab.record.notes).toBe('CI bot; token rotates monthly');
  });

  it.each([
    ['{"items": [', 'not JSON'],
    ['[]', 'no "items" list'],
    ['{"encrypted": true, "encKeyValidation_DO_NOT_EDIT": "2.x", "items": []}', 'encrypted'],
    ['{"items": [], "folders": {}}', '"folders" is not a list'],
  ])('refuses %j', (json, message) => {
    expect(() => parseBitwarden(json)).toThrow(message);
  });
});
