// Derives the contract's lists of events from its `webhooks:` (see event-lists.ts), then writes
// generated/ from the contract with openapi-typescript.
//   npm run generate            rewrite the derived lists and the generated files
//   npm run generate -- --check exit 1 when either differs from what the contract gives
import { readFileSync, writeFileSync } from 'node:fs';
import openapiTS, { astToString } from 'openapi-typescript';
import { orExit } from '../src/service/environment.ts';
import { loadCheckedContract } from '../src/contract/check.ts';
import { contractUrl, loadContract } from '../src/contract/document.ts';
import { contractDigestLine } from '../src/contract/generated-types.ts';
import { parseCommandLine } from './commands/command-line.ts';
import { deriveEventLists } from './event-lists.ts';

const generatedDir = new URL('../generated/', import.meta.url);

const headerOf = (contractText: string) => `/**
 * Generated from openapi/ada-webhooks.yaml by \`npm run generate\` (openapi-typescript).
 * Do not edit: change the contract and run \`npm run generate\` again.
${contractDigestLine(contractText)}
 */

`;

/** The generated files, by name, for the contract at `url`. */
export async function generateFiles(url: URL = contractUrl): Promise<Map<string, string>> {
  const header = headerOf(readFileSync(url, 'utf8'));
  const types = astToString(await openapiTS(url, { rootTypes: true, rootTypesNoSchemaPrefix: true }));
  const names = Object.keys(loadContract(url).webhooks);
  const eventNames = `import type { webhooks } from './ada-webhooks.ts';

/** Every event type of the contract's \`webhooks\`, in document order. */
export const eventNames = ${JSON.stringify(names, null, 2)} as const satisfies ReadonlyArray<keyof webhooks>;
`;
  return new Map([
    ['ada-webhooks.ts', header + types],
    ['event-names.ts', header + eventNames],
  ]);
}

function readIfExists(url: URL): string | undefined {
  try {
    return readFileSync(url, 'utf8');
  } catch {
    return undefined;
  }
}

if (import.meta.main) {
  const { values, positionals, fail } = parseCommandLine(
    'generate',
    `Usage: npm run generate [-- --check]

Derives the lists of events that openapi/ada-webhooks.yaml repeats from its webhooks: (the
receiver's oneOf, the names the unknown-event branch excludes, the examples of POST /webhooks/ada)
and rewrites them in place; then writes generated/ada-webhooks.ts and generated/event-names.ts
from the contract (openapi-typescript). Never edit those lists or files by hand.

  --check      write nothing; exit 1 when the lists or a generated file differ from what the contract gives
  --version    the version of ada-webhooks
  -h, --help   this text`,
    { check: { type: 'boolean', default: false } },
  );
  if (positionals.length > 0) fail(`Unexpected argument ${JSON.stringify(positionals[0])}.`);
  const check = values.check;
  const stale: string[] = [];
  // Nothing is derived or generated from a contract that is not valid: openapi-typescript would
  // write `Record<string, never>` for a schema it cannot read, without a word.
  orExit(() => loadCheckedContract());
  const contract = readFileSync(contractUrl, 'utf8');
  const derived = deriveEventLists(contract);
  if (derived !== contract) {
    if (check) stale.push('the lists of events in openapi/ada-webhooks.yaml, derived from its webhooks:');
    else writeFileSync(contractUrl, derived);
  }
  for (const [name, contents] of await generateFiles()) {
    const target = new URL(name, generatedDir);
    if (readIfExists(target) === contents) continue;
    if (check) stale.push(`generated/${name}`);
    else writeFileSync(target, contents);
  }
  if (stale.length > 0) {
    console.error(`Out of step with the contract: ${stale.join(', ')}. Run \`npm run generate\` and commit the result.`);
    process.exit(1);
  }
  console.log(
    check ? 'generated/ and the derived lists match the contract.' : 'The derived lists and generated/ written from the contract.',
  );
}
