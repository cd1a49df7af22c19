import { describe, it, expect } from 'vitest';
import { RESOURCE_TYPES, findResourceType, resourceTypesContaining } from './resource-types.js';

const REQUIRED_NAMES = [
  'Linux',
  'Windows',
  'Windows Domain',
  'MS SQL server',
  'MySQL server',
  'PostgreSQL',
  'Oracle DB server',
  'Sybase ASE',
  'DB2',
  'MongoDB',
  'Cisco IOS',
  'Cisco CatOS',
  'Cisco PIX',
  'Cisco ASA',
  'Juniper Netscreen',
  'Juniper',
  'HP ProCurve',
  'HP UNIX',
  'IBM AIX',
  'Solaris',
  'Mac',
  'VMware ESXi',
  'AWS IAM',
  'Rackspace',
  'Google Apps',
  'Microsoft Azure',
  'Salesforce',
  'WebLogic Server',
  'WebSphere',
  'LDAP Server',
  'Brocade',
  'Brocade SAN Switch',
  'Brocade VDX',
  'Dell iDRAC',
  'HP iLO',
  'F5',
  'Fortigate',
  'Palo Alto',
  'pfSense',
  'Website',
  'Web Site Accounts',
  'File Store',
  'Key Store',
  'License Store',
  'Generic Keys',
  'Generic',
];

describe('RESOURCE_TYPES', () => {
  it('has unique names (ignoring case and spacing) and unique positive integer OSIDs', () => {
    const names = RESOURCE_TYPES.map((t) => t.name.trim().replace(/\s+/g, ' ').toLowerCase());
    expect(new Set(names).size).toBe(RESOURCE_TYPES.length);
    const ids = RESOURCE_TYPES.map((t) => t.osId);
    expect(new Set(ids).size).toBe(RESOURCE_TYPES.length);
    for (const id of ids) {
      expect(Number.isInteger(id)).toBe(true);
      expect(id).toBeGreaterThan(0);
    }
  });

  it('contains every required type with its exact PMP spelling', () => {
    const names = new Set(RESOURCE_TYPES.map((t) => t.name));
    for (const name of REQUIRED_NAMES) expect(names.has(name), name).toBe(true);
  });

  it('keeps the Brocade entries of the doc sample', () => {
    expect(findResourceType('Brocade')?.osId).toBe(40);
    expect(findResourceType('Brocade SAN Switch')?.osId).toBe(42);
    expect(findResourceType('Brocade VDX')?.osId).toBe(41);
    const brocade = findResourceType('Brocade');
    expect(brocade).toMatchObject({
      category: 'network',
      commandSet: ['Brocade'],
      syncSupported: false,
      syncType: 'CustomCli',
      customResourceTypeOf: 'Windows',
      isCertificate: false,
      resourceAttributes: [
        'DNS Name / IP Address',
        'Group Name',
        'Resource Description',
        'Department',
        'Resource URL',
        'Location',
        'Password Policy',
        'Resource Name',
      ],
      accountAttributes: ['Password Policy', 'Private Key', 'Notes', 'User Account', 'User Account Password'],
    });
  });

  it('marks every file-based type as type-locked, and locks exactly the types the doc names', () => {
    for (const t of RESOURCE_TYPES.filter((x) => x.fileBased)) expect(t.typeLocked, t.name).toBe(true);
    const locked = RESOURCE_TYPES.filter((t) => t.typeLocked)
      .map((t) => t.name)
      .sort();
    expect(locked).toEqual(['AWS IAM', 'File Store', 'Key Store', 'License Store', 'Rackspace']);
    const fileBased = RESOURCE_TYPES.filter((t) => t.fileBased)
      .map((t) => t.name)
      .sort();
    expect(fileBased).toEqual(['File Store', 'Key Store', 'License Store']);
  });

  it('marks the usual remote-reset targets as sync-supported', () => {
    for (const name of [
      'Linux',
      'Windows',
      'Windows Domain',
      'MS SQL server',
      'Cisco IOS',
      'VMware ESXi',
      'AWS IAM',
    ]) {
      expect(findResourceType(name)?.syncSupported, name).toBe(true);
    }
    for (const name of ['File Store', 'Website', 'Generic']) {
      expect(findResourceType(name)?.syncSupported, name).toBe(false);
    }
  });

  it('uses [name] as the command set', () => {
    for (const t of RESOURCE_TYPES) expect(t.commandSet).toEqual([t.name]);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(RESOURCE_TYPES)).toBe(true);
    const linux = findResourceType('Linux');
    expect(linux && Object.isFrozen(linux)).toBe(true);
  });
});

describe('findResourceType', () => {
  it('ignores case, surrounding whitespace and runs of internal spaces', () => {
    const mssql = findResourceType('MS SQL server');
    expect(mssql?.name).toBe('MS SQL server');
    expect(findResourceType('ms sql server')).toBe(mssql);
    expect(findResourceType('  MS   SQL\tSERVER ')).toBe(mssql);
    expect(findResourceType(' Linux ')?.name).toBe('Linux');
    expect(findResourceType('LINUX')?.name).toBe('Linux');
  });

  it('does no fuzzy matching', () => {
    expect(findResourceType('MSSQL Server')).toBeUndefined();
    expect(findResourceType('Lin')).toBeUndefined();
    expect(findResourceType('')).toBeUndefined();
  });
});

describe('resourceTypesContaining', () => {
  it('returns exactly the three Brocade types for ["brocade"], in PMP order', () => {
    expect(resourceTypesContaining(['brocade']).map((t) => t.name)).toEqual([
      'Brocade',
      'Brocade SAN Switch',
      'Brocade VDX',
    ]);
    expect(resourceTypesContaining(['BROCADE']).map((t) => t.osId)).toEqual([40, 42, 41]);
  });

  it('returns all types for an empty list', () => {
    expect(resourceTypesContaining([])).toEqual([...RESOURCE_TYPES]);
  });

  it('matches any of several substrings', () => {
    const names = resourceTypesContaining(['cisco', 'juniper']).map((t) => t.name);
    expect(names).toEqual(RESOURCE_TYPES.filter((t) => /cisco|juniper/i.test(t.name)).map((t) => t.name));
    expect(names).toContain('Juniper Netscreen');
    expect(names).not.toContain('Linux');
  });

  it('returns nothing when nothing matches', () => {
    expect(resourceTypesContaining(['no such type'])).toEqual([]);
  });
});
