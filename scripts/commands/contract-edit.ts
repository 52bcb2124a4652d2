// The smallest edits of the contract that describe what traffic showed: a new optional property
// with the JSON type seen, a value added to an enum. Made as insertions into the document's text at
// the places that the `yaml` parser locates, so that everything else (comments, order, quoting,
// line breaks) stays as it was: the parser's own printer would restyle the whole file.
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import type { DriftSummary } from '../../src/inbox/inbox.ts';

/** One summary that could not be written, and why. */
export interface Skipped {
  summary: DriftSummary;
  reason: string;
}

export interface ContractEdit {
  /** The document with every edit made. */
  text: string;
  written: DriftSummary[];
  skipped: Skipped[];
}

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

export function editContract(text: string, summaries: readonly DriftSummary[], seenSince: (summary: DriftSummary) => string): ContractEdit {
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
  const step = (schema: Node | undefined, token: string): Node[] => {
    const node = resolved(schema);
    if (!isMap(node)) return [];
    const branches = node.get('oneOf', true) ?? node.get('anyOf', true) ?? node.get('allOf', true);
    if (isSeq(branches)) return branches.items.flatMap((branch) => step(branch as Node, token));
    if (token === '[]') return node.has('items') ? [node.get('items', true) as Node] : [];
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
  const schemasAt = (eventType: string, tokens: string[]): Node[] => {
    let schemas = [eventSchema(eventType)].filter((schema) => schema !== undefined);
    for (const token of tokens) schemas = schemas.flatMap((schema) => step(schema, token));
    return [...new Set(schemas.map(resolved).filter((schema) => schema !== undefined))];
  };

  const addProperty = (summary: DriftSummary, types: string[]) => {
    const tokens = summary.path.replaceAll('[]', '.[]').split('.');
    const name = tokens.pop()!;
    const parents = schemasAt(summary.eventType, tokens);
    if (parents.length !== 1) {
      return parents.length === 0
        ? `no schema of the contract describes ${tokens.join('.') || 'the event'}`
        : `${tokens.join('.')} is one of several variants: add it to the one it belongs to by hand`;
    }
    const properties = (parents[0] as YAMLMap).get('properties', true);
    if (!isMap(properties) || properties.flow || properties.items.length === 0) {
      return `the schema of ${tokens.join('.')} lists no properties to add it beside: add it by hand`;
    }
    if (properties.has(name)) return 'the contract describes it already';
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
  const addEnumValue = (summary: DriftSummary) => {
    const enums = schemasAt(summary.eventType, summary.path.replaceAll('[]', '.[]').split('.')).flatMap((schema) => {
      const values: unknown = isMap(schema) ? schema.get('enum', true) : undefined;
      return isSeq(values) ? [values] : [];
    });
    if (enums.length === 0) return `no enum of the contract describes ${summary.path}`;
    const missing = enums.filter(
      (values) => !values.items.some((item: unknown) => isScalar(item) && String(item.value) === summary.detail),
    );
    if (missing.length === 0) return 'the contract lists it already';
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

  // The types one field was seen with are one property: `[integer, 'null']`.
  const fields = Map.groupBy(
    summaries.filter(({ kind }) => kind === 'unknown_field'),
    ({ eventType, path }) => `${eventType} ${path}`,
  );
  for (const group of fields.values()) {
    const reason = addProperty(group[0]!, [...new Set(group.map(({ detail }) => detail))].sort());
    if (reason) skipped.push(...group.map((summary) => ({ summary, reason })));
    else written.push(...group);
  }
  for (const summary of summaries) {
    if (summary.kind === 'unknown_field') continue;
    const reason = summary.kind === 'unlisted_value' ? addEnumValue(summary) : 'this kind of difference is changed by hand';
    if (reason) skipped.push({ summary, reason });
    else written.push(summary);
  }

  return { text: applied(text, insertions, document), written, skipped };
}

/** The text with the insertions made, from the last to the first so that offsets hold. */
function applied(text: string, insertions: Insertion[], document: Document): string {
  if (document.errors.length > 0) throw new Error(`The contract does not parse: ${document.errors[0]!.message}`);
  let result = text;
  for (const { offset, text: inserted } of [...insertions].sort((a, b) => b.offset - a.offset)) {
    result = result.slice(0, offset) + inserted + result.slice(offset);
  }
  return result;
}
