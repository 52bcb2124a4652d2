// The smallest edits of the contract that describe what traffic showed: a new optional property
// with the JSON type seen, a value added to an enum, a new event drafted from a delivery (its
// schema from the types seen, its example with the strings replaced, and its `webhooks:` entry;
// the lists derived from `webhooks:` follow, see event-lists.ts). Made as insertions into the document's text at
// the places that the `yaml` parser locates, so that everything else (comments, order, quoting,
// line breaks) stays as it was: the parser's own printer would restyle the whole file.
import { Document, isMap, isScalar, isSeq, parseDocument, visit, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { maxPathBytes, maxValueBytes } from '../../src/contract/drift.ts';
import { anyItem, itemsPath, pathOfSteps, propertyPath, stepsOf, type PathStep } from '../../src/contract/drift-path.ts';
import type { DriftSummary } from '../../src/inbox/inbox.ts';
import { mayBeCut } from '../../src/support/storable-text.ts';

/** One summary that could not be written, and why. */
export interface Skipped {
  summary: DriftSummary;
  reason: string;
}

export interface ContractEdit {
  /** The document with every edit made. */
  text: string;
  written: DriftSummary[];
  /** What the contract describes already (it was edited since the drift was seen). */
  described: DriftSummary[];
  skipped: Skipped[];
}

/** What an edit returns for a difference that the contract describes already. */
const describedAlready = Symbol('described already');
/** What became of one difference: written (undefined), described already, or skipped for a reason. */
type Outcome = undefined | typeof describedAlready | string;

interface Insertion {
  offset: number;
  text: string;
}

const schemaPrefix = '#/components/schemas/';

/** A value as YAML writes it in a flow sequence: plain when it reads back as the same string. */
function yamlScalar(value: string): string {
  const plain = /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(value) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

/** The column of the character at `offset`. */
const columnOf = (text: string, offset: number) => offset - text.lastIndexOf('\n', offset - 1) - 1;

/** The names a drafted event takes: of its schema, its example and its operation. */
interface DraftNames {
  schema: string;
  example: string;
  operation: string;
}

/** `v1.conversation.rated` as the names of its schema, example and operation: `ConversationRatedEvent`, `ConversationRated`, `conversationRated`. */
function namesOf(eventType: string): DraftNames {
  const [version, ...words] = eventType.split('.');
  const parts = words.flatMap((word) => word.split('_'));
  const pascal =
    parts.map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('') + (version === 'v1' ? '' : version!.toUpperCase());
  return { schema: `${pascal}Event`, example: pascal, operation: pascal.charAt(0).toLowerCase() + pascal.slice(1) };
}

/** `name`, or the first of `name2`, `name3`, ... that is not taken; taken from now on. */
function unique(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let suffix = 2; taken.has(candidate); suffix += 1) candidate = `${name}${suffix}`;
  taken.add(candidate);
  return candidate;
}

/** Whether every path in `value`, as drift names paths, is one that the receiver keeps whole. */
function pathsKeptWhole(value: unknown, path: string): boolean {
  if (mayBeCut(path, maxPathBytes)) return false;
  if (Array.isArray(value)) return value.every((item) => pathsKeptWhole(item, itemsPath(path)));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).every(([name, child]) => pathsKeptWhole(child, propertyPath(path, name)));
  }
  return true;
}

/** A JSON Schema for a value like `value`: its types, objects' properties, arrays' first item; never a value. */
function inferredSchema(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) return value.length > 0 ? { type: 'array', items: inferredSchema(value[0]) } : { type: 'array' };
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    return entries.length > 0
      ? { type: 'object', properties: Object.fromEntries(entries.map(([name, child]) => [name, inferredSchema(child)])) }
      : { type: 'object' };
  }
  if (value === null) return { type: 'null' };
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'integer' : 'number' };
  return { type: typeof value };
}

/** The value with every string but the event's `type` and `timestamp` replaced: an example that carries nobody's data. */
function placeholders(value: unknown, top = true): unknown {
  if (Array.isArray(value)) return value.map((item) => placeholders(item, false));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([name, child]) => [
        name,
        top && (name === 'type' || name === 'timestamp') ? child : placeholders(child, false),
      ]),
    );
  }
  return typeof value === 'string' ? 'example' : value;
}

/**
 * A value as YAML in the document's style: single quotes, lists of scalars inline (`[a, b]`), no
 * folded lines, and strings quoted wherever YAML 1.1 would read them as something else (a
 * timestamp, `yes`), as js-yaml does.
 */
function yamlOf(value: unknown): string {
  const document = new Document(value, { version: '1.1' });
  visit(document, {
    Seq(_key, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  return document.toString({ singleQuote: true, lineWidth: 0, flowCollectionPadding: false });
}

/** A YAML block with each line indented by `indent` spaces. */
const indented = (block: string, indent: number) =>
  block
    .trimEnd()
    .split('\n')
    .map((line) => `${' '.repeat(indent)}${line}`)
    .join('\n');

export function editContract(
  text: string,
  summaries: readonly DriftSummary[],
  seenSince: (summary: DriftSummary) => string,
  /**
   * The bodies of example deliveries, by delivery id: an unknown event type's is drafted from; a
   * field's or a value's must have something at its path, or it is not written.
   */
  examples: ReadonlyMap<string, unknown>,
): ContractEdit {
  const document = parseDocument(text);
  const insertions: Insertion[] = [];
  const written: DriftSummary[] = [];
  const skipped: Skipped[] = [];

  const schemaNamed = (name: string) => document.getIn(['components', 'schemas', name], true) as Node | undefined;
  /** The schema a `$ref` points to, until one that is not a reference. */
  const resolved = (node: Node | undefined): Node | undefined => {
    let current = node;
    for (let hops = 0; isMap(current) && current.has('$ref') && hops < 20; hops += 1) {
      const ref = String(current.get('$ref'));
      current = ref.startsWith(schemaPrefix) ? schemaNamed(ref.slice(schemaPrefix.length)) : undefined;
    }
    return current;
  };
  /** The schemas that describe the value at `token` inside `schema`: through variants and allOf parts. */
  const step = (schema: Node | undefined, token: PathStep): Node[] => {
    const node = resolved(schema);
    if (!isMap(node)) return [];
    const branches = node.get('oneOf', true) ?? node.get('anyOf', true) ?? node.get('allOf', true);
    if (isSeq(branches)) return branches.items.flatMap((branch) => step(branch as Node, token));
    if (token === anyItem) return node.has('items') ? [node.get('items', true) as Node] : [];
    const properties = node.get('properties', true);
    return isMap(properties) && properties.has(token) ? [properties.get(token, true) as Node] : [];
  };
  /** The schema of each event type, by the `type` its branch of the receiver's union fixes. */
  const eventSchema = (eventType: string): Node | undefined => {
    const union = resolved(schemaNamed('AdaWebhookDelivery'));
    const branches = isMap(union) ? union.get('oneOf', true) : undefined;
    if (!isSeq(branches)) return undefined;
    return branches.items.find((branch) => {
      const type = resolved(branch as Node);
      const values = isMap(type) ? type.getIn(['properties', 'type', 'enum']) : undefined;
      return isSeq(values) && values.items.length === 1 && isScalar(values.items[0]) && values.items[0].value === eventType;
    }) as Node | undefined;
  };
  /** The distinct schemas at a path (`data.channel.modality`, `data.items[].label`) of an event type. */
  const schemasAt = (eventType: string, tokens: readonly PathStep[]): Node[] => {
    let schemas = [eventSchema(eventType)].filter((schema) => schema !== undefined);
    for (const token of tokens) schemas = schemas.flatMap((schema) => step(schema, token));
    return [...new Set(schemas.map(resolved).filter((schema) => schema !== undefined))];
  };

  /** The names that drafted events must not take: those of the contract, and those drafted before. */
  const keysOf = (path: string[]) => {
    const node = document.getIn(path, true);
    return new Set(isMap(node) ? node.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key)) : []);
  };
  const taken = { schema: keysOf(['components', 'schemas']), example: keysOf(['components', 'examples']), operation: new Set<string>() };
  visit(document, {
    Pair(_key, pair) {
      if (isScalar(pair.key) && pair.key.value === 'operationId' && isScalar(pair.value)) taken.operation.add(String(pair.value.value));
    },
  });

  /** The properties added to each schema's `properties` so far: one event type's field may be another's too. */
  const addedProperties = new Map<YAMLMap, Set<string>>();
  const addProperty = (summary: DriftSummary, types: string[]): Outcome => {
    const tokens = stepsAt(summary, examples);
    if (typeof tokens === 'string') return tokens;
    const name = tokens.pop();
    if (typeof name !== 'string') return 'its path does not end at a field';
    const parents = schemasAt(summary.eventType, tokens);
    const parentPath = pathOfSteps(tokens);
    if (parents.length !== 1) {
      return parents.length === 0
        ? `no schema of the contract describes ${parentPath || 'the event'}`
        : `${parentPath} is described in several places (oneOf, anyOf or allOf): add it where it belongs by hand`;
    }
    const properties = (parents[0] as YAMLMap).get('properties', true);
    if (!isMap(properties) || properties.flow || properties.items.length === 0) {
      return `the schema of ${parentPath} lists no properties to add it beside: add it by hand`;
    }
    if (properties.has(name)) return describedAlready;
    const added = addedProperties.get(properties) ?? new Set<string>();
    if (added.has(name)) return undefined;
    addedProperties.set(properties, added.add(name));
    const indent = ' '.repeat(columnOf(text, (properties.items[0]!.key as Node).range![0]));
    const type = types.length === 1 ? types[0]! : `[${types.map((each) => (each === 'null' ? "'null'" : each)).join(', ')}]`;
    insertions.push({
      offset: properties.range![1],
      text: `${indent}${yamlScalar(name)}:\n${indent}  type: ${type}\n${indent}  description: Seen in deliveries ${seenSince(summary)}, and not described by Ada yet.\n`,
    });
    return undefined;
  };

  /** The values added to each enum so far. */
  const addedValues = new Map<YAMLSeq, Set<string>>();
  const addEnumValue = (summary: DriftSummary): Outcome => {
    const tokens = stepsAt(summary, examples);
    if (typeof tokens === 'string') return tokens;
    const enums = schemasAt(summary.eventType, tokens).flatMap((schema) => {
      const values: unknown = isMap(schema) ? schema.get('enum', true) : undefined;
      return isSeq(values) ? [values] : [];
    });
    if (enums.length === 0) return `no enum of the contract describes ${summary.path}`;
    const missing = enums.filter(
      (values) => !values.items.some((item: unknown) => isScalar(item) && String(item.value) === summary.detail),
    );
    if (missing.length === 0) return describedAlready;
    for (const values of missing) {
      // Another event type's drift may have added the same value to the same enum.
      const added = addedValues.get(values) ?? new Set<string>();
      if (added.has(summary.detail)) continue;
      addedValues.set(values, added.add(summary.detail));
      const range = values.range!;
      if (values.flow) insertions.push({ offset: range[1] - 1, text: `, ${yamlScalar(summary.detail)}` });
      else {
        const indent = ' '.repeat(columnOf(text, (values.items[0] as Node).range![0] - 2));
        insertions.push({ offset: range[1], text: `${indent}- ${yamlScalar(summary.detail)}\n` });
      }
    }
    return undefined;
  };

  /** The end of the block map at `path`, where an entry of its own goes. */
  const endOf = (path: string[]) => {
    const node = document.getIn(path, true) as Node | undefined;
    return isMap(node) && !node.flow ? node.range![1] : undefined;
  };
  const addEvent = (summary: DriftSummary): Outcome => {
    if (eventSchema(summary.eventType) || document.hasIn(['webhooks', summary.eventType])) return describedAlready;
    const event = examples.get(summary.exampleId);
    if (typeof event !== 'object' || event === null) return `its example delivery ${summary.exampleId} is no longer in the inbox`;
    if (!pathsKeptWhole(event, '')) {
      return `its example delivery ${summary.exampleId} has a path longer than the ${maxPathBytes} bytes the receiver keeps of one: draft it by hand`;
    }
    const [webhooksEnd, schemasEnd, examplesEnd] = [
      endOf(['webhooks']),
      endOf(['components', 'schemas']),
      endOf(['components', 'examples']),
    ];
    if (webhooksEnd === undefined || schemasEnd === undefined || examplesEnd === undefined) {
      return 'the contract is not laid out as npm run drift expects (webhooks, components.schemas, components.examples): add it by hand';
    }
    const drafted = namesOf(summary.eventType);
    const names: DraftNames = {
      schema: unique(drafted.schema, taken.schema),
      example: unique(drafted.example, taken.example),
      operation: unique(drafted.operation, taken.operation),
    };
    const properties: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(event)) {
      if (name === 'type') properties[name] = { type: 'string', enum: [summary.eventType] };
      else if (name === 'timestamp') properties[name] = { $ref: `${schemaPrefix}AdaTimestamp` };
      else properties[name] = inferredSchema(value);
    }
    const required = ['type', 'timestamp', 'data'].filter((name) => name in properties);
    const description = `Drafted by npm run drift from deliveries seen ${seenSince(summary)}: describe it as Ada documents it.`;
    const schema = yamlOf({ type: 'object', description, required, properties });
    insertions.push(
      {
        offset: webhooksEnd,
        text: `${indented(yamlOf({ [summary.eventType]: webhookEntry(summary.eventType, names, description) }), 2)}
`,
      },
      { offset: schemasEnd, text: `\n${indented(`${names.schema}:\n${indented(schema, 2)}`, 4)}\n` },
      {
        offset: examplesEnd,
        text: `\n${indented(yamlOf({ [names.example]: { summary: 'Drafted from a delivery, strings replaced', value: placeholders(event) } }), 4)}\n`,
      },
    );
    return undefined;
  };

  const described: DriftSummary[] = [];
  const sort = (outcome: Outcome, group: DriftSummary[]) => {
    if (outcome === undefined) written.push(...group);
    else if (outcome === describedAlready) described.push(...group);
    else skipped.push(...group.map((summary) => ({ summary, reason: outcome })));
  };

  // The types one field was seen with are one property: `[integer, 'null']`.
  const fields = Map.groupBy(
    summaries.filter(({ kind }) => kind === 'unknown_field'),
    ({ eventType, path }) => `${eventType} ${path}`,
  );
  for (const group of fields.values()) {
    sort(cutShort(group[0]!) ?? addProperty(group[0]!, [...new Set(group.map(({ detail }) => detail))].sort()), group);
  }
  for (const summary of summaries) {
    if (summary.kind === 'unknown_field') continue;
    const reason: Outcome =
      summary.kind === 'unlisted_value'
        ? (cutShort(summary) ?? addEnumValue(summary))
        : summary.kind === 'unknown_event_type'
          ? addEvent(summary)
          : 'this kind of difference is changed by hand';
    sort(reason, [summary]);
  }

  return { text: applied(text, insertions, document), written, described, skipped };
}

/**
 * The steps of a summary's path, or why they cannot be trusted: a path that is not in the form the
 * receiver writes (an older one wrote every name after a dot, `data.x-y`), or one that its example
 * delivery, when the inbox still has it, has nothing at (an older one wrote the name
 * `ended_by.satisfaction` as `data.ended_by.satisfaction`, which reads as a field of `ended_by`).
 */
function stepsAt({ path, exampleId }: DriftSummary, examples: ReadonlyMap<string, unknown>): PathStep[] | string {
  const steps = stepsOf(path);
  if (steps === undefined)
    return 'its path is not in the form the receiver writes now (an older one kept it): add it by hand if it is real';
  if (examples.has(exampleId) && !leadsToValue(examples.get(exampleId), steps)) {
    return `its example delivery ${exampleId} has nothing at this path (an older receiver kept a name with a dot as two): add it by hand if it is real`;
  }
  return steps;
}

/** Whether `value` has something at the end of these steps (in any item of an array they cross). */
function leadsToValue(value: unknown, [first, ...rest]: readonly PathStep[]): boolean {
  if (first === undefined) return true;
  if (first === anyItem) return Array.isArray(value) && value.some((item) => leadsToValue(item, rest));
  const isRecord = typeof value === 'object' && value !== null && !Array.isArray(value);
  return isRecord && Object.hasOwn(value, first) && leadsToValue((value as Record<string, unknown>)[first], rest);
}

/**
 * Why a field or a value cannot be written when the receiver may have kept only its start (or, in a
 * summary kept before there was a bound, would have): no field Ada documents comes near the bound.
 */
function cutShort({ kind, path, detail }: DriftSummary): string | undefined {
  if (mayBeCut(path, maxPathBytes))
    return `the receiver keeps at most ${maxPathBytes} bytes of a path, and this one may be longer: add it by hand if it is real`;
  if (kind === 'unlisted_value' && mayBeCut(detail, maxValueBytes)) {
    return `the receiver keeps at most ${maxValueBytes} bytes of a value, and this one may be longer: add it by hand if it is real`;
  }
  return undefined;
}

/** The `webhooks:` entry of a drafted event, as the contract's own entries read. */
function webhookEntry(eventType: string, names: DraftNames, drafted: string) {
  return {
    post: {
      operationId: names.operation,
      summary: `${eventType} (drafted)`,
      description: drafted,
      tags: ['Webhooks'],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { $ref: `${schemaPrefix}${names.schema}` },
            examples: { [names.operation]: { $ref: `#/components/examples/${names.example}` } },
          },
        },
      },
      responses: { '200': { $ref: '#/components/responses/Accepted' } },
    },
  };
}

/** How far the first line of an insertion is indented. */
const indentOf = (insertion: Insertion) => /^\n*( *)/.exec(insertion.text)![1]!.length;

/**
 * The text with the insertions made. From the last offset to the first, so that offsets hold; at
 * one offset (where blocks of several depths end), the deepest block's lines first, and those of
 * one depth in the order they were made. Each goes before those already made at its offset.
 */
function applied(text: string, insertions: Insertion[], document: Document): string {
  if (document.errors.length > 0) throw new Error(`The contract does not parse: ${document.errors[0]!.message}`);
  const order = insertions
    .map((insertion, index) => ({ ...insertion, index, indent: indentOf(insertion) }))
    .sort((a, b) => b.offset - a.offset || a.indent - b.indent || b.index - a.index);
  let result = text;
  for (const { offset, text: inserted } of order) {
    result = result.slice(0, offset) + inserted + result.slice(offset);
  }
  return result;
}
