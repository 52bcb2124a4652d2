// The lists of events that the contract repeats outside `webhooks:`, derived from it: the receiver's
// `oneOf` (AdaWebhookDelivery), the names the unknown-event branch must not take, and the examples
// of POST /webhooks/ada (what Prism and the contract tests route). `npm run generate` rewrites them,
// and `generate --check` fails when they are out of step, so adding an event is its schema, its
// example and its `webhooks:` entry. The document stays self-contained for Prism and Redocly.
// Rewritten in place, at the ranges the `yaml` parser locates: its printer would restyle the file.
import { isMap, isScalar, isSeq, parseDocument, type Node, type YAMLMap, type YAMLSeq } from 'yaml';

const schemaPrefix = '#/components/schemas/';
/** The schema and the example of an event type the contract does not describe: in the lists, never in webhooks:. */
const unknownEvent = 'UnknownEvent';
const examplePrefix = '#/components/examples/';

const unionPath = ['components', 'schemas', 'AdaWebhookDelivery', 'oneOf'];
const excludedNamesPath = ['components', 'schemas', 'UnknownEvent', 'properties', 'type', 'not', 'enum'];
const receiverExamplesPath = ['paths', '/webhooks/ada', 'post', 'requestBody', 'content', 'application/json', 'examples'];

interface Replacement {
  node: YAMLSeq | YAMLMap;
  lines: string[];
}

/** A scalar's text, or '' for anything else. */
const textOf = (node: unknown): string => (isScalar(node) ? String(node.value) : '');

/** `ConversationMessageText` as the key of its entry among the receiver's examples: `conversationMessageText`. */
const exampleKey = (ref: string) => {
  const name = ref.slice(examplePrefix.length);
  return name.charAt(0).toLowerCase() + name.slice(1);
};

/** The contract's text with the three lists derived from `webhooks:`; throws when the document is not laid out as expected. */
export function deriveEventLists(text: string): string {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new Error(`The contract does not parse: ${document.errors[0]!.message}`);
  const webhooks = document.get('webhooks', true);
  if (!isMap(webhooks)) throw new Error('The contract has no webhooks: map to derive the lists of events from.');

  const names: string[] = [];
  const schemas: string[] = [];
  const exampleRefs: string[] = [];
  for (const pair of webhooks.items) {
    const name = textOf(pair.key);
    const body = isMap(pair.value) ? pair.value.getIn(['post', 'requestBody', 'content', 'application/json'], true) : undefined;
    const schema = isMap(body) ? textOf(body.getIn(['schema', '$ref'], true)) : '';
    if (!schema.startsWith(schemaPrefix)) {
      throw new Error(`webhooks: ${name} needs post.requestBody.content.application/json.schema, a $ref to ${schemaPrefix}<its schema>.`);
    }
    names.push(name);
    schemas.push(schema);
    const examples = isMap(body) ? body.get('examples', true) : undefined;
    if (isMap(examples)) {
      for (const example of examples.items) {
        const ref = isMap(example.value) ? textOf(example.value.get('$ref', true)) : '';
        if (ref.startsWith(examplePrefix)) exampleRefs.push(ref);
      }
    }
  }

  const blockAt = (path: string[]): YAMLSeq | YAMLMap => {
    const node = document.getIn(path, true) as Node | undefined;
    if ((isSeq(node) || isMap(node)) && !node.flow && node.items.length > 0) return node;
    throw new Error(`The contract has no block list at ${path.join('.')} to derive from webhooks:.`);
  };
  const union = blockAt(unionPath) as YAMLSeq;
  const excluded = blockAt(excludedNamesPath) as YAMLSeq;
  const receiverExamples = blockAt(receiverExamplesPath) as YAMLMap;

  // The unknown event's branch and example follow the webhooks' own, where the contract has them.
  const unknownSchema = `${schemaPrefix}${unknownEvent}`;
  const unknownExample = `${examplePrefix}${unknownEvent}`;
  const refOf = (item: unknown) => (isMap(item) ? textOf(item.get('$ref', true)) : '');
  const unknownBranch = union.items.map(refOf).filter((ref) => ref === unknownSchema);
  const unknownEntry = receiverExamples.items
    .map((pair) => ({ key: textOf(pair.key), ref: refOf(pair.value) }))
    .filter(({ ref }) => ref === unknownExample);

  const replacements: Replacement[] = [
    { node: union, lines: [...schemas, ...unknownBranch].map((ref) => `- $ref: '${ref}'`) },
    { node: excluded, lines: names.map((name) => `- ${name}`) },
    {
      node: receiverExamples,
      lines: [...exampleRefs.map((ref) => ({ key: exampleKey(ref), ref })), ...unknownEntry].flatMap(({ key, ref }) => [
        `${key}:`,
        `  $ref: '${ref}'`,
      ]),
    },
  ];
  let result = text;
  for (const { node, lines } of replacements.sort((a, b) => b.node.range![0] - a.node.range![0])) {
    const [start, end] = node.range!;
    const column = start - text.lastIndexOf('\n', start - 1) - 1;
    const block = lines.map((line, index) => `${index === 0 ? '' : ' '.repeat(column)}${line}\n`).join('');
    result = result.slice(0, start) + block + result.slice(text[end - 1] === '\n' ? end : end + 1);
  }
  return result;
}
