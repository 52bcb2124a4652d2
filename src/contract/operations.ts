// The contract's operations: where the document puts each one (method, path, operationId), and the
// request validators compiled from it (parameters by openapi-backend, the body beside them; JSON
// Schema 2020-12), taken once at start-up. The receiver does not call openapi-backend's
// handleRequest per request: it parses, routes and re-reads the document on every call, with
// lodash, for a document that does not change while the process runs (its cost per delivery:
// BENCHMARKS.md, "What limits each figure", Throughput, 1 KB); the receiver routes by the
// document's paths, and each request is validated by the validators compiled at start-up.
import type { IncomingHttpHeaders } from 'node:http';
import type { Options } from 'ajv';
import { OpenAPIBackend, type Document } from 'openapi-backend';
import type { operations } from '../../generated/ada-webhooks.ts';
import type { ContractDocument } from './document.ts';
import { reportNumbersOutOfRange } from './number-range.ts';
import { compileValidator, createAjv, reportErrors, ViolationReport, type Violation } from './validation.ts';

type OperationId = keyof operations;

/** A request as an operation's validators see it: no query, as no operation reads one. */
interface OperationRequest {
  headers: IncomingHttpHeaders;
  body?: unknown;
}

/** The violations of a request against its operation in the contract; empty when it conforms. */
export type ValidateRequest = (request: OperationRequest) => Violation[];

/** Where the contract puts one operation. */
interface Operation {
  method: string;
  path: string;
}

/** The method and path of each operation of the document, by operationId. */
function operationsOf(contract: ContractDocument): Map<string, Operation> {
  const found = new Map<string, Operation>();
  for (const [path, methods] of Object.entries(contract.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (operation.operationId) found.set(operation.operationId, { method: method.toUpperCase(), path });
    }
  }
  return found;
}

/** The path and method of one operation; throws when the contract lacks it: the contract and the code disagree. */
export function operationOf(contract: ContractDocument, operationId: OperationId): Operation {
  const operation = operationsOf(contract).get(operationId);
  if (!operation) throw new Error(`The contract has no operation ${operationId}, which the receiver serves`);
  return operation;
}

/**
 * A router, such as @koa/router's, by the one method used here: typed by its shape, so that the
 * package's declarations do not name Koa's types.
 */
interface OperationRouter<Handler> {
  register(path: string, methods: string[], handlers: Handler[]): unknown;
}

/** Routes each operation that `handlers` serves at the method and path that the contract gives it. */
export function routeOperations<Handler>(
  router: OperationRouter<Handler>,
  contract: ContractDocument,
  handlers: Partial<Record<OperationId, Handler[]>>,
): void {
  for (const [operationId, handler] of Object.entries(handlers) as [OperationId, Handler[]][]) {
    const { method, path } = operationOf(contract, operationId);
    router.register(path.replaceAll(/\{([^}]+)\}/g, ':$1'), [method], handler);
  }
}

/**
 * The request validator of one operation: its parameters (the headers) by the validators that
 * openapi-backend compiles from the document with its `$ref`s resolved (dereferenceContract),
 * which the caller shares with its other readers, so that each start resolves it once.
 * openapi-backend does not change the document. The body by a validator of its own, with the same
 * Ajv settings, that checks a body against the one branch of the contract's union that its
 * `type` selects (compileValidator), rather than against every branch as openapi-backend's would.
 */
export async function loadRequestValidator(dereferenced: ContractDocument, operationId: OperationId): Promise<ValidateRequest> {
  // The document's schemas are checked against the JSON Schema meta-schema by checkContract
  // (check.ts): by `npm run generate`, and at start when the contract changed since; compiling
  // that meta-schema at every start would slow every start.
  const ajvWith = (options: Options) => createAjv({ ...options, validateSchema: false });
  const { method, path } = operationOf(dereferenced, operationId);
  const methods = dereferenced.paths[path]!;
  const operation = methods[method.toLowerCase()]!;
  const api = new OpenAPIBackend({
    // Without the operation's body, whose validator is compiled below: compiling it twice would
    // double what the start-up spends compiling.
    definition: {
      ...dereferenced,
      paths: { ...dereferenced.paths, [path]: { ...methods, [method.toLowerCase()]: { ...operation, requestBody: undefined } } },
    } as unknown as Document,
    // Quick mode skips openapi-backend's check of the document, which knows only the OpenAPI 3.0
    // meta-schema and rejects every 3.1 document (`npm test` lints this one as 3.1 with Redocly
    // instead), and compiles validators on demand rather than one per response of every
    // operation.
    quick: true,
    customizeAjv: (_defaultAjv, options) => ajvWith(options),
  });
  await api.init();
  const parameterValidators = api.validator.getRequestValidatorsForOperation(operationId) ?? [];
  const bodySchema = operation.requestBody?.content['application/json']?.schema;
  // openapi-backend's options for a body: not strict, as an OpenAPI schema may carry its keywords.
  const validateBody = bodySchema && compileValidator(ajvWith({ strict: false }), bodySchema);
  return ({ headers, body }) => {
    const report = new ViolationReport();
    validateBody?.(body, report);
    // The shape openapi-backend validates: each validator reads its own part. Coercion of
    // parameter types may change values in place, hence a copy of the headers.
    const request = { path: {}, query: {}, header: { ...headers }, cookie: {} };
    for (const validate of parameterValidators) if (!validate(request)) reportErrors(validate.errors ?? [], report);
    reportNumbersOutOfRange(body, report);
    return report.violations;
  };
}
