// The headers kept with a delivery for audit, as a person is shown them (the inspector page,
// `npm run inbox -- show`): every value as received, but the signatures themselves, only counted.
import { signatureValueHeaders } from './signature.ts';

/** The kept headers, each signature header's value replaced by how many signatures it carries. */
export function shownHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => {
      if (!signatureValueHeaders.includes(name)) return [name, value];
      const signatures = value.split(' ').filter(Boolean).length;
      return [name, `(hidden: ${signatures} ${signatures === 1 ? 'signature' : 'signatures'})`];
    }),
  );
}
