// The JetStream subject of a forwarded delivery, from a template such as `ada.{type}` or
// `ada.{conversation}.{type}`, and the subject filter of the stream that holds them all.
import { Invalid } from '../support/settings-reader.ts';
import type { ForwardedMessage } from './message.ts';
import { percentEncoded } from './percent-encoding.ts';

/**
 * The longest subject forwarded, in bytes. A publish's control line holds the subject, the reply
 * subject and the sizes; NATS closes the connection of a client that sends a line longer than its
 * max_control_line (4 KiB by default, and not announced to clients). This leaves room for the rest.
 */
export const maxSubjectBytes = 3840;

/** The tokens of an id that the event does not have, and of an empty one: `%` and a word, which no encoding produces. */
const missingToken = '%none';
const emptyToken = '%empty';

const placeholders = {
  type: (message: ForwardedMessage) => message.eventType,
  conversation: (message: ForwardedMessage) => message.conversationId,
  end_user: (message: ForwardedMessage) => message.endUserId,
};

type Placeholder = keyof typeof placeholders;

export interface SubjectTemplate {
  text: string;
  /** What the stream must take: the literal tokens before the first placeholder, then `>`. */
  streamSubject: string;
}

export function parseSubjectTemplate(raw: string): SubjectTemplate | Invalid {
  const tokens = raw.split('.');
  const unknown = [...raw.matchAll(/\{([^}]*)\}/g)].map((match) => match[1]!).filter((name) => !Object.hasOwn(placeholders, name));
  if (unknown.length > 0) return new Invalid(`may hold only {type}, {conversation} and {end_user}; {${unknown[0]}} is not one`);
  if (tokens.some((token) => token === '' || /[\s*>]/.test(token))) {
    return new Invalid('must be dot-separated tokens without spaces, * or >');
  }
  const firstPlaceholder = tokens.findIndex((token) => token.includes('{'));
  if (firstPlaceholder === 0)
    return new Invalid('must start with a token of its own, such as ada., so that the stream takes only these subjects', `ada.${raw}`);
  const streamSubject = firstPlaceholder === -1 ? raw : `${tokens.slice(0, firstPlaceholder).join('.')}.>`;
  return { text: raw, streamSubject };
}

export const defaultSubjectTemplate = parseSubjectTemplate('ada.{type}') as SubjectTemplate;

/**
 * The template filled in. An id is one token, percent-encoded (`a.b` is `a%2Eb`), so that different
 * ids have different subjects; `%none` when the event has no such id, `%empty` for an empty one.
 * An event type keeps its dots (`ada.v1.conversation.message`, so that consumers can filter on
 * `ada.v1.conversation.>`), and the contract's event names are the same once encoded.
 */
export function subjectOf(template: SubjectTemplate, message: ForwardedMessage): string {
  return template.text.replace(/\{([a-z_]+)\}/g, (_match, name: Placeholder) => {
    const value = placeholders[name](message);
    if (value === undefined) return missingToken;
    const tokens = name === 'type' ? value.split('.') : [value];
    return tokens.map((token) => (token === '' ? emptyToken : percentEncoded(token))).join('.');
  });
}

/**
 * Whether every subject that `subject` matches (a subject, or a filter with wildcards) is matched
 * by `pattern` too: whether a stream that takes `pattern` stores everything published on `subject`.
 * `*` matches one token, and a final `>` one or more.
 */
export function subjectCovers(pattern: string, subject: string): boolean {
  const wide = pattern.split('.');
  const narrow = subject.split('.');
  for (const [index, token] of wide.entries()) {
    if (token === '>') return narrow.length > index;
    const other = narrow[index];
    // `>` in the subject takes any number of tokens here, which only `>` matches.
    if (other === undefined || other === '>') return false;
    if (token !== '*' && token !== other) return false;
  }
  return wide.length === narrow.length;
}
