// Whether generated/ was written from the contract as it is: `npm run generate` records the
// contract's digest in each file it writes, and the service compares it at start, so that a
// contract edited without regenerating is noticed before a handler meets a type it was not
// checked against.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { contractUrl } from './document.ts';

const generatedTypesUrl = new URL('../../generated/ada-webhooks.ts', import.meta.url);

/** The line of a generated file's header that names the contract it was written from. */
export const contractDigestLine = (contractText: string) =>
  ` * From the contract with SHA-256 ${createHash('sha256').update(contractText).digest('hex')}.`;

/** Undefined when generated/ matches the contract; otherwise what to tell the operator. */
export function staleGeneratedTypes(): string | undefined {
  let generated: string;
  try {
    generated = readFileSync(generatedTypesUrl, 'utf8');
  } catch {
    return 'generated/ada-webhooks.ts is missing: run npm run generate';
  }
  if (generated.includes(contractDigestLine(readFileSync(contractUrl, 'utf8')))) return undefined;
  return 'generated/ was written from another version of openapi/ada-webhooks.yaml: run npm run generate, then type-check (npm run typecheck) and restart; the handlers were checked against the old types';
}
