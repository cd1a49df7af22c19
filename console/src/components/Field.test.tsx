/**
 * The labelled controls every form uses, rendered to markup (react-dom/server): the label names
 * its control, an error marks the control invalid and describes it, and the alert region exists
 * before any message so that screen readers announce one when it appears.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { CheckboxField, Field, SelectField } from './Field';
import { FormAlert } from './FormAlert';

/** The attributes of the first `<tag ...>` in `html`. */
function attributes(html: string, tag: string): Record<string, string> {
  const element = new RegExp(`<${tag}\\b([^>]*)>`).exec(html)?.[1] ?? '';
  return Object.fromEntries(
    [...element.matchAll(/([\w-]+)(?:="([^"]*)")?/g)].map((m) => [m[1]!, m[2] ?? '']),
  );
}

function elementWithId(html: string, id: string): string | undefined {
  return new RegExp(`<\\w+ id="${id}"[^>]*>([^<]*)<`).exec(html)?.[1];
}

describe('Field', () => {
  it('labels its input, and leaves it valid and undescribed without an error', () => {
    const html = renderToStaticMarkup(<Field label="User name" name="username" />);
    const input = attributes(html, 'input');
    expect(attributes(html, 'label').for).toBe(input.id);
    expect(input.id).not.toBe('');
    expect(input).not.toHaveProperty('aria-invalid');
    expect(input).not.toHaveProperty('aria-describedby');
  });

  it('marks its input invalid and describes it with the hint and the error, in that order', () => {
    const html = renderToStaticMarkup(
      <Field label="Name" name="name" hint="Unique among resources" error="A resource has this name" />,
    );
    const input = attributes(html, 'input');
    expect(input['aria-invalid']).toBe('true');
    const [hint, error] = (input['aria-describedby'] ?? '').split(' ');
    expect(elementWithId(html, hint!)).toBe('Unique among resources');
    expect(elementWithId(html, error!)).toBe('A resource has this name');
  });

  it('keeps "required" out of the accessible name and tells it with the attribute', () => {
    const html = renderToStaticMarkup(<Field label="Password" name="password" required />);
    expect(/<label[^>]*>([^<]*)<\/label>/.exec(html)?.[1]).toBe('Password');
    expect(attributes(html, 'input')).toHaveProperty('required');
  });

  it('gives two fields on one form different ids', () => {
    const html = renderToStaticMarkup(
      <form>
        <Field label="A" name="a" />
        <SelectField label="B" name="b">
          <option>x</option>
        </SelectField>
        <CheckboxField label="C" name="c" />
      </form>,
    );
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(3);
    expect([...html.matchAll(/ for="([^"]+)"/g)].map((m) => m[1])).toEqual(ids);
  });
});

describe('FormAlert', () => {
  it('is an alert region before it has a message, and shows the message in it', () => {
    expect(renderToStaticMarkup(<FormAlert message={undefined} />)).toBe(
      '<div role="alert" class="alert-empty"></div>',
    );
    expect(renderToStaticMarkup(<FormAlert message="Nothing was saved" />)).toBe(
      '<div role="alert" class="alert alert-error">Nothing was saved</div>',
    );
  });
});
