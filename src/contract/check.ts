// The contract checked before anything is built from it: every `$ref` points at something in the
// document, and every schema is JSON Schema 2020-12 (the dialect of OpenAPI 3.1) written with
// keywords that JSON Schema or OpenAPI knows. `npm run generate` refuses a contract that fails,
// and the receiver says what is wrong with its contract, where and why, rather than failing later
// in a way that blames something else.
import type { ErrorObject } from 'ajv';
import traverse from 'json-schema-traverse';
import { closestName } from '../support/settings-reader.ts';
import { ContractError, contractLabel, contractUrl, loadContract, type ContractDocument } from './document.ts';
import { createAjv, escapePointerToken, toViolations, type Violation } from './validation.ts';

/** Keywords of OpenAPI's schema vocabulary, beside JSON Schema's; `x-` extensions are allowed too. */
const openApiKeywords = new Set(['discriminator', 'xml', 'externalDocs', 'example']);

/** Composite errors that only repeat what the errors of their branches say. */
const compositeKeywords = new Set(['anyOf', 'oneOf', 'allOf', 'if']);

/** The contract at `url`, parsed and checked; a ContractError naming every problem otherwise. */
export function loadCheckedContract(url: URL = contractUrl): ContractDocument {
  const document = loadContract(url);
  checkContract(document, contractLabel(url));
  return document;
}

/** Throws a ContractError naming each problem of the document as `<source>#<JSON pointer>: <why>`. */
export function checkContract(document: ContractDocument, source: string): void {
  const problems = [...unresolvedReferences(document), ...schemaProblems(document)];
  if (problems.length > 0) throw new ContractError(problems.map(({ pointer, message }) => `${source}#${pointer}: ${message}`));
}

type Json = unknown;

const isObject = (value: Json): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every value of the document with its pointer, depth first; `descend` says whether to go into a value's children. */
function* walk(
  value: Json,
  pointer = '',
  descend: (pointer: string, key: string) => boolean = () => true,
): Generator<[string, string, Json]> {
  const entries: [string, Json][] = Array.isArray(value)
    ? value.map((item, index) => [String(index), item])
    : isObject(value)
      ? Object.entries(value)
      : [];
  for (const [key, child] of entries) {
    const childPointer = `${pointer}/${escapePointerToken(key)}`;
    yield [childPointer, key, child];
    if (descend(childPointer, key)) yield* walk(child, childPointer, descend);
  }
}

/** Each `$ref` that does not point at a part of the document, with the closest name where one is near. */
function unresolvedReferences(document: ContractDocument): Violation[] {
  const problems: Violation[] = [];
  for (const [pointer, key, value] of walk(document)) {
    if (key !== '$ref' || typeof value !== 'string') continue;
    const problem = referenceProblem(document, value);
    if (problem) problems.push({ pointer, message: problem });
  }
  return problems;
}

function referenceProblem(document: ContractDocument, reference: string): string | undefined {
  if (!reference.startsWith('#')) return `$ref ${JSON.stringify(reference)} points outside the document; the contract is one file`;
  const tokens = reference === '#' || reference === '#/' ? [] : reference.slice(2).split('/').map(unescapeToken);
  let target: Json = document;
  for (const [index, token] of tokens.entries()) {
    const container = target;
    target = isObject(container) || Array.isArray(container) ? (container as Record<string, Json>)[token] : undefined;
    if (target !== undefined) continue;
    const parent = `#${tokens
      .slice(0, index)
      .map((part) => `/${escapePointerToken(part)}`)
      .join('')}`;
    const closest = isObject(container) ? closestName(token, Object.keys(container), (name) => Math.ceil(name.length / 3)) : undefined;
    const suggestion = closest ? `; did you mean ${parent}/${escapePointerToken(closest)}?` : '';
    return `$ref ${JSON.stringify(reference)} points at nothing: ${parent} has no ${JSON.stringify(token)}${suggestion}`;
  }
  return undefined;
}

function unescapeToken(token: string): string {
  return decodeURIComponent(token).replaceAll('~1', '/').replaceAll('~0', '~');
}

/** The schemas of the document: its components, and the `schema` of every parameter, header and media type. */
function* schemasOf(document: ContractDocument): Generator<[string, Json]> {
  const isSchema = (pointer: string, key: string) => key === 'schema' || /^\/components\/schemas\/[^/]+$/.test(pointer);
  // Examples are data: a field of theirs named `schema` is no schema.
  const descend = (pointer: string, key: string) => !isSchema(pointer, key) && key !== 'example' && key !== 'examples';
  for (const [pointer, key, value] of walk(document, '', descend)) if (isSchema(pointer, key)) yield [pointer, value];
}

/** What is wrong with each schema: a value its keyword does not take (the JSON Schema meta-schema), or a keyword that nobody knows. */
function schemaProblems(document: ContractDocument): Violation[] {
  const ajv = createAjv();
  const known = new Set(Object.keys(ajv.RULES.keywords));
  const problems: Violation[] = [];
  for (const [pointer, schema] of schemasOf(document)) {
    if (typeof schema === 'boolean') continue;
    if (!isObject(schema)) {
      problems.push({ pointer, message: `must be a schema (an object), got ${JSON.stringify(schema)}` });
      continue;
    }
    if (!ajv.validateSchema(schema)) problems.push(...metaSchemaViolations(ajv.errors ?? [], schema, pointer));
    traverse(schema, (subschema: Record<string, Json>, subPointer: string) => {
      problems.push(...invalidPatterns(subschema, `${pointer}${subPointer}`));
      for (const keyword of Object.keys(subschema)) {
        if (known.has(keyword) || openApiKeywords.has(keyword) || keyword.startsWith('x-')) continue;
        const closest = closestName(keyword, [...known, ...openApiKeywords], (name) => Math.ceil(name.length / 3));
        problems.push({
          pointer: `${pointer}${subPointer}`,
          message: `${keyword} is not a keyword of JSON Schema or OpenAPI${closest ? `; did you mean ${closest}?` : ''}`,
        });
      }
    });
  }
  return problems;
}

/**
 * Each regular expression of a schema (its `pattern`, the keys of its `patternProperties`) that
 * does not compile as Ajv compiles it: with the `u` flag, which also refuses escapes that mean
 * nothing (`\-` outside a class, say). The meta-schema's `format: regex` does not catch them, and
 * Ajv would throw at the receiver's start.
 */
function invalidPatterns(schema: Record<string, Json>, pointer: string): Violation[] {
  const { pattern, patternProperties } = schema;
  const patterns: [string, Json][] = [
    [`${pointer}/pattern`, pattern],
    ...(isObject(patternProperties) ? Object.keys(patternProperties) : []).map((key): [string, Json] => [
      `${pointer}/patternProperties/${escapePointerToken(key)}`,
      key,
    ]),
  ];
  return patterns.flatMap(([place, source]) => {
    if (typeof source !== 'string') return [];
    try {
      new RegExp(source, 'u');
      return [];
    } catch (error) {
      return [
        {
          pointer: place,
          message: `is not a regular expression that the validator compiles (with the u flag): ${(error as Error).message}`,
        },
      ];
    }
  });
}

/** One violation per place: the error that says what the value may be, rather than the composites around it. */
function metaSchemaViolations(errors: readonly ErrorObject[], schema: Record<string, Json>, pointer: string): Violation[] {
  const byPlace = Map.groupBy(errors, (error) => error.instancePath);
  return [...byPlace].map(([place, placeErrors]) => {
    const chosen =
      placeErrors.find((error) => error.keyword === 'enum') ??
      placeErrors.find((error) => !compositeKeywords.has(error.keyword)) ??
      placeErrors[0]!;
    const [violation] = toViolations([chosen]);
    return { pointer: `${pointer}${place}`, message: `${violation!.message}, got ${JSON.stringify(valueAt(schema, place))}` };
  });
}

function valueAt(value: Json, pointer: string): Json {
  return pointer
    .split('/')
    .slice(1)
    .map(unescapeToken)
    .reduce<Json>(
      (parent, token) => (isObject(parent) || Array.isArray(parent) ? (parent as Record<string, Json>)[token] : undefined),
      value,
    );
}
