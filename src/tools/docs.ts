/**
 * The reference documentation generated from the code: result codes (docs/api-errors.md), the
 * configuration (docs/configuration.md), the endpoints (docs/endpoints.md) and the command line
 * (docs/cli.md). Each file keeps its hand-written prose; only the part between
 * `<!-- BEGIN GENERATED … -->` and `<!-- END GENERATED … -->` is written here, then the whole file is
 * formatted as `npm run format` would. `npm run docs` writes the files; `npm run docs:check` (part of
 * `npm run check:static`) and test/docs/generated-docs.test.ts fail when a committed file differs.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as prettier from 'prettier';
import { registerConsoleRoutes, registerRoutes } from '../app.js';
import { buildProgram } from '../cli/index.js';
import { CONFIG_VARIABLES } from '../config.js';
import type { PmpRouteSpec } from '../http/server.js';
import { resultCodes } from '../platform/result-codes.js';
import type { Services } from '../services.js';

export interface GeneratedDoc {
  /** Relative to the repository root. */
  readonly file: string;
  /** The marker name: `<!-- BEGIN GENERATED name … -->`. */
  readonly section: string;
  /** The generated Markdown between the markers. */
  readonly body: string;
}

const V1 = '/restapi/json/v1';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

export function resultCodesSection(): string {
  return table(
    ['code', 'HTTP', 'meaning'],
    resultCodes().map((c) => [String(c.code), String(c.http), c.meaning]),
  );
}

export function configurationSection(): string {
  return table(
    ['variable', 'flag', 'default', 'meaning'],
    CONFIG_VARIABLES.map((v) => [`\`${v.name}\``, v.flag ? `\`${v.flag}\`` : '', v.default, v.meaning]),
  );
}

export interface RegisteredRoute {
  readonly module: string;
  readonly method: string;
  readonly url: string;
  readonly operation: string;
  readonly a2a: string;
  /** The names the route's input schema reads (ADR 023). */
  readonly inputFields: readonly string[];
}

/** A stand-in for every service: registering routes only stores them, it calls nothing. */
function inert(): Services {
  const target = () => proxy;
  const proxy: object = new Proxy(target, {
    get: (_t, key) => (key === 'then' ? undefined : proxy),
    apply: () => proxy,
  });
  return proxy as Services;
}

function a2aOf(spec: PmpRouteSpec): string {
  const op = spec.a2aOperation;
  if (op === undefined) return '';
  if (typeof op === 'function') return 'by the input';
  return (typeof op === 'string' ? [op] : op).map((o) => `\`${o}\``).join(', ');
}

/** Every endpoint the server registers, in registration order, with the module that registers it. */
export function registeredRoutes(): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  let module = '';
  registerRoutes(
    {
      add(spec) {
        routes.push({
          module,
          method: spec.method,
          url: spec.url,
          operation: spec.operation,
          a2a: a2aOf(spec),
          inputFields: spec.schema.names,
        });
      },
    },
    inert(),
    undefined,
    (name) => (module = name),
  );
  return routes;
}

export function endpointsSection(): string {
  return table(
    ['method', `path (under \`${V1}\`)`, 'operation', 'A2A operation', 'module'],
    registeredRoutes().map((r) => [
      r.method,
      `\`${r.url.startsWith(V1) ? r.url.slice(V1.length) : r.url}\``.replace(/:(\w+)/g, '{$1}'),
      `\`${r.operation}\``,
      r.a2a,
      `\`${r.module}\``,
    ]),
  );
}

function leafCommands(command: Command, prefix: string): { name: string; command: Command }[] {
  const name = `${prefix} ${command.name()}`.trim();
  if (command.commands.length === 0) return [{ name, command }];
  // A command with options of its own runs by itself too (`bulwark backup` beside `backup verify`).
  const itself = command.options.some((o) => o.long !== '--help') ? [{ name, command }] : [];
  return [...itself, ...command.commands.flatMap((c) => leafCommands(c, name))];
}

export function cliSection(): string {
  const program = buildProgram();
  return program.commands
    .flatMap((c) => leafCommands(c, 'bulwark'))
    .map(({ name, command }) => {
      const args = command.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`));
      const options = command.options
        .filter((o) => o.long !== '--help')
        .map((o) => `- \`${o.flags}\`${o.mandatory ? ' (required)' : ''}: ${o.description}`);
      return [`### \`${[name, ...args].join(' ')}\``, '', `${command.description()}.`, '', ...options].join(
        '\n',
      );
    })
    .join('\n\n');
}

export const GENERATED: readonly { file: string; section: string; generate: () => string }[] = [
  { file: 'docs/api-errors.md', section: 'result-codes', generate: resultCodesSection },
  { file: 'docs/configuration.md', section: 'configuration', generate: configurationSection },
  { file: 'docs/endpoints.md', section: 'endpoints', generate: endpointsSection },
  { file: 'docs/cli.md', section: 'cli', generate: cliSection },
  { file: 'docs/console-api.md', section: 'console-api', generate: consoleApiSection },
];

/** The console's native API (ADR 042), as registered: the OpenAPI document has the schemas. */
export function consoleApiSection(): string {
  const rows: string[][] = [];
  registerConsoleRoutes(
    {
      add(spec) {
        rows.push([
          spec.method,
          `\`${spec.url.replace(/:(\w+)/g, '{$1}')}\``,
          spec.access,
          spec.body ? 'JSON' : '',
          spec.summary,
        ]);
      },
      openApi: () => ({}),
    },
    inert(),
  );
  return table(['method', 'path', 'access', 'body', 'what it does'], rows);
}

function markers(section: string): { begin: string; end: string } {
  return {
    begin: `<!-- BEGIN GENERATED ${section}: do not edit; \`npm run docs\` writes it from the code -->`,
    end: `<!-- END GENERATED ${section} -->`,
  };
}

/** `current` with the section between its markers replaced by `body`, formatted by prettier. */
export async function withSection(
  root: string,
  file: string,
  current: string,
  section: string,
  body: string,
): Promise<string> {
  const { begin, end } = markers(section);
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  if (from < 0 || to < from)
    throw new Error(`${file} lacks the markers of the generated section:\n${begin}\n${end}`);
  const text = `${current.slice(0, from)}${begin}\n\n${body}\n\n${current.slice(to)}`;
  const options = await prettier.resolveConfig(path.join(root, file));
  return prettier.format(text, { ...options, filepath: path.join(root, file) });
}

/** Every generated file as it should be, and as it is on disk. */
export async function generatedFiles(
  root: string,
): Promise<{ file: string; expected: string; actual: string }[]> {
  const files: { file: string; expected: string; actual: string }[] = [];
  for (const { file, section, generate } of GENERATED) {
    const actual = await readFile(path.join(root, file), 'utf8');
    files.push({ file, actual, expected: await withSection(root, file, actual, section, generate()) });
  }
  return files;
}
