/** `bulwark policy list|create|edit|delete`: password policies, audited as the operating-system user. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { FieldReader } from '../http/field-reader.js';
import { InstanceError, type OpenInstance } from '../instance.js';
import { policyAttributes, readRuleAttributes, type PolicyDraft } from '../modules/policies/index.js';
import { operator, withDataDir, withInstance, withJson, type InstanceOptions } from './shared.js';

interface PolicyOptions extends InstanceOptions {
  name?: string;
  description?: string;
  default?: boolean;
  set: Record<string, string>;
}

/** `--set "PASSWORD MIN LENGTH=12"`, repeatable: endpoint 77's attribute names. */
function collectSetting(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected ATTRIBUTE=VALUE, e.g. "PASSWORD MIN LENGTH=12"');
  return { ...previous, [value.slice(0, at).trim()]: value.slice(at + 1).trim() };
}

function policyDraft(options: PolicyOptions): PolicyDraft {
  return {
    name: options.name,
    description: options.description,
    isDefault: options.default,
    rules: readRuleAttributes(FieldReader.root(options.set)),
  };
}

async function policyId(instance: OpenInstance, ref: string): Promise<number> {
  const policy = await instance.services.policies.find(instance.database.db, ref);
  if (!policy) throw new InstanceError(`there is no password policy "${ref}"`);
  return policy.id;
}

/** The options `create` and `edit` share. */
function withDraftOptions(command: Command): Command {
  return withDataDir(command)
    .addOption(new Option('--description <text>', 'what the policy is for'))
    .addOption(new Option('--default', 'make it the default policy'))
    .addOption(
      new Option('--set <attribute=value>', 'an attribute as endpoint 77 names it (repeatable)')
        .argParser(collectSetting)
        .default({}),
    );
}

export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('password policies: list, create, edit, delete');

  const list = policy
    .command('list')
    .description('list every password policy (--json: every attribute, as endpoint 77 shows them)');
  withJson(withDataDir(list), 'print the policies as a JSON array').action(
    async (options: InstanceOptions & { json?: boolean }) => {
      await withInstance(options, async (instance) => {
        const policies = await instance.services.policies.list();
        if (options.json) {
          process.stdout.write(JSON.stringify(policies.map(policyAttributes)) + '\n');
          return;
        }
        for (const p of policies) {
          const tags = [p.isDefault ? 'default' : '', p.builtIn ? 'built-in' : ''].filter(Boolean).join(', ');
          process.stdout.write(`${p.id}\t${p.name}${tags ? ` (${tags})` : ''}\t${p.description}\n`);
        }
      });
    },
  );

  const create = policy
    .command('create')
    .description('create a custom policy; unset attributes are the most lenient');
  withDraftOptions(create)
    .requiredOption('--name <name>', 'the policy name')
    .action(async (options: PolicyOptions) => {
      await withInstance(options, async (instance) => {
        const saved = await instance.services.policies.create(operator(), policyDraft(options));
        process.stdout.write(`Password policy ${saved.name} (${saved.id}) created.\n`);
      });
    });

  const edit = policy
    .command('edit <policy>')
    .description('change attributes of a policy (by id or name); unset attributes keep their value');
  withDraftOptions(edit)
    .option('--name <name>', 'a new name (only for a policy not in use)')
    .action(async (ref: string, options: PolicyOptions) => {
      await withInstance(options, async (instance) => {
        const policies = instance.services.policies;
        const saved = await policies.edit(operator(), await policyId(instance, ref), policyDraft(options));
        process.stdout.write(`Password policy ${saved.name} (${saved.id}) modified.\n`);
      });
    });

  const remove = policy
    .command('delete <policy>')
    .description('delete a custom policy (by id or name) that no resource, account or user uses');
  withDataDir(remove).action(async (ref: string, options: InstanceOptions) => {
    await withInstance(options, async (instance) => {
      const name = await instance.services.policies.delete(operator(), await policyId(instance, ref));
      process.stdout.write(`Password policy ${name} deleted.\n`);
    });
  });
}
