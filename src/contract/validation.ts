// Validation against the contract's schemas, and violations a person can act on.
import { Ajv2020, type ErrorObject, type Options } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ContractDocument } from './document.ts';

export interface Violation {
  /** JSON pointer (RFC 6901) to the offending value. */
  pointer: string;
  message: string;
}

export type Validate = (value: unknown) => Violation[];

/** Where a violation is, as a person reads it: its pointer, or `(body)` for the body as a whole. */
export const placeOf = ({ pointer }: Violation): string => pointer || '(body)';

/** A violation in one line: where, then what. */
export const describeViolation = (violation: Violation): string => `${placeOf(violation)}: ${violation.message}`;

/**
 * The validator for the contract's schemas: JSON Schema 2020-12 (the dialect of OpenAPI 3.1),
 * `format` enforced, and every error reported rather than the first.
 */
export function createAjv(options: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({ ...options, allErrors: true, allowUnionTypes: true });
  addFormats.default(ajv);
  return ajv;
}

/** Validators for the component schemas of a dereferenced contract. */
export function createSchemaValidators(contract: ContractDocument): (schemaName: string) => Validate {
  const ajv = createAjv({ strict: true });
  return (schemaName) => {
    const schema = contract.components.schemas[schemaName];
    if (!schema) throw new Error(`The contract has no schema named ${schemaName}`);
    const validate = ajv.compile(schema);
    return (value) => (validate(value) ? [] : toViolations(validate.errors ?? []));
  };
}

/**
 * Turns Ajv errors into violations a person can act on. Ajv reports a failed `oneOf` with the
 * errors of every branch; each branch of the contract's unions fixes `type`, so only the branch
 * whose `type` matches is relevant. Ajv's own `discriminator` support cannot do this here: the
 * document has no `discriminator` (openapi-typescript mistypes unions that carry one), and the
 * unknown-event branch is not a single value.
 */
export function toViolations(errors: readonly ErrorObject[], instancePrefix = ''): Violation[] {
  let remaining = [...errors];
  const oneOfs = errors.filter((error) => error.keyword === 'oneOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const oneOf of oneOfs) {
    if (remaining.includes(oneOf)) remaining = pruneOneOf(remaining, oneOf);
  }
  const violations = new Map<string, Violation>();
  for (const error of remaining) {
    const violation = toViolation(error, instancePrefix);
    violations.set(`${violation.pointer} ${violation.message}`, violation);
  }
  return [...violations.values()];
}

function pruneOneOf(errors: ErrorObject[], oneOf: ErrorObject): ErrorObject[] {
  const branchPrefix = `${oneOf.schemaPath}/`;
  const branchOf = (error: ErrorObject) =>
    error.schemaPath.startsWith(branchPrefix) ? Number(error.schemaPath.slice(branchPrefix.length).split('/')[0]) : undefined;
  const typePointer = `${oneOf.instancePath}/type`;
  const rejectsType = (error: ErrorObject) =>
    error.instancePath === typePointer ||
    (error.keyword === 'required' && error.instancePath === oneOf.instancePath && error.params['missingProperty'] === 'type');

  const branches = new Set(errors.map(branchOf).filter((branch) => branch !== undefined));
  const typeMatches = [...branches].filter((branch) => !errors.some((error) => branchOf(error) === branch && rejectsType(error)));
  if (typeMatches.length > 1) return errors;

  const unrelated = errors.filter((error) => error !== oneOf && branchOf(error) === undefined);
  const [matching] = typeMatches;
  if (matching !== undefined) return [...unrelated, ...errors.filter((error) => branchOf(error) === matching)];

  // No branch accepts this `type`: one error that lists the values that would be accepted.
  const typeErrors = errors.filter((error) => branchOf(error) !== undefined && rejectsType(error));
  const missing = typeErrors.find((error) => error.keyword === 'required');
  const allowedValues = typeErrors.flatMap((error) => (error.keyword === 'enum' ? (error.params['allowedValues'] as unknown[]) : []));
  // The branch of new event types accepts any name of a given form rather than a list: what the
  // value lacks of that form.
  const newTypeRules = typeErrors.flatMap((error) =>
    error.keyword === 'pattern'
      ? [`match ${String(error.params['pattern'])}`]
      : error.keyword === 'maxLength'
        ? [`be at most ${String(error.params['limit'])} characters`]
        : [],
  );
  const replacement: ErrorObject = missing ?? {
    ...oneOf,
    instancePath: typePointer,
    keyword: 'enum',
    params: { allowedValues, newTypeRules },
    message: 'must be equal to one of the allowed values',
  };
  return [...unrelated, replacement];
}

function toViolation(error: ErrorObject, instancePrefix: string): Violation {
  const pointer = error.instancePath.startsWith(instancePrefix) ? error.instancePath.slice(instancePrefix.length) : error.instancePath;
  switch (error.keyword) {
    case 'required':
      return { pointer: `${pointer}/${escapePointerToken(String(error.params['missingProperty']))}`, message: 'is required' };
    case 'type':
      return { pointer, message: `must be ${String(error.params['type']).split(',').join(' or ')}` };
    case 'enum': {
      const values = `must be one of: ${(error.params['allowedValues'] as unknown[]).map(String).join(', ')}`;
      const newTypeRules = (error.params['newTypeRules'] as string[] | undefined) ?? [];
      return {
        pointer,
        message: newTypeRules.length > 0 ? `${values}; or, for an event type not described yet, ${newTypeRules.join(' and ')}` : values,
      };
    }
    default:
      return { pointer, message: error.message ?? `fails ${error.keyword}` };
  }
}

/** A key as one token of a JSON pointer (RFC 6901). */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}
