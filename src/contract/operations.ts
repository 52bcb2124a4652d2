// The contract's operations, read by openapi-backend: what the receiver routes (method, path,
// operationId) and the request validators that openapi-backend compiles from the document
// (parameters and body, JSON Schema 2020-12). Both are taken once at start-up. The receiver does
// not call openapi-backend's handleRequest per request: it parses, routes and re-reads the
// document on every call, with lodash, about 25 µs per delivery here, for a document that does
// not change while the process runs; Koa's router serves the same routes, and each request is
// validated by the validators openapi-backend compiled.
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { OpenAPIBackend, type Document } from 'openapi-backend';
import type { operations } from '../../generated/ada-webhooks.ts';
import { createAjv, dereferenceContract, toViolations, type ContractDocument, type Violation } from './document.ts';

export type OperationId = keyof operations;

/** A request as an operation's validators see it. */
export interface OperationRequest {
  headers: Context['headers'];
  query: Context['query'];
  body?: unknown;
}

/** The violations of a request against its operation in the contract; empty when it conforms. */
export type ValidateRequest = (request: OperationRequest) => Violation[];

export interface ContractOperations {
  /**
   * Routes each operation that `handlers` serves at the method and path that the contract gives
   * it. A handler for an operation that the contract lacks throws: the contract and the code
   * disagree.
   */
  route(router: Router, handlers: Partial<Record<OperationId, Middleware[]>>): void;
  /** The request validator of one operation, compiled now rather than at its first request. */
  requestValidator(operationId: OperationId): ValidateRequest;
}

export async function loadContractOperations(contract: ContractDocument): Promise<ContractOperations> {
  const api = new OpenAPIBackend({
    definition: (await dereferenceContract(contract)) as unknown as Document,
    // Quick mode skips openapi-backend's check of the document, which knows only the OpenAPI 3.0
    // meta-schema and rejects every 3.1 document (`npm test` lints this one as 3.1 with Redocly
    // instead), and compiles validators on demand rather than one per response of every
    // operation.
    quick: true,
    // The document's schemas are checked against the JSON Schema meta-schema by `npm test`
    // (Redocly lint and the contract tests); compiling that meta-schema at every start costs ~90 ms.
    customizeAjv: (_defaultAjv, options) => createAjv({ ...options, validateSchema: false }),
  });
  await api.init();
  const operations = api.router.getOperations();

  return {
    route(router, handlers) {
      for (const [operationId, handler] of Object.entries(handlers)) {
        const operation = operations.find((candidate) => candidate.operationId === operationId);
        if (!operation) throw new Error(`The contract has no operation ${operationId}, which the receiver serves`);
        router.register(operation.path.replaceAll(/\{([^}]+)\}/g, ':$1'), [operation.method.toUpperCase()], handler);
      }
    },

    requestValidator(operationId) {
      const validators = api.validator.getRequestValidatorsForOperation(operationId) ?? [];
      return ({ headers, query, body }) => {
        // The shape openapi-backend validates: each validator reads its own part. Coercion of
        // parameter types may change values in place, hence a copy of the headers.
        const request = { path: {}, query, header: { ...headers }, cookie: {}, requestBody: body };
        const errors = validators.flatMap((validate) => (validate(request) ? [] : (validate.errors ?? [])));
        return errors.length === 0 ? [] : toViolations(errors, '/requestBody');
      };
    },
  };
}
