import { ImportFileError } from '../import.types.js';

/** An element of an XML document: its attributes, child elements, text, and the line it starts on. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  /** The concatenated character data directly inside the element (entities and CDATA decoded). */
  text: string;
  readonly line: number;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * A small non-validating XML reader for exports such as KeePass 2's: elements, attributes,
 * character data, CDATA, comments and processing instructions. Document type declarations are
 * refused (no entity can expand, no external file is read), as is anything not well formed.
 * Errors name the line, never the text there.
 */
export function parseXml(text: string): XmlElement {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  const fail = (what: string): never => {
    throw new ImportFileError(`XML line ${line}: ${what}`);
  };
  const advance = (to: number) => {
    for (let k = i; k < to; k++) if (text.charCodeAt(k) === 10) line++;
    i = to;
  };
  const decode = (raw: string): string =>
    raw.replace(/&([^;&\s]{1,10});/g, (_, entity: string) => {
      if (entity[0] === '#') {
        const code = entity[1] === 'x' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
        if (!Number.isInteger(code) || code < 1 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
          fail('a character reference that is not a character');
        return String.fromCodePoint(code);
      }
      const known = ENTITIES[entity];
      if (known === undefined) fail('an unknown entity');
      return known!;
    });
  const checkText = (raw: string) => {
    if (/&(?![^;&\s]{1,10};)/.test(raw)) fail('an & that starts no entity');
  };

  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const end = lt === -1 ? n : lt;
    if (end > i) {
      const raw = text.slice(i, end);
      if (stack.length === 0) {
        if (raw.trim() !== '') fail('text outside the root element');
      } else {
        checkText(raw);
        stack[stack.length - 1]!.text += decode(raw);
      }
      advance(end);
    }
    if (i >= n) break;
    if (text.startsWith('<!--', i)) {
      const close = text.indexOf('-->', i + 4);
      if (close === -1) fail('a comment is never closed');
      advance(close + 3);
    } else if (text.startsWith('<![CDATA[', i)) {
      const close = text.indexOf(']]>', i + 9);
      if (close === -1) fail('a CDATA section is never closed');
      if (stack.length === 0) fail('CDATA outside the root element');
      stack[stack.length - 1]!.text += text.slice(i + 9, close);
      advance(close + 3);
    } else if (text.startsWith('<!', i)) {
      fail('document type declarations are not accepted');
    } else if (text.startsWith('<?', i)) {
      const close = text.indexOf('?>', i + 2);
      if (close === -1) fail('a processing instruction is never closed');
      advance(close + 2);
    } else if (text.startsWith('</', i)) {
      const name = NAME.exec(text.slice(i + 2, i + 2 + 256))?.[0];
      if (name === undefined) fail('a closing tag without a name');
      const close = text.indexOf('>', i);
      if (close === -1 || text.slice(i + 2 + name!.length, close).trim() !== '')
        fail('a malformed closing tag');
      const open = stack.pop();
      if (open === undefined || open.name !== name) fail('a closing tag that does not match its opening tag');
      advance(close + 1);
    } else {
      const startLine = line;
      const name = NAME.exec(text.slice(i + 1, i + 1 + 256))?.[0];
      if (name === undefined) fail('a < that starts no tag');
      let k = i + 1 + name!.length;
      const attributes = new Map<string, string>();
      let selfClosing = false;
      for (;;) {
        while (k < n && /\s/.test(text[k]!)) k++;
        if (k >= n) fail('a tag is never closed');
        if (text[k] === '>') break;
        if (text.startsWith('/>', k)) {
          selfClosing = true;
          k++;
          break;
        }
        const attribute = NAME.exec(text.slice(k, k + 256))?.[0];
        if (attribute === undefined) fail('a malformed attribute');
        k += attribute!.length;
        while (k < n && /\s/.test(text[k]!)) k++;
        if (text[k] !== '=') fail('an attribute without a value');
        k++;
        while (k < n && /\s/.test(text[k]!)) k++;
        const quote = text[k];
        if (quote !== '"' && quote !== "'") fail('an attribute value without quotes');
        const close = text.indexOf(quote!, k + 1);
        if (close === -1) fail('an attribute value is never closed');
        const raw = text.slice(k + 1, close);
        if (raw.includes('<')) fail('a < inside an attribute value');
        checkText(raw);
        if (attributes.has(attribute!)) fail('a repeated attribute');
        attributes.set(attribute!, decode(raw));
        k = close + 1;
      }
      const element: XmlElement = { name: name!, attributes, children: [], text: '', line: startLine };
      if (stack.length === 0) {
        if (root !== undefined) fail('a second root element');
        root = element;
      } else stack[stack.length - 1]!.children.push(element);
      if (!selfClosing) stack.push(element);
      advance(k + 1);
    }
  }
  if (stack.length > 0) fail(`element ${stack[stack.length - 1]!.name} is never closed`);
  if (root === undefined) throw new ImportFileError('XML: the file has no root element');
  return root;
}

/** The first child element named `name`. */
export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}
