// Validation against the contract's schemas, and violations a person can act on.
import { Ajv2020, type ErrorObject, type Options, type ValidateFunction } from 'ajv/dist/2020.js';
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

/** The most violations reported of one value; each found beyond is only counted. */
export const maxViolationsReported = 1000;

/**
 * Violations as they are reported: the first `maxViolationsReported` found, once each, then one
 * that counts those found beyond. A signed body can break the contract at each of its values, a
 * million of them in a few megabytes: what is found beyond those kept is counted, never built.
 */
export class ViolationReport {
  readonly #kept: Violation[] = [];
  readonly #keys = new Set<string>();
  #beyond = 0;

  /** Whether the violations found from now on are only counted. */
  get full(): boolean {
    return this.#kept.length >= maxViolationsReported;
  }

  /** Keeps a violation (once for each place and message), or counts it when the report is full. */
  add(violation: Violation): void {
    if (this.full) {
      this.#beyond += 1;
      return;
    }
    const key = `${violation.pointer} ${violation.message}`;
    if (this.#keys.has(key)) return;
    this.#keys.add(key);
    this.#kept.push(violation);
  }

  /** Counts a violation found once the report is full, without building it. */
  countBeyond(): void {
    this.#beyond += 1;
  }

  get violations(): Violation[] {
    if (this.#beyond === 0) return [...this.#kept];
    return [...this.#kept, { pointer: '', message: `and ${this.#beyond} more violations, not kept` }];
  }
}

/** Adds the violations of a value to a report. */
export type ReportViolations = (value: unknown, report: ViolationReport) => void;

/** Validators for the component schemas of a dereferenced contract. */
export function createSchemaValidators(contract: ContractDocument): (schemaName: string) => Validate {
  // Not strict, as openapi-backend's validators: a schema of an OpenAPI document may carry
  // OpenAPI's own keywords (`example`, `externalDocs`, `xml`), which strict Ajv refuses.
  const ajv = createAjv({ strict: false });
  return (schemaName) => {
    const schema = contract.components.schemas[schemaName];
    if (!schema) throw new Error(`The contract has no schema named ${schemaName}`);
    const validate = compileValidator(ajv, schema);
    return (value) => {
      const report = new ViolationReport();
      validate(value, report);
      return report.violations;
    };
  };
}

type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keywords that describe and never reject: beside them, a `oneOf` is all a schema checks. */
const annotationKeywords = new Set(['title', 'description', '$comment', 'examples', 'example', 'deprecated', 'default', 'discriminator']);

/**
 * The validator of `schema` with `ajv`. A union whose branches each tell their `type` (the
 * contract's AdaWebhookDelivery: one branch per event, then the unknown-event branch) checks a
 * value against the one branch that takes its `type`: Ajv checks every branch in full, so a body
 * that breaks the contract at each of its values costs as many times that as there are branches,
 * and toViolations keeps only the branch that `type` selects anyway. The violations are the same.
 */
export function compileValidator(ajv: Ajv2020, schema: Schema): ReportViolations {
  const branches = branchesByType(ajv, schema);
  if (!branches) {
    const validate = ajv.compile(schema);
    return (value, report) => {
      if (!validate(value)) reportErrors(validate.errors ?? [], report);
    };
  }
  return (value, report) => {
    if (!isObject(value)) {
      reportErrors(unionErrors(branches, value), report);
      return;
    }
    const taking = branches.filter(({ takes }) => takes(value));
    if (taking.length === 1) {
      const [{ validate }] = taking as [Branch];
      if (!validate(value)) reportErrors(validate.errors ?? [], report);
      return;
    }
    // No branch takes this `type`: the one violation is that, and it depends on `type` alone.
    const checked = taking.length > 0 ? value : Object.hasOwn(value, 'type') ? { type: value['type'] } : {};
    reportErrors(unionErrors(branches, checked), report);
  };
}

interface Branch {
  /** Whether the branch takes the value's `type` (or its lack of one). */
  takes: (value: Record<string, unknown>) => boolean;
  validate: ValidateFunction;
}

/** The branches of a union that tells them apart by `type`, each compiled; undefined for any other schema. */
function branchesByType(ajv: Ajv2020, schema: Schema): Branch[] | undefined {
  const { oneOf } = schema;
  const checksMore = Object.keys(schema).some(
    (keyword) => keyword !== 'oneOf' && !annotationKeywords.has(keyword) && !keyword.startsWith('x-'),
  );
  if (!Array.isArray(oneOf) || checksMore || !oneOf.every(isObject)) return undefined;
  const typeSchemas = oneOf.map((branch) => (isObject(branch['properties']) ? branch['properties']['type'] : undefined));
  if (typeSchemas.every((typeSchema) => typeSchema === undefined)) return undefined;
  return oneOf.map((branch, index) => {
    const typeSchema = typeSchemas[index];
    const takesType = typeSchema === undefined ? () => true : ajv.compile(typeSchema as Schema | boolean);
    const requiresType = Array.isArray(branch['required']) && branch['required'].includes('type');
    return { takes: (value) => (Object.hasOwn(value, 'type') ? takesType(value['type']) : !requiresType), validate: ajv.compile(branch) };
  });
}

/**
 * Ajv's errors for the union (`oneOf`) of the branches, from the branches' own validators: each
 * branch's errors under `#/oneOf/<n>`, then the `oneOf`'s, unless exactly one branch passes. Ajv
 * would compile the union into code of its own, which the branch validators cannot share: that
 * would compile every branch twice, and double the start-up's compiling.
 */
function unionErrors(branches: readonly Branch[], value: unknown): ErrorObject[] {
  const errors: ErrorObject[] = [];
  const passing: number[] = [];
  branches.forEach(({ validate }, index) => {
    if (validate(value)) passing.push(index);
    else for (const error of validate.errors ?? []) errors.push({ ...error, schemaPath: `#/oneOf/${index}${error.schemaPath.slice(1)}` });
  });
  if (passing.length === 1) return [];
  const passingSchemas = passing.length > 1 ? passing : null;
  errors.push({
    instancePath: '',
    schemaPath: '#/oneOf',
    keyword: 'oneOf',
    params: { passingSchemas },
    message: 'must match exactly one schema in oneOf',
  });
  return errors;
}

/**
 * Turns Ajv errors into violations a person can act on. Ajv reports a failed `oneOf` with the
 * errors of every branch; each branch of the contract's unions fixes `type`, so only the branch
 * whose `type` matches is relevant. Ajv's own `discriminator` support cannot do this here: the
 * document has no `discriminator` (openapi-typescript mistypes unions that carry one), and the
 * unknown-event branch is not a single value.
 */
export function toViolations(errors: readonly ErrorObject[], instancePrefix = ''): Violation[] {
  const report = new ViolationReport();
  reportErrors(errors, report, instancePrefix);
  return report.violations;
}

/** Adds the violations that Ajv's errors say to a report (see toViolations). */
export function reportErrors(errors: readonly ErrorObject[], report: ViolationReport, instancePrefix = ''): void {
  for (const error of withBranchesPruned(errors)) {
    if (report.full) report.countBeyond();
    else report.add(toViolation(error, instancePrefix));
  }
}

/** A failed `oneOf` and the errors of each of its branches. */
interface FailedUnion {
  oneOf: ErrorObject;
  branches: Map<number, ErrorObject[]>;
}

type Unions = Map<string, Map<string, FailedUnion>>;

/**
 * The errors without those of the branches that a failed `oneOf`'s `type` does not select, in
 * Ajv's order; a `oneOf` that no branch's `type` matches becomes one error that lists what
 * `type` may be. Outer unions first, as an inner one may be in a branch that goes. Each error is
 * looked at once for each union around it, whatever the number of unions (one per item of an
 * array of unions).
 */
function withBranchesPruned(errors: readonly ErrorObject[]): readonly ErrorObject[] {
  // By schema path, then by the place of the value it applies to.
  const unions: Unions = new Map();
  for (const error of errors) {
    if (error.keyword !== 'oneOf') continue;
    const atPath = unions.get(error.schemaPath) ?? unions.set(error.schemaPath, new Map()).get(error.schemaPath)!;
    atPath.set(error.instancePath, { oneOf: error, branches: new Map() });
  }
  if (unions.size === 0) return errors;
  // For each `oneOf/<n>` in a schema path, the unions at that path and the branch: worked out
  // once for each path, which the errors of many values share.
  const enclosing = new Map<string, [Map<string, FailedUnion>, number][]>();
  for (const error of errors) {
    let around = enclosing.get(error.schemaPath);
    if (!around) {
      around = [...error.schemaPath.matchAll(/\/oneOf\/(\d+)/g)].flatMap((match) => {
        const atPath = unions.get(error.schemaPath.slice(0, match.index + '/oneOf'.length));
        return atPath ? [[atPath, Number(match[1])] as [Map<string, FailedUnion>, number]] : [];
      });
      enclosing.set(error.schemaPath, around);
    }
    for (const [atPath, branch] of around) {
      const union = nearestUnion(atPath, error.instancePath);
      if (!union) continue;
      const members = union.branches.get(branch);
      if (members) members.push(error);
      else union.branches.set(branch, [error]);
    }
  }

  const dropped = new Set<ErrorObject>();
  const replaced = new Map<ErrorObject, ErrorObject>();
  const outerFirst = [...unions.values()]
    .flatMap((atPath) => [...atPath.values()])
    .sort((a, b) => a.oneOf.schemaPath.length - b.oneOf.schemaPath.length);
  for (const { oneOf, branches } of outerFirst) {
    if (dropped.has(oneOf)) continue;
    const typePointer = `${oneOf.instancePath}/type`;
    const rejectsType = (error: ErrorObject) =>
      error.instancePath === typePointer ||
      (error.keyword === 'required' && error.instancePath === oneOf.instancePath && error.params['missingProperty'] === 'type');
    const remaining = [...branches].map(([branch, members]) => [branch, members.filter((error) => !dropped.has(error))] as const);
    const present = remaining.filter(([, members]) => members.length > 0);
    const typeMatches = present.filter(([, members]) => !members.some(rejectsType));
    if (typeMatches.length > 1) continue;

    dropped.add(oneOf);
    const [matching] = typeMatches;
    for (const [branch, members] of present) if (branch !== matching?.[0]) for (const error of members) dropped.add(error);
    if (matching) continue;

    // No branch accepts this `type`: one error that lists the values that would be accepted.
    const typeErrors = present.flatMap(([, members]) => members.filter(rejectsType));
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
    replaced.set(
      oneOf,
      missing ?? {
        ...oneOf,
        instancePath: typePointer,
        keyword: 'enum',
        params: { allowedValues, newTypeRules },
        message: 'must be equal to one of the allowed values',
      },
    );
  }
  return errors.flatMap((error) => {
    const replacement = replaced.get(error);
    if (replacement) return [replacement];
    return dropped.has(error) ? [] : [error];
  });
}

/** Of the unions at one schema path, the one that applies to the value at `instancePath` or to the nearest value that holds it. */
function nearestUnion(atPath: Map<string, FailedUnion>, instancePath: string): FailedUnion | undefined {
  for (let instance = instancePath; ; instance = instance.slice(0, instance.lastIndexOf('/'))) {
    const union = atPath.get(instance);
    if (union || instance === '') return union;
  }
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
