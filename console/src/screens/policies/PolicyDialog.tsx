import { useState } from 'react';
import { api, type PasswordPolicy, type PolicyRules } from '../../api';
import { Dialog } from '../../components/Dialog';
import { CheckboxField, Field, TextAreaField } from '../../components/Field';
import { useFormSubmit } from '../../components/useFormSubmit';
import { FormAlert } from '../../components/FormAlert';

type NumberRule =
  | 'minLength'
  | 'maxLength'
  | 'minUppercase'
  | 'minLowercase'
  | 'minNumerals'
  | 'minSpecials'
  | 'sequenceLength'
  | 'reuseLast'
  | 'similarityLast'
  | 'validityDays';
type FlagRule = Exclude<keyof PolicyRules, NumberRule>;

/** What a new policy starts from in the form: the server's most lenient rules, a usable length. */
const NEW_RULES: PolicyRules = {
  minLength: 12,
  maxLength: 128,
  mixedCase: false,
  minUppercase: 0,
  minLowercase: 0,
  enforceNumerals: false,
  minNumerals: 0,
  enforceSpecials: false,
  minSpecials: 0,
  startWithLetter: false,
  checkDictionary: false,
  checkKeyboardSequence: false,
  checkAlphabetSequence: false,
  checkNumericSequence: false,
  checkConsecutiveSequence: false,
  sequenceLength: 5,
  checkRepeatedSubstring: false,
  allowLoginName: true,
  checkLoginNameAnagram: false,
  checkObviousSubstitution: false,
  reuseLast: 0,
  checkSimilarity: false,
  similarityLast: 0,
  validityDays: 0,
};

const NUMBER_LABELS: Record<NumberRule, { label: string; hint?: string }> = {
  minLength: { label: 'Minimum length' },
  maxLength: { label: 'Maximum length', hint: 'At most 256.' },
  minUppercase: { label: 'Upper-case letters required' },
  minLowercase: { label: 'Lower-case letters required' },
  minNumerals: { label: 'Numerals required' },
  minSpecials: { label: 'Special characters required' },
  sequenceLength: { label: 'Sequence length', hint: '3 to 10: how long a sequence must be to count.' },
  reuseLast: { label: 'Refuse the last N passwords', hint: '0 allows reuse; at most 100.' },
  similarityLast: { label: 'Passwords compared for similarity', hint: 'At most 100.' },
  validityDays: { label: 'Valid for (days)', hint: '0: the password never expires.' },
};

const FLAG_LABELS: Record<FlagRule, string> = {
  mixedCase: 'Upper-case and lower-case letters',
  enforceNumerals: 'Numerals',
  enforceSpecials: 'Special characters',
  startWithLetter: 'Must start with a letter',
  checkDictionary: 'Refuse common words and passwords',
  checkKeyboardSequence: 'Refuse keyboard sequences (qwerty)',
  checkAlphabetSequence: 'Refuse alphabet sequences (abcde)',
  checkNumericSequence: 'Refuse numeric sequences (12345)',
  checkConsecutiveSequence: 'Refuse one character repeated (aaaaa)',
  checkRepeatedSubstring: 'Refuse a repeated block (abcabc)',
  allowLoginName: 'May contain the login name',
  checkLoginNameAnagram: 'Refuse an anagram of the login name',
  checkObviousSubstitution: 'Undo obvious substitutions (p@ssw0rd) before the checks',
  checkSimilarity: 'Refuse passwords similar to earlier ones (Summer2024! after Summer2023!)',
};

const GROUPS: readonly { legend: string; flags: readonly FlagRule[]; numbers: readonly NumberRule[] }[] = [
  { legend: 'Length', flags: [], numbers: ['minLength', 'maxLength'] },
  {
    legend: 'Character classes',
    flags: ['mixedCase', 'enforceNumerals', 'enforceSpecials', 'startWithLetter'],
    numbers: ['minUppercase', 'minLowercase', 'minNumerals', 'minSpecials'],
  },
  {
    legend: 'Words and sequences',
    flags: [
      'checkDictionary',
      'checkObviousSubstitution',
      'checkKeyboardSequence',
      'checkAlphabetSequence',
      'checkNumericSequence',
      'checkConsecutiveSequence',
      'checkRepeatedSubstring',
      'allowLoginName',
      'checkLoginNameAnagram',
    ],
    numbers: ['sequenceLength'],
  },
  {
    legend: 'Reuse and expiry',
    flags: ['checkSimilarity'],
    numbers: ['reuseLast', 'similarityLast', 'validityDays'],
  },
];

const NUMBER_RULES = GROUPS.flatMap((g) => g.numbers);
type FormField = 'name' | 'description' | `rules.${NumberRule}`;
const FORM_FIELDS: readonly FormField[] = [
  'name',
  'description',
  ...NUMBER_RULES.map((r) => `rules.${r}` as const),
];

/** Create a policy (no `policy`) or edit one: every rule the server stores. */
export function PolicyDialog({
  policy,
  opener,
  onClose,
  onSaved,
}: {
  policy?: PasswordPolicy;
  opener: HTMLElement | null;
  onClose: () => void;
  onSaved: (saved: PasswordPolicy) => void;
}) {
  const start = policy?.rules ?? NEW_RULES;
  const [name, setName] = useState(policy?.name ?? '');
  const [description, setDescription] = useState(policy?.description ?? '');
  const [isDefault, setIsDefault] = useState(policy?.isDefault ?? false);
  const [flags, setFlags] = useState<Record<FlagRule, boolean>>(
    () => Object.fromEntries((Object.keys(FLAG_LABELS) as FlagRule[]).map((f) => [f, start[f]])) as never,
  );
  const [numbers, setNumbers] = useState<Record<NumberRule, string>>(
    () => Object.fromEntries(NUMBER_RULES.map((r) => [r, String(start[r])])) as never,
  );
  const { form, errors, busy, submit } = useFormSubmit(FORM_FIELDS);

  function validate() {
    const found: Partial<Record<FormField, string>> = {};
    if (name.trim() === '') found.name = 'Enter a name';
    for (const rule of NUMBER_RULES) {
      if (!/^\d{1,6}$/.test(numbers[rule].trim())) found[`rules.${rule}`] = 'Enter a whole number, 0 or more';
    }
    return found;
  }

  async function save() {
    const rules = {
      ...flags,
      ...Object.fromEntries(NUMBER_RULES.map((r) => [r, Number(numbers[r].trim())])),
    } as PolicyRules;
    const draft = {
      name: name.trim(),
      description: description.trim(),
      ...(policy?.isDefault ? {} : { isDefault }),
      rules,
    };
    const saved = policy
      ? await api.editPasswordPolicy(policy.id, draft)
      : await api.createPasswordPolicy(draft);
    onSaved(saved);
  }

  return (
    <Dialog
      title={policy ? `Edit the password policy ${policy.name}` : 'New password policy'}
      onClose={onClose}
      returnFocusTo={opener}
    >
      <FormAlert message={errors.form} />
      <form ref={form} noValidate onSubmit={submit(save, validate)}>
        <Field
          label="Name"
          name="name"
          required
          autoComplete="off"
          maxLength={100}
          value={name}
          readOnly={policy?.builtIn}
          hint={policy?.builtIn ? 'A built-in policy keeps its name.' : undefined}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <TextAreaField
          label="Description"
          name="description"
          maxLength={250}
          value={description}
          error={errors.description}
          onChange={(e) => setDescription(e.target.value)}
        />
        <CheckboxField
          label="Default policy"
          name="isDefault"
          checked={isDefault}
          disabled={policy?.isDefault}
          hint={
            policy?.isDefault
              ? 'This is the default; make another policy the default to change that.'
              : 'Accounts, resources and users without a policy of their own follow the default.'
          }
          onChange={(e) => setIsDefault(e.target.checked)}
        />
        {GROUPS.map((group) => (
          <fieldset key={group.legend}>
            <legend>{group.legend}</legend>
            {group.flags.map((flag) => (
              <CheckboxField
                key={flag}
                label={FLAG_LABELS[flag]}
                name={flag}
                checked={flags[flag]}
                onChange={(e) => setFlags((current) => ({ ...current, [flag]: e.target.checked }))}
              />
            ))}
            {group.numbers.map((rule) => (
              <Field
                key={rule}
                label={NUMBER_LABELS[rule].label}
                hint={NUMBER_LABELS[rule].hint}
                name={rule}
                type="text"
                inputMode="numeric"
                autoComplete="off"
                required
                value={numbers[rule]}
                error={errors[`rules.${rule}`]}
                onChange={(e) => setNumbers((current) => ({ ...current, [rule]: e.target.value }))}
              />
            ))}
          </fieldset>
        ))}
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Saving…' : policy ? 'Save policy' : 'Create policy'}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}
