/**
 * The standard PMP resource-type catalogue. PMP ships these types built in
 * (ISDEFAULT_SUPPORTED_RESOURCETYPE); clients send them by name and expect the same names, OSIDs and
 * flags back from `GET /restapi/json/v1/resources/resourcetypes`. They never change at run time, so
 * they live here as static, frozen data rather than in the database: no migration, no seeding, nothing
 * an admin can break.
 *
 * Conventions taken from the sample answer of "Get all Resource Types": the Brocade entries (OSIDs 40, 41,
 * 42) are copied verbatim, including CUSTOMRESOURCETYPE 'Windows', which PMP uses as the base of types that
 * are neither Unix-like nor a domain. Unix-like systems reset over SSH use base 'Linux'. The catalogue is
 * kept sorted by name (case-insensitive), the order in which PMP lists types.
 */

export interface ResourceTypeDefinition {
  readonly name: string;
  readonly osId: number;
  readonly category: string;
  readonly commandSet: readonly string[];
  /** ISSYNCSUPPORTED: whether the password can be reset on the target (remote password reset). */
  readonly syncSupported: boolean;
  readonly syncType: string;
  readonly customResourceTypeOf: string;
  readonly isCertificate: boolean;
  /** File Store, License Store, Key Store: the account carries an uploaded file. */
  readonly fileBased: boolean;
  /**
   * The resource type cannot be changed to or from this type on edit (Key Store, File Store, License Store,
   * Rackspace, AWS IAM per the doc).
   */
  readonly typeLocked: boolean;
  readonly resourceAttributes: readonly string[];
  readonly accountAttributes: readonly string[];
}

const SERVER_RESOURCE_ATTRIBUTES: readonly string[] = Object.freeze([
  'DNS Name / IP Address',
  'Group Name',
  'Resource Description',
  'Department',
  'Resource URL',
  'Location',
  'Password Policy',
  'Resource Name',
]);

const SERVER_ACCOUNT_ATTRIBUTES: readonly string[] = Object.freeze([
  'Password Policy',
  'Private Key',
  'Notes',
  'User Account',
  'User Account Password',
]);

/** Stores of files have no host to reach: no DNS name / IP address. */
const FILE_RESOURCE_ATTRIBUTES: readonly string[] = Object.freeze([
  'Group Name',
  'Resource Description',
  'Department',
  'Resource URL',
  'Location',
  'Password Policy',
  'Resource Name',
]);

const FILE_ACCOUNT_ATTRIBUTES: readonly string[] = Object.freeze([
  'Password Policy',
  'File',
  'Notes',
  'User Account',
  'User Account Password',
]);

const LICENSE_ACCOUNT_ATTRIBUTES: readonly string[] = Object.freeze([
  'Password Policy',
  'License Key',
  'File',
  'Notes',
  'User Account',
  'User Account Password',
]);

interface DefinitionOptions {
  /** Defaults to `syncType !== 'None'`. */
  readonly syncSupported?: boolean;
  /** Defaults to 'Windows', as in the doc sample. */
  readonly customResourceTypeOf?: string;
  readonly isCertificate?: boolean;
  readonly fileBased?: boolean;
  readonly typeLocked?: boolean;
  readonly resourceAttributes?: readonly string[];
  readonly accountAttributes?: readonly string[];
}

function define(
  name: string,
  osId: number,
  category: string,
  syncType: string,
  options: DefinitionOptions = {},
): ResourceTypeDefinition {
  return Object.freeze({
    name,
    osId,
    category,
    commandSet: Object.freeze([name]),
    syncSupported: options.syncSupported ?? syncType !== 'None',
    syncType,
    customResourceTypeOf: options.customResourceTypeOf ?? 'Windows',
    isCertificate: options.isCertificate ?? false,
    fileBased: options.fileBased ?? false,
    typeLocked: options.typeLocked ?? false,
    resourceAttributes: options.resourceAttributes ?? SERVER_RESOURCE_ATTRIBUTES,
    accountAttributes: options.accountAttributes ?? SERVER_ACCOUNT_ATTRIBUTES,
  });
}

const OS = 'operating system';
const DB = 'database';
const NET = 'network';
const UNIX: DefinitionOptions = { customResourceTypeOf: 'Linux' };
const FILE_STORE: DefinitionOptions = {
  fileBased: true,
  typeLocked: true,
  resourceAttributes: FILE_RESOURCE_ATTRIBUTES,
  accountAttributes: FILE_ACCOUNT_ATTRIBUTES,
};

const DEFINITIONS: readonly ResourceTypeDefinition[] = [
  // Operating systems
  define('Windows', 1, OS, 'Windows'),
  define('Windows Domain', 2, 'directory', 'WindowsDomain', { customResourceTypeOf: 'Windows Domain' }),
  define('Linux', 3, OS, 'SSH', UNIX),
  define('Mac', 4, OS, 'SSH', UNIX),
  define('HP UNIX', 5, OS, 'SSH', UNIX),
  define('IBM AIX', 6, OS, 'SSH', UNIX),
  define('Solaris', 7, OS, 'SSH', UNIX),

  // Databases
  define('MS SQL server', 10, DB, 'JDBC'),
  define('MySQL server', 11, DB, 'JDBC'),
  define('Oracle DB server', 12, DB, 'JDBC'),
  define('Sybase ASE', 13, DB, 'JDBC'),
  define('PostgreSQL', 14, DB, 'JDBC'),
  define('DB2', 15, DB, 'JDBC'),
  define('MongoDB', 16, DB, 'None'),

  // Network devices
  define('Cisco IOS', 20, NET, 'SSH'),
  define('Cisco CatOS', 21, NET, 'SSH'),
  define('Cisco PIX', 22, NET, 'SSH'),
  define('Cisco ASA', 23, NET, 'SSH'),
  define('Juniper Netscreen', 24, NET, 'SSH'),
  define('Juniper', 25, NET, 'SSH'),
  define('HP ProCurve', 26, NET, 'SSH'),
  define('HP iLO', 27, NET, 'SSH'),
  define('Dell iDRAC', 28, NET, 'SSH'),
  define('F5', 29, NET, 'SSH'),
  define('Fortigate', 30, NET, 'SSH'),
  define('Palo Alto', 31, NET, 'SSH'),
  define('pfSense', 32, NET, 'None'),
  // Verbatim from the doc sample: CustomCli sync type, but no remote reset.
  define('Brocade', 40, NET, 'CustomCli', { syncSupported: false }),
  define('Brocade VDX', 41, NET, 'CustomCli', { syncSupported: false }),
  define('Brocade SAN Switch', 42, NET, 'CustomCli', { syncSupported: false }),

  // Virtualization
  define('VMware ESXi', 50, 'virtualization', 'SSH', UNIX),

  // Cloud and SaaS
  define('AWS IAM', 60, 'cloud', 'AWS', { typeLocked: true }),
  define('Rackspace', 61, 'cloud', 'None', { typeLocked: true }),
  define('Google Apps', 62, 'cloud', 'None'),
  define('Microsoft Azure', 63, 'cloud', 'None'),
  define('Salesforce', 64, 'cloud', 'None'),

  // Applications and directories
  define('WebLogic Server', 70, 'application', 'None'),
  define('WebSphere', 71, 'application', 'None'),
  define('LDAP Server', 72, 'directory', 'LDAP'),
  define('Generic Keys', 73, 'application', 'None'),
  define('Generic', 74, 'application', 'None'),

  // Web
  define('Website', 80, 'web', 'None'),
  define('Web Site Accounts', 81, 'web', 'None'),

  // Stores of uploaded files
  define('File Store', 90, 'file', 'None', FILE_STORE),
  define('Key Store', 91, 'file', 'None', { ...FILE_STORE, isCertificate: true }),
  define('License Store', 92, 'file', 'None', {
    ...FILE_STORE,
    accountAttributes: LICENSE_ACCOUNT_ATTRIBUTES,
  }),
];

/** Trim, collapse internal runs of whitespace to one space, lower-case. */
function normalize(value: string): string {
  return value.trim().replace(/\s+/g, ' ').toLowerCase();
}

export const RESOURCE_TYPES: readonly ResourceTypeDefinition[] = Object.freeze(
  [...DEFINITIONS].sort((a, b) => {
    const x = a.name.toLowerCase();
    const y = b.name.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }),
);

const BY_NAME: ReadonlyMap<string, ResourceTypeDefinition> = new Map(
  RESOURCE_TYPES.map((type) => [normalize(type.name), type] as const),
);

/** Case-insensitive lookup by name, tolerant of surrounding whitespace and internal runs of spaces. */
export function findResourceType(name: string): ResourceTypeDefinition | undefined {
  if (typeof name !== 'string') return undefined;
  return BY_NAME.get(normalize(name));
}

/** Entries whose name contains any of the given substrings (case-insensitive); empty list = all. */
export function resourceTypesContaining(substrings: readonly string[]): ResourceTypeDefinition[] {
  const needles = substrings.filter((s): s is string => typeof s === 'string').map(normalize);
  if (substrings.length === 0) return [...RESOURCE_TYPES];
  return RESOURCE_TYPES.filter((type) => {
    const haystack = normalize(type.name);
    return needles.some((needle) => haystack.includes(needle));
  });
}
