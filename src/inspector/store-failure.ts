// A page that could not read the inbox failed because the store did, not because of the page or
// of what was asked: the inspector answers it 503 with Retry-After, as intake answers a delivery
// it could not store, rather than a 500 that reads as a fault of its own. Every call of the inbox
// that the pages make goes through here.
import type { Inbox } from '../inbox/inbox.ts';

/** How long the answer asks a reader to wait, as intake asks Svix. */
export const retryAfterSeconds = 5;

/** The inbox failed a page's call; `cause` is its error. Koa's error handling reads `status` and `expose`. */
export class InboxUnreadable extends Error {
  override name = 'InboxUnreadable';
  readonly status = 503;
  readonly expose = true;
}

/** `inbox`, with every rejection of its calls turned into InboxUnreadable. */
export function failingAsUnreadable(inbox: Inbox): Inbox {
  return new Proxy(inbox, {
    get(target, name) {
      const member: unknown = Reflect.get(target, name, target);
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) => {
        const result: unknown = member.apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          throw new InboxUnreadable('The inbox cannot be read just now; retry in a few seconds.', { cause: error });
        });
      };
    },
  });
}
