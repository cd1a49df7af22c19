import type { Executor } from '../../platform/db/database.js';
import { InvalidInputError } from '../../platform/errors.js';
import type { Secret } from '../../platform/crypto/secret.js';
import { sealedAt } from './sealing.js';
import type { VaultContext } from './vault.context.js';
import { vaultRepository as repo, type CustomFieldRow } from './vault.repository.js';
import {
  CUSTOM_FIELD_COLUMN_PREFIX,
  LIMITS,
  nameKey,
  type CustomFieldInput,
  type CustomFieldType,
  type CustomFieldValue,
} from './vault.types.js';

export type CustomFields = ReturnType<typeof createCustomFields>;

/** Additional fields of resources and accounts; Password-type values are sealed at rest. */
export function createCustomFields({ keyring, unseal }: Pick<VaultContext, 'keyring' | 'unseal'>) {
  /**
   * The additional fields as answers show them. Password-type values are never opened here:
   * they come from the release gate (`released`, by field ID) or are masked (ADR 018).
   */
  async function customFieldValues(
    executor: Executor,
    kind: 'resource' | 'account',
    ownerId: number,
    released: () => Promise<ReadonlyMap<number, Secret> | undefined>,
  ) {
    const rows = await repo.listCustomFields(executor, kind, ownerId);
    const secrets = rows.some((row) => row.value_sealed !== null) ? await released() : undefined;
    return presentCustomFields(rows, (row) =>
      row.value_sealed === null ? (row.value_text ?? '') : (secrets?.get(row.id)?.reveal() ?? MASKED),
    );
  }

  /** Adds or updates additional fields by label (case-insensitive), keeping the others. */
  async function applyCustomFields(
    trx: Executor,
    kind: 'resource' | 'account',
    ownerId: number,
    inputs: readonly CustomFieldInput[],
  ) {
    if (inputs.length === 0) return;
    const existing = await repo.listCustomFields(trx, kind, ownerId);
    const byLabel = new Map(existing.map((row) => [row.label_key, row]));
    let nextPosition = existing.reduce((max, row) => Math.max(max, row.position), 0) + 1;
    const seen = new Set<string>();
    for (const input of inputs) {
      const labelKey = nameKey(input.label);
      if (seen.has(labelKey))
        throw new InvalidInputError(`the additional field "${input.label}" is given twice`);
      seen.add(labelKey);
      const current = byLabel.get(labelKey);
      const type = input.type ?? (current?.field_type as CustomFieldType | undefined) ?? 'Character';
      // No CUSTOMVALUE on an existing field keeps its value (a change of type only).
      const value = input.value?.reveal() ?? (current ? storedCustomValue(current) : '');
      validateCustomValue(input.label, type, value);
      let rowId = current?.id;
      if (rowId === undefined) {
        if (byLabel.size + 1 > LIMITS.customFieldsPerObject) {
          throw new InvalidInputError(
            `a ${kind} can have at most ${LIMITS.customFieldsPerObject} additional fields`,
          );
        }
        rowId = await repo.insertCustomField(trx, {
          owner_kind: kind,
          owner_id: ownerId,
          position: nextPosition++,
          label: input.label,
          label_key: labelKey,
          field_type: type,
          value_text: null,
          value_sealed: null,
        });
        byLabel.set(labelKey, { id: rowId } as CustomFieldRow);
      }
      const secretType = type === 'Password';
      await repo.updateCustomField(trx, rowId, {
        field_type: type,
        value_text: secretType ? null : value,
        value_sealed: secretType ? keyring.seal(value, sealedAt.customField(rowId)) : null,
      });
    }
  }

  function storedCustomValue(row: CustomFieldRow): string {
    if (row.value_sealed === null) return row.value_text ?? '';
    return unseal(row.value_sealed, sealedAt.customField(row.id), `additional field ${row.label}`).toString(
      'utf8',
    );
  }

  return { customFieldValues, applyCustomFields };
}

/** What a Password-type additional field shows when its release is refused. */
export const MASKED = '*****';

function presentCustomFields(
  rows: CustomFieldRow[],
  valueOf: (row: CustomFieldRow) => string,
): CustomFieldValue[] {
  const counters = new Map<string, number>();
  return rows.map((row) => {
    const type = row.field_type as CustomFieldType;
    const n = (counters.get(type) ?? 0) + 1;
    counters.set(type, n);
    return {
      label: row.label,
      type,
      columnName: `${CUSTOM_FIELD_COLUMN_PREFIX[type] ?? 'COLUMN_CHAR'}${n}`,
      value: valueOf(row),
    };
  });
}

const NUMERIC = /^-?\d+(\.\d+)?$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function validateCustomValue(label: string, type: CustomFieldType, value: string): void {
  if (value === '') return;
  const fail = (what: string) =>
    new InvalidInputError(`the additional field "${label}" is of type ${type} and needs ${what}`);
  if (type === 'Numeric' && !NUMERIC.test(value.trim())) throw fail('a number');
  if (type === 'Date' && Number.isNaN(Date.parse(value)))
    throw fail('a date such as 2026-11-23 or Nov 23, 2026');
  if (type === 'Email' && !EMAIL.test(value.trim())) throw fail('an e-mail address');
  if (type === 'URL' && !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(value.trim())) throw fail('a URL');
}
