// Signs and sends sample deliveries the way Svix does, to the local receiver or any URL.
//   npm run send -- <event type | file> [--example NAME] [--set PATH=VALUE ...] [--add PATH=VALUE ...] [--invalid] [--url URL] [--secret whsec_...] [--id ID] [--count N]
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { loadSenderSettings, orExit, parseSecretOption, ConfigError } from '../../src/service/environment.ts';
import { dereferenceContract, loadContract, webhookExamples } from '../../src/contract/document.ts';
import { createDeliveryValidator } from '../../src/contract/delivery-validator.ts';
import { describeViolation } from '../../src/contract/validation.ts';
import { developmentSecret, developmentSecretPath } from '../../src/service/development-secret.ts';
import { createSigner, secretFingerprint } from '../../src/intake/signature.ts';
import { closestName } from '../../src/support/settings-reader.ts';
import { exitWith, parseCommandLine } from './command-line.ts';
import { applyOverride, parseOverride } from './overrides.ts';
import { postSigned, StatusTally } from './signed-post.ts';

const usage = `Usage: npm run send -- <event type | file> [options]

  <event type>   sends an example of that event from the contract, with a current timestamp
  <file>         sends the file's bytes unchanged (a relative path is taken from where you typed the command)

Options:
  --example NAME     which example of the event type to send (default: its first)
  --set PATH=VALUE   replaces a field of the example, by its dotted path (data.ended_by.role=system, data.ended_by.id=null,
                     data.buttons.0.url="https://example.com"); the value is JSON, or text where it is not JSON.
                     A path the example does not have is refused, with the closest one it has.
                     Repeat it for several fields. The result is checked against the contract before it is sent.
  --add PATH=VALUE   as --set, for a field that the example does not have (created with the objects on its way)
  --invalid          sends the example even when it violates the contract (to see the receiver refuse it)
  --url URL          where to send (default: the local receiver, http://localhost:$PORT$WEBHOOK_PATH, /webhooks/ada unless set)
  --secret SECRET    whsec_ signing secret (default: the first of ADA_WEBHOOK_SECRET, else the development secret);
                     its fingerprint is printed first, to compare with those the receiver logs when it starts
  --id ID            delivery id (default: a fresh one per delivery; a fixed id makes every delivery after the first a duplicate)
  --count N          how many deliveries to send (default: 1); a summary by status follows
  --version          the version of ada-webhooks
  -h, --help         this text`;

const {
  values,
  positionals,
  fail,
  count: wholeCount,
} = parseCommandLine('send', usage, {
  example: { type: 'string' },
  set: { type: 'string', multiple: true },
  add: { type: 'string', multiple: true },
  invalid: { type: 'boolean' },
  url: { type: 'string' },
  secret: { type: 'string' },
  id: { type: 'string' },
  count: { type: 'string', default: '1' },
});
if (positionals.length !== 1)
  fail(positionals.length === 0 ? 'Name an event type or a file to send.' : `Name one event type or file, not ${positionals.length}.`);
const target = positionals[0]!;
// npm runs a script from the project's root; a relative path is meant from where it was typed.
const typedFrom = process.env['npm_lifecycle_event'] === 'send' ? process.env['INIT_CWD'] : undefined;
const targetPath = resolve(typedFrom ?? process.cwd(), target);
const count = wholeCount('count', values.count);
if (values.url !== undefined && !URL.canParse(values.url))
  fail(`--url must be a URL such as http://localhost:3000/webhooks/ada, got ${JSON.stringify(values.url)}.`);
const parsedSecret = values.secret === undefined ? undefined : parseSecretOption(values.secret);
const secretOption = parsedSecret instanceof ConfigError ? fail(parsedSecret.problems[0]!) : parsedSecret;

/** What to send: the bytes of a file, or an example of an event type (its fields overridden) with the current time. */
async function bodyOf(): Promise<() => string | Buffer> {
  if (isFile(targetPath)) {
    if (values.example !== undefined) fail('--example goes with an event type, not with a file.');
    if (values.set !== undefined || values.add !== undefined) {
      fail(`${values.set ? '--set' : '--add'} goes with an event type, not with a file: edit the file instead.`);
    }
    return () => readFileSync(targetPath);
  }
  const contract = loadContract();
  const examples = webhookExamples(contract, target);
  if (examples.size === 0) {
    const looksLikeAPath = /[/\\]|\.json$/i.test(target);
    const types = Object.keys(contract.webhooks);
    const closest = closestName(target, types, (type) => Math.ceil(type.length / 4));
    exitWith(
      looksLikeAPath
        ? `No file ${targetPath}.`
        : `${JSON.stringify(target)} is neither a file nor an event type of the contract${closest ? `; did you mean ${closest}?` : '.'} The event types: ${types.join(', ')}.`,
    );
  }
  const name = values.example ?? examples.keys().next().value!;
  const example = structuredClone(
    examples.get(name) ??
      fail(`The event type ${target} has no example ${JSON.stringify(name)}; its examples: ${[...examples.keys()].join(', ')}.`),
  );
  const overrides = [...(values.set ?? []).map((raw) => ({ raw, add: false })), ...(values.add ?? []).map((raw) => ({ raw, add: true }))];
  for (const { raw, add } of overrides) {
    const override = parseOverride(raw, add ? '--add' : '--set');
    const problem = typeof override === 'string' ? override : applyOverride(example, override, { add });
    if (problem) fail(problem);
  }
  const event = () => ({ ...example, timestamp: new Date().toISOString() });
  if (!values.invalid) {
    const violations = createDeliveryValidator(await dereferenceContract(contract))(event());
    if (violations.length > 0) {
      exitWith(
        [
          `The ${target} to send violates the contract:`,
          ...violations.map((violation) => `  ${describeViolation(violation)}`),
          'Correct the --set values, or add --invalid to send it anyway.',
        ].join('\n'),
      );
    }
  }
  return () => JSON.stringify(event());
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const body = await bodyOf();
const settings = orExit(() => loadSenderSettings(process.env, { url: values.url === undefined, secret: secretOption === undefined }));
const url = values.url ?? settings.url!;
const [secret, secretSource] =
  secretOption !== undefined
    ? [secretOption, '--secret']
    : settings.secrets[0] !== undefined
      ? [settings.secrets[0], 'the first of ADA_WEBHOOK_SECRET']
      : [developmentSecret(), `the development secret, ${relative(process.cwd(), developmentSecretPath)}`];
const sign = createSigner(secret);
// Never the secret: its fingerprint, as the receiver logs those it accepts when it starts.
console.log(`Signed with the secret of fingerprint ${secretFingerprint(secret)} (${secretSource}).`);

const tally = new StatusTally();
for (let sent = 0; sent < count; sent += 1) {
  const id = values.id ?? `msg_${randomUUID().replaceAll('-', '')}`;
  tally.add(await postSigned(url, sign, id, body()));
}
if (count > 1) console.log(`Sent ${count}: ${tally.summary()}.`);
process.exitCode = tally.allAccepted() ? 0 : 1;
