// Reading settings, from the environment (the service) or from createReceiver's options (the
// library), with one set of parsers: every problem is gathered and reported at once, naming the
// setting as the person gave it (its variable or its option), what is wrong, and an example.
import leven from 'leven';

export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** What a parser returns for a value it cannot accept. */
export class Invalid {
  readonly reason: string;
  /** An example closer to the value given than the setting's usual one. */
  readonly example: string | undefined;

  constructor(reason: string, example?: string) {
    this.reason = reason;
    this.example = example;
  }
}

/** One setting, by its two names: the environment variable of the service, the option of createReceiver. */
export interface Setting {
  /** Absent for an option that the service does not read from its environment. */
  variable?: string;
  option: string;
  /** Its value never appears in a message. */
  secret?: boolean;
}

type Naming = 'variable' | 'option';

export class SettingsReader {
  readonly problems: string[] = [];
  readonly #source: Record<string, unknown>;
  readonly #naming: Naming;
  readonly #rejected = new Set<Setting>();

  /** `source`: the environment (by variable), or createReceiver's options (by option). */
  constructor(source: Record<string, unknown>, naming: Naming) {
    this.#source = source;
    this.#naming = naming;
  }

  nameOf(setting: Setting): string {
    return (this.#naming === 'variable' && setting.variable) || setting.option;
  }

  /** How an example value is written where this reader's settings come from. */
  exampleOf(setting: Setting, example: string): string {
    if (this.#naming === 'variable' && setting.variable) return `${setting.variable}=${example}`;
    return `${setting.option}: ${/^\d+$/.test(example) ? example : JSON.stringify(example)}`;
  }

  /**
   * The setting parsed, or `fallback` when it is unset or blank (or invalid, with a problem
   * noted). Options are read as the text an environment variable would hold (numbers as digits,
   * lists comma-separated), so that both go through the same parser and get the same messages.
   */
  read<T>(setting: Setting, fallback: T, parse: (raw: string) => T | Invalid, example: string): T {
    // An option of the library alone is not read from the environment, even by its option's name.
    if (this.#naming === 'variable' && !setting.variable) return fallback;
    const raw = textOf(this.#source[this.nameOf(setting)])?.trim();
    if (raw === undefined || raw === '') return fallback;
    const parsed = parse(raw);
    if (!(parsed instanceof Invalid)) return parsed;
    const got = setting.secret ? `${raw.length} characters (not shown)` : JSON.stringify(withoutPassword(raw));
    this.problems.push(
      `${this.nameOf(setting)} ${parsed.reason}, got ${got}. Example: ${this.exampleOf(setting, parsed.example ?? example)}`,
    );
    this.#rejected.add(setting);
    return fallback;
  }

  /** Whether the setting was given but its value refused (a problem is noted already). */
  rejected(setting: Setting): boolean {
    return this.#rejected.has(setting);
  }

  /** Throws a ConfigError naming every problem found. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/**
 * The name among `names` closest to `name` (Levenshtein distance, whatever the case), if any is
 * within the distance that `within` allows for it: what a message suggests for a misspelt name.
 */
export function closestName(name: string, names: readonly string[], within: (candidate: string) => number): string | undefined {
  let closest: { name: string; distance: number } | undefined;
  for (const candidate of names) {
    const distance = leven(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= within(candidate) && (!closest || distance < closest.distance)) closest = { name: candidate, distance };
  }
  return closest?.name;
}

/**
 * Each name of `given` that is not one of `known`, as a problem that names the closest known one:
 * a misspelt option would otherwise be ignored without a word. `of`: whose options they are.
 */
export function unknownOptions(given: object, known: readonly string[], of: string): string[] {
  return Object.keys(given)
    .filter((name) => !known.includes(name))
    .map((name) => {
      const closest = closestName(name, known, (candidate) => Math.ceil(candidate.length / 3));
      return `${name} is not an option of ${of}${closest ? `; did you mean ${closest}?` : '.'} The options: ${known.join(', ')}`;
    });
}

function textOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String).join(',');
  return String(value);
}

export const integerIn = (min: number, max: number) => (raw: string) => {
  const value = Number(raw);
  return /^\d+$/.test(raw) && value >= min && value <= max ? value : new Invalid(`must be a whole number from ${min} to ${max}`);
};

export const oneOf =
  <T extends string>(values: readonly T[]) =>
  (raw: string) =>
    (values as readonly string[]).includes(raw) ? (raw as T) : new Invalid(`must be one of ${values.join(', ')}`);

export const anyText = (raw: string) => raw;

const durationUnits = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration as a person writes it, `30d`, `12h`, `90m` or `45s`, in milliseconds. */
export function parseDuration(raw: string): number | Invalid {
  const match = /^(\d+)\s*([smhd])$/.exec(raw);
  const milliseconds = match ? Number(match[1]) * durationUnits[match[2] as keyof typeof durationUnits] : 0;
  return milliseconds > 0 && Number.isSafeInteger(milliseconds)
    ? milliseconds
    : new Invalid('must be a duration of at least 1 second, a whole number with a unit: s, m, h or d (days)');
}

export function parseBoolean(raw: string): boolean | Invalid {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return new Invalid('must be true or false');
}

/**
 * Text with the password of any URL in it replaced by stars, fit for logs and error messages,
 * even when the URL is malformed: whatever the scheme, and up to the last `@` (a password may hold
 * one unescaped), and a `password=` query parameter too.
 */
export function withoutPassword(raw: string): string {
  return raw.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^\s]*@/gi, '$1***@').replace(/([?&]password=)[^&\s]*/gi, '$1***');
}
