// The contract: the OpenAPI document as written, its examples, and a copy with every $ref resolved.
import $RefParser from '@apidevtools/json-schema-ref-parser';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, YAMLException } from 'js-yaml';

export const contractUrl = new URL('../../openapi/ada-webhooks.yaml', import.meta.url);

/** A contract that cannot be used: each problem says where (the file, and a line or a JSON pointer) and why. */
export class ContractError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.length === 1 ? problems[0] : `The contract is invalid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ContractError';
    this.problems = problems;
  }
}

/** How a message names the contract's file: from the working directory when it is under it, as editors and terminals link it. */
export function contractLabel(url: URL = contractUrl): string {
  const path = fileURLToPath(url);
  const fromHere = relative(process.cwd(), path);
  return fromHere.startsWith('..') ? path : fromHere;
}

/** The parts of the OpenAPI document that the code reads; the document itself is the schema. */
export interface ContractDocument {
  webhooks: Record<string, { post: { requestBody: { required?: boolean; content: Record<string, MediaType> } } }>;
  paths: Record<string, Record<string, { operationId?: string; requestBody?: { content: Record<string, MediaType> } }>>;
  components: {
    schemas: Record<string, Record<string, unknown>>;
    examples: Record<string, { value: unknown }>;
  };
}

interface MediaType {
  schema: { $ref: string };
  examples?: Record<string, { $ref: string }>;
}

/** The document as written, `$ref`s included; a ContractError that gives the line and column of YAML it cannot parse. */
export function loadContract(url: URL = contractUrl): ContractDocument {
  let document: unknown;
  try {
    document = load(readFileSync(url, 'utf8'));
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const place = error.mark ? `:${error.mark.line + 1}:${error.mark.column + 1}` : '';
    throw new ContractError([`${contractLabel(url)}${place}: the contract is not valid YAML: ${error.reason}`]);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ContractError([
      `${contractLabel(url)}: the contract is not an OpenAPI document (a YAML mapping with openapi, paths, webhooks)`,
    ]);
  }
  return document as ContractDocument;
}

/** The examples of one event of `webhooks`, by their name there, in document order; empty for an unknown event type. */
export function webhookExamples(contract: ContractDocument, eventType: string): Map<string, Record<string, unknown>> {
  const media = contract.webhooks[eventType]?.post.requestBody.content['application/json'];
  return new Map(
    Object.entries(media?.examples ?? {}).map(([name, { $ref }]) => [
      name,
      structuredClone(contract.components.examples[$ref.replace('#/components/examples/', '')]!.value) as Record<string, unknown>,
    ]),
  );
}

/**
 * The document with every `$ref` replaced by a copy of what it points to. Copies, not shared
 * objects: Ajv reports errors in a shared subschema under the path of its first use, which would
 * attribute them to the wrong `oneOf` branch (see toViolations).
 */
export async function dereferenceContract(contract: ContractDocument): Promise<ContractDocument> {
  const dereferenced = await $RefParser.dereference(structuredClone(contract));
  return JSON.parse(JSON.stringify(dereferenced)) as ContractDocument;
}
