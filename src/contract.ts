import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

export const contractUrl = new URL('../openapi/ada-webhooks.yaml', import.meta.url);

/** The parts of the OpenAPI document that the code reads; the document itself is the schema. */
export interface ContractDocument {
  webhooks: Record<string, { post: { requestBody: { required?: boolean; content: Record<string, MediaType> } } }>;
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, MediaType> } }>>;
  components: {
    schemas: Record<string, Record<string, unknown>>;
    examples: Record<string, { value: unknown }>;
  };
}

interface MediaType {
  schema: { $ref: string };
  examples?: Record<string, { $ref: string }>;
}

export function loadContract(url: URL = contractUrl): ContractDocument {
  return parse(readFileSync(url, 'utf8')) as ContractDocument;
}

export interface Violation {
  /** JSON pointer (RFC 6901) into the validated value. */
  pointer: string;
  message: string;
}

export type Validate = (value: unknown) => Violation[];

const documentId = 'https://ada-webhooks.invalid/contract';

/**
 * Compiles validators for the document's component schemas with JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1, and with `format` keywords enforced.
 */
export function createSchemaValidators(contract: ContractDocument): (schemaName: string) => Validate {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats.default(ajv);
  // The document's own keywords hold no schemas to compile; `$ref`s point into `components`.
  ajv.addVocabulary(['openapi', 'info', 'servers', 'security', 'tags', 'webhooks', 'paths', 'components']);
  ajv.addSchema({ ...contract, $id: documentId });

  const compiled = new Map<string, ValidateFunction>();
  return (schemaName) => {
    let validate = compiled.get(schemaName);
    if (!validate) {
      validate = ajv.getSchema(`${documentId}#/components/schemas/${schemaName}`);
      if (!validate) throw new Error(`The contract has no schema named ${schemaName}`);
      compiled.set(schemaName, validate);
    }
    const check = validate;
    return (value) =>
      check(value)
        ? []
        : (check.errors ?? []).map((error) => ({ pointer: error.instancePath || '/', message: error.message ?? error.keyword }));
  };
}
