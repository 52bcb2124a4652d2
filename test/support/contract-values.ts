// Values a test means to be outside the contract, derived from the contract as it is now: a person
// who adds an event type or an enum value to openapi/ada-webhooks.yaml, as docs/contract.md shows,
// must not find a test that hard-coded the contract's lists failing.
import { loadContract } from '../../src/contract/document.ts';
import { knownEventNames } from '../../src/contract/events.ts';

const { schemas } = loadContract().components;

type EnumSchema = { enum?: string[]; properties?: Record<string, { enum?: string[] }> };

/** The values that the enum of the contract's `schema` (of its `property`, if named) lists, in its order. */
export function listed(schema: string, property?: string): string[] {
  const at = schemas[schema] as EnumSchema | undefined;
  const found = property === undefined ? at?.enum : at?.properties?.[property]?.enum;
  if (!found) throw new Error(`the contract's ${schema} has no enum${property === undefined ? '' : ` at ${property}`}`);
  return found;
}

/** `preferred`, or the first of `preferred_2`, `preferred_3`, ... that `values` does not hold. */
export function unlisted(values: readonly string[], preferred: string): string {
  let value = preferred;
  for (let suffix = 2; values.includes(value); suffix++) value = `${preferred}_${suffix}`;
  return value;
}

/** An event type of Ada's form that the contract does not describe. */
export const unknownEventType = (preferred: string): string => unlisted(knownEventNames, preferred);
