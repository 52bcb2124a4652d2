// Writes generated/ from the contract with openapi-typescript.
//   npm run generate            rewrite the generated files
//   npm run generate -- --check exit 1 when a committed file differs from what the contract gives
import { readFileSync, writeFileSync } from 'node:fs';
import openapiTS, { astToString } from 'openapi-typescript';
import { contractUrl, loadContract } from '../src/contract/document.ts';
import { parseCommandLine } from './commands/command-line.ts';

const generatedDir = new URL('../generated/', import.meta.url);

const header = `/**
 * Generated from openapi/ada-webhooks.yaml by \`npm run generate\` (openapi-typescript).
 * Do not edit: change the contract and run \`npm run generate\` again.
 */

`;

/** The generated files, by name, for the contract at `url`. */
export async function generateFiles(url: URL = contractUrl): Promise<Map<string, string>> {
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

Writes generated/ada-webhooks.ts and generated/event-names.ts from openapi/ada-webhooks.yaml
(openapi-typescript). Never edit those files by hand.

  --check      write nothing; exit 1 when a generated file differs from what the contract gives
  --version    the version of ada-webhooks
  -h, --help   this text`,
    { check: { type: 'boolean', default: false } },
  );
  if (positionals.length > 0) fail(`Unexpected argument ${JSON.stringify(positionals[0])}.`);
  const check = values.check;
  const stale: string[] = [];
  for (const [name, contents] of await generateFiles()) {
    const target = new URL(name, generatedDir);
    if (readIfExists(target) === contents) continue;
    if (check) stale.push(name);
    else writeFileSync(target, contents);
  }
  if (stale.length > 0) {
    console.error(`generated/ is stale (${stale.join(', ')}): run \`npm run generate\` and commit the result.`);
    process.exit(1);
  }
  console.log(check ? 'generated/ matches the contract.' : 'generated/ written from the contract.');
}
