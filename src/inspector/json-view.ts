// A delivery's body as indented JSON in HTML, with each violation marked where it fails: the
// value its pointer names or, for a missing field, the object that lacks it. Written by hand
// because a pretty-printer knows nothing of JSON pointers, and the marks must sit on the values.
import { html } from 'ghtml';
import { describeViolation, escapePointerToken, type Violation } from '../contract/validation.ts';

/** The pointer of the deepest value that exists along `pointer`: the place to mark. */
function existingPlace(document: unknown, pointer: string): string {
  let place = '';
  let value = document;
  for (const token of pointer.split('/').slice(1)) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) break;
    value = (value as Record<string, unknown>)[key];
    place = `${place}/${token}`;
  }
  return place;
}

/** Bodies nested deeper than this are shown as received: indenting them would recurse that deep, and their indentation would outgrow them. */
export const deepestIndented = 100;

/** Whether JSON text nests arrays and objects deeper than `deepestIndented`: a scan of the text, without recursion. */
export function nestedTooDeeply(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') {
      depth += 1;
      if (depth > deepestIndented) return true;
    } else if (char === '}' || char === ']') depth -= 1;
  }
  return false;
}

/**
 * The body indented, violations marked (each mark's id is `violation-<n>`, n from 1). Undefined
 * when the body is not JSON, or is nested too deeply (see nestedTooDeeply).
 */
export function markedJson(body: string, violations: readonly Violation[]): string | undefined {
  if (nestedTooDeeply(body)) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return undefined;
  }
  const marks = new Map<string, { numbers: number[]; messages: string[] }>();
  violations.forEach((violation, index) => {
    const place = existingPlace(document, violation.pointer);
    const mark = marks.get(place) ?? { numbers: [], messages: [] };
    mark.numbers.push(index + 1);
    mark.messages.push(describeViolation(violation));
    marks.set(place, mark);
  });

  const render = (value: unknown, pointer: string, indent: string): string => {
    const inner = `${indent}  `;
    let text: string;
    if (Array.isArray(value)) {
      text =
        value.length === 0
          ? '[]'
          : `[\n${value.map((item, index) => inner + render(item, `${pointer}/${index}`, inner)).join(',\n')}\n${indent}]`;
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      text =
        entries.length === 0
          ? '{}'
          : `{\n${entries
              .map(
                ([key, item]) =>
                  html`${inner}<span class="key">${JSON.stringify(key)}</span>: ` +
                  render(item, `${pointer}/${escapePointerToken(key)}`, inner),
              )
              .join(',\n')}\n${indent}}`;
    } else {
      text = html`${JSON.stringify(value)}`;
    }
    const mark = marks.get(pointer);
    if (!mark) return text;
    const note = mark.numbers.map((n) => `(${n})`).join(' ');
    return html`<mark id="violation-${mark.numbers[0]}" title="${mark.messages.join('\n')}">!${text}</mark><span class="violation-note" aria-hidden="true"> ← ${note}</span>`;
  };
  return render(document, '', '');
}
