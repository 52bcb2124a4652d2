// The contract: the OpenAPI document as written, its examples, and a copy with every $ref resolved.
import $RefParser from '@apidevtools/json-schema-ref-parser';
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';

export const contractUrl = new URL('../../openapi/ada-webhooks.yaml', import.meta.url);

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

/** The document as written, `$ref`s included. */
export function loadContract(url: URL = contractUrl): ContractDocument {
  return load(readFileSync(url, 'utf8')) as ContractDocument;
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
