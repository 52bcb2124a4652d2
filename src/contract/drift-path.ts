// How drift names a place in a delivery, and reads the name back: `data.content.buttons[].label`.
// A sender chooses the field names, and any text is a name, so each step is unambiguous: a plain
// name after a dot, any other name in brackets as a JSON string (`data["ended_by.satisfaction"]`),
// an array's items (all of them) as `[]`. A name that holds a line break or an invisible character
// shows it escaped (`data["a\nb"]`, `data["a\u200bb"]`), so that a path is one visible line.

/** The step into an array's items, any of them. */
export const anyItem = Symbol('[]');
/** One step of a path: into the property of that name, or into an array's items. */
export type PathStep = string | typeof anyItem;

/** A name written after a dot: ASCII letters, digits and `_`, not starting with a digit. */
const plainNameSource = '[A-Za-z_][A-Za-z0-9_]*';
const plainName = new RegExp(`^${plainNameSource}$`);
/** What JSON.stringify leaves as it is and a reader would not see as one character: controls, format, separators but the space. */
const unseen = /(?! )[\p{C}\p{Z}]/gu;

const escapedUnits = (character: string) =>
  [...Array(character.length).keys()].map((index) => `\\u${character.charCodeAt(index).toString(16).padStart(4, '0')}`).join('');

/** Text with every character one does not see as `\uXXXX`. */
export const visibleText = (text: string): string => text.replace(unseen, escapedUnits);

/** Text as JSON writes it, with every character one does not see escaped as well: what JSON.parse reads back exactly. */
export const visibleJson = (text: string): string => visibleText(JSON.stringify(text));

/** The path to the property `name` of what `path` leads to. */
export const propertyPath = (path: string, name: string): string =>
  plainName.test(name) ? (path === '' ? name : `${path}.${name}`) : `${path}[${visibleJson(name)}]`;

/** The path to the items of the array that `path` leads to. */
export const itemsPath = (path: string): string => `${path}[]`;

/** The path of these steps. */
export const pathOfSteps = (steps: readonly PathStep[]): string =>
  steps.reduce<string>((path, step) => (step === anyItem ? itemsPath(path) : propertyPath(path, step)), '');

// A step as pathOfSteps writes it: `[]`, a JSON string in brackets, or a plain name, after a dot but for the first step.
const jsonString = String.raw`"(?:[^"\\\p{Cc}]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4})*"`;
const step = new RegExp(String.raw`\[\]|\[(${jsonString})\]|(\.?)(${plainNameSource})`, 'uy');

/** The steps of a path as pathOfSteps writes it; undefined for any other text (a path cut short, a name an older receiver kept after a dot). */
export function stepsOf(path: string): PathStep[] | undefined {
  const steps: PathStep[] = [];
  step.lastIndex = 0;
  while (step.lastIndex < path.length) {
    const at = step.lastIndex;
    const match = step.exec(path);
    if (!match) return undefined;
    const [whole, quoted, dot, name] = match;
    if (name !== undefined && (dot === '') !== (at === 0)) return undefined;
    steps.push(whole === '[]' ? anyItem : quoted !== undefined ? (JSON.parse(quoted) as string) : name!);
  }
  return steps;
}
