/**
 * `bulwark sshkeys discover --resource R | --group G`: SSH key discovery (ADR 034) as the local
 * operator, in the CLI's own process: every account's authorized_keys read over the resource's
 * remote reset configuration, stored and audited as over the API. A group shows progress on
 * stderr (a bar on a terminal) and its per-host results on stdout.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { InstanceError } from '../instance.js';
import {
  DISCOVERY_LIMITS,
  type DiscoveryItem,
  type ResourceFindings,
} from '../modules/ssh-keys/discovery.types.js';
import { createProgress, formatSeconds } from './progress.js';
import { operator, out, withDataDir, withInstance, withJson, type InstanceOptions } from './shared.js';

interface DiscoverOptions extends InstanceOptions {
  resource?: string;
  group?: string;
  concurrency?: number;
  timeout?: number;
  json?: boolean;
}

function wholeNumber(min: number, max: number, what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max)
      throw new InvalidArgumentError(`${what} is a whole number from ${min} to ${max}`);
    return n;
  };
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function findingsJson(found: ResourceFindings) {
  return {
    resource: found.resourceName,
    discoveredAt: iso(found.discoveredAt),
    discoveredBy: found.discoveredBy ?? null,
    host: found.host ?? null,
    accounts: found.accounts,
    keys: found.keys.map((k) => ({ ...k, firstSeen: iso(k.firstSeen), lastSeen: iso(k.lastSeen) })),
  };
}

function findingsText(found: ResourceFindings): string {
  const unknown = found.keys.filter((k) => !k.known).length;
  let text = `SSH keys on resource ${found.resourceName} (${found.host ?? '?'}): ${found.keys.length} key(s) in ${found.accounts.length} account(s), ${unknown} unknown to the vault\n`;
  for (const a of found.accounts) {
    const keys = found.keys.filter((k) => k.userName === a.userName);
    if (a.file === 'missing' && keys.length === 0) continue;
    text += `  ${a.userName}: ${a.file}, ${keys.length} key(s)${a.invalid.length > 0 ? `, ${a.invalid.length} invalid line(s)` : ''}\n`;
    for (const k of keys) {
      const known = k.known
        ? `known${k.vaultKeys.length > 0 ? ` as ${k.vaultKeys.join(', ')}` : ''}`
        : 'unknown';
      const options = k.options ? ` [${k.options}]` : '';
      text += `    line ${k.line}: ${k.keyType} ${k.bits} ${k.fingerprint} ${k.comment}${options} (${known})\n`;
    }
    for (const l of a.invalid) text += `    line ${l.line}: invalid (${l.problem})\n`;
  }
  const others = found.accounts.filter((a) => a.file === 'missing').length;
  if (others > 0) text += `  ${others} account(s) without authorized_keys\n`;
  return text;
}

function itemLine(i: DiscoveryItem): string {
  return `    ${i.resource}: ${i.reason ? `${i.reason}: ` : ''}${i.message}\n`;
}

/** Registers `discover` on the `sshkeys` command. */
export function registerSshKeyDiscoveryCommands(keys: Command): void {
  const discover = keys
    .command('discover')
    .description(
      "read every account's authorized_keys on a Linux resource, or on every resource of a group, " +
        'store what was found and match it against the key store; a group shows progress on stderr ' +
        '(a bar on a terminal) and exits 2 when some host failed',
    )
    .addOption(new Option('--resource <name>', 'the resource').conflicts('group'))
    .addOption(new Option('--group <name>', 'the resource group').conflicts('resource'))
    .addOption(
      new Option('--concurrency <n>', 'group: hosts worked on at once (default 8)').argParser(
        wholeNumber(1, DISCOVERY_LIMITS.maxConcurrency, '--concurrency'),
      ),
    )
    .addOption(
      new Option(
        '--timeout <seconds>',
        "group: each host's timeout (default the remote reset timeout)",
      ).argParser(
        wholeNumber(DISCOVERY_LIMITS.minTimeoutMs / 1000, DISCOVERY_LIMITS.maxTimeoutMs / 1000, '--timeout'),
      ),
    );
  withJson(withDataDir(discover), 'print the findings (or the group summary) as one JSON document').action(
    async (options: DiscoverOptions) => {
      if ((options.resource === undefined) === (options.group === undefined))
        throw new InstanceError('name a resource (--resource) or a resource group (--group)');
      await withInstance(options, async (instance) => {
        const discovery = instance.services.sshKeyDiscovery;
        if (options.resource !== undefined) {
          const found = await discovery.discoverResource(operator(), options.resource);
          if (options.json) out(JSON.stringify(findingsJson(found)));
          else process.stdout.write(findingsText(found));
          return;
        }
        const groupId = await discovery.groupIdOf(options.group!);
        let progress: ReturnType<typeof createProgress> | undefined;
        // Ctrl-C: hosts not started are skipped; the ones in flight end within their timeout.
        const abort = new AbortController();
        const onSignal = () => abort.abort();
        process.once('SIGINT', onSignal);
        try {
          const summary = await discovery.runGroup(operator(), groupId, {
            ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
            ...(options.timeout !== undefined ? { timeoutMs: options.timeout * 1000 } : {}),
            signal: abort.signal,
            onStart: (total) => {
              progress = createProgress(process.stderr, total);
            },
            onItem: (item, done) =>
              progress?.item({ label: item.resource, status: item.status, message: item.message }, done),
          });
          progress?.finish();
          if (options.json) out(JSON.stringify(summary));
          else {
            const failed = summary.items.filter((i) => i.status === 'failed');
            const skipped = summary.items.filter((i) => i.status === 'skipped');
            let text = `SSH key discovery of resource group ${summary.group}: ${summary.total} resource(s) in ${formatSeconds(summary.elapsedMs)}\n`;
            text += `  discovered: ${summary.discovered}\n`;
            text += summary.items
              .filter((i) => i.status === 'discovered')
              .map(itemLine)
              .join('');
            text += `  failed: ${failed.length}\n${failed.map(itemLine).join('')}`;
            if (skipped.length > 0) text += `  skipped: ${skipped.length}\n${skipped.map(itemLine).join('')}`;
            process.stdout.write(text);
          }
          if (summary.discovered !== summary.total) process.exitCode = 2;
        } finally {
          process.off('SIGINT', onSignal);
        }
      });
    },
  );
}
