// How real traffic differs from the contract, delivery by delivery: the fields that an accepted
// delivery carries and its event's schema does not describe, the violations of a quarantined one
// by kind and place, and the event types that are not described yet. No value that may carry
// personal data unless the operator asks for example values: a field is described by its JSON
// type; only a value outside an enum's list (a new channel modality, a new author role) is kept.
// A sender chooses the names and values, of any length: paths name them unambiguously (drift-path.ts),
// and each is kept bounded (see keptPath).
import { storableText } from '../support/storable-text.ts';
import { itemsPath, propertyPath, visibleJson, visibleText } from './drift-path.ts';
import { eventTypeLabel, eventTypeOf, isKnownEventName } from './events.ts';
import type { ContractDocument } from './document.ts';
import type { Violation } from './validation.ts';

export const driftKinds = [
  'unknown_field',
  'unlisted_value',
  'other_type',
  'missing_field',
  'unknown_event_type',
  'other_violation',
  // What a sender showed beyond the differences kept apart per event type (see intake/contract-drift.ts).
  'beyond_cap',
] as const;
export type DriftKind = (typeof driftKinds)[number];

/** One difference that one delivery shows. */
export interface DriftObservation {
  /** A known event type, or the name of an unknown one (`unknown_event_type`), or `unknown`. */
  eventType: string;
  kind: DriftKind;
  /**
   * Where, array items collapsed, as drift-path.ts writes it: `data.content.buttons[].label`,
   * `data["ended_by.satisfaction"]`; empty for the event itself. At most `maxPathBytes`.
   */
  path: string;
  /** The JSON type seen (unknown field, other type), the value (unlisted value, at most `maxValueBytes`); empty otherwise. */
  detail: string;
  /** An unknown field's value as JSON, at most `maxValueBytes`: only when the observer is asked to keep values. */
  exampleValue?: string;
}

/** What tells one difference from another: its event type, kind, path and detail. */
export type DriftDifference = Pick<DriftObservation, 'eventType' | 'kind' | 'path' | 'detail'>;

export const driftKey = ({ eventType, kind, path, detail }: DriftDifference): string => JSON.stringify([eventType, kind, path, detail]);

/**
 * The most of a path that is kept, in bytes of UTF-8: in memory, in the log, in the inbox (a
 * PostgreSQL index entry takes at most 2,704 bytes), in what `drift --write` reads. A longer path
 * is kept as its start and `…`, and two paths that start alike up to there are one difference.
 */
export const maxPathBytes = 256;
/** The most of a value that is kept (an unlisted value, an example value): an enum's values are short names. */
export const maxValueBytes = 128;

/** A path as it is kept: see maxPathBytes. */
export const keptPath = (path: string): string => storableText(path, maxPathBytes);
/** A value as it is kept: see maxValueBytes. */
export const keptValue = (value: string): string => storableText(value, maxValueBytes);

/** What a schema says of a value's shape: the properties it describes, the items, the variants. */
type Shape =
  | { kind: 'object'; properties: Map<string, Shape>; open: boolean }
  | { kind: 'array'; items: Shape }
  | { kind: 'variants'; discriminator: string; variants: Map<string, Shape> }
  | { kind: 'leaf' };

type Schema = Record<string, unknown>;

const leaf: Shape = { kind: 'leaf' };

/** The shape of a dereferenced schema: variants told apart by a property every one fixes to one value, or merged. */
function shapeOf(schema: Schema | undefined): Shape {
  if (!schema || typeof schema !== 'object') return leaf;
  const variants = (schema['oneOf'] ?? schema['anyOf']) as Schema[] | undefined;
  if (variants) return variantsShape(variants.map(shapeOf), variants);
  const parts = schema['allOf'] as Schema[] | undefined;
  if (parts) return merge(parts.map(shapeOf));
  if (schema['items']) return { kind: 'array', items: shapeOf(schema['items'] as Schema) };
  const properties = schema['properties'] as Record<string, Schema> | undefined;
  const open = schema['additionalProperties'] !== undefined || schema['patternProperties'] !== undefined;
  if (properties || open) {
    return { kind: 'object', properties: new Map(Object.entries(properties ?? {}).map(([name, child]) => [name, shapeOf(child)])), open };
  }
  return leaf;
}

/** The one value that a schema fixes its property `name` to, if it does. */
function fixed(schema: Schema, name: string): string | undefined {
  const property = (schema['properties'] as Record<string, Schema> | undefined)?.[name];
  const values = property?.['enum'] ?? (property?.['const'] !== undefined ? [property['const']] : undefined);
  return Array.isArray(values) && values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
}

function variantsShape(shapes: Shape[], schemas: Schema[]): Shape {
  const candidates = Object.keys((schemas[0]?.['properties'] as Record<string, Schema> | undefined) ?? {});
  const discriminator = candidates.find((name) => schemas.every((schema) => fixed(schema, name) !== undefined));
  if (discriminator === undefined) return merge(shapes);
  return {
    kind: 'variants',
    discriminator,
    variants: new Map(schemas.map((schema, index) => [fixed(schema, discriminator)!, shapes[index]!])),
  };
}

/** One object shape that describes every property any of them describes. */
function merge(shapes: Shape[]): Shape {
  const objects = shapes.filter((shape) => shape.kind === 'object');
  if (objects.length === 0) return shapes[0] ?? leaf;
  const properties = new Map<string, Shape>();
  for (const object of objects) for (const [name, shape] of object.properties) properties.set(name, properties.get(name) ?? shape);
  return { kind: 'object', properties, open: objects.some((object) => object.open) };
}

/** JSON's name for the type of a value, integers told apart from other numbers. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What was found of each unknown field: its JSON type, and its value when asked. */
type Found = Map<string, { type: string; value: unknown }>;

function unknownFields(value: unknown, shape: Shape, path: string, found: Found): void {
  switch (shape.kind) {
    case 'object':
      if (!isObject(value)) return;
      // A path is built only where it is needed: a few µs per delivery are the budget.
      for (const name in value) {
        const child = shape.properties.get(name);
        if (child === undefined) {
          const at = keptPath(propertyPath(path, name));
          if (!shape.open && !found.has(at)) found.set(at, { type: jsonType(value[name]), value: value[name] });
        } else if (child.kind !== 'leaf') {
          unknownFields(value[name], child, propertyPath(path, name), found);
        }
      }
      return;
    case 'array':
      if (Array.isArray(value)) for (const item of value) unknownFields(item, shape.items, itemsPath(path), found);
      return;
    case 'variants': {
      const variant = isObject(value) ? shape.variants.get(String(value[shape.discriminator])) : undefined;
      if (variant) unknownFields(value, variant, path, found);
      return;
    }
    case 'leaf':
      return;
  }
}

/** The drift path of a JSON pointer into `value`, array indexes collapsed to `[]`. */
function pathOf(pointer: string, value: unknown): { path: string; found: unknown } {
  let path = '';
  let at: unknown = value;
  for (const token of pointer.split('/').slice(1)) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(at)) {
      path = itemsPath(path);
      at = at[Number(key)];
    } else {
      path = propertyPath(path, key);
      at = isObject(at) ? at[key] : undefined;
    }
  }
  return { path, found: at };
}

/** The kinds of violation that toViolation words (see validation.ts), told by their message. */
function kindOf(violation: Violation): DriftKind {
  if (violation.message === 'is required') return 'missing_field';
  if (violation.message.startsWith('must be one of: ')) return 'unlisted_value';
  if (/^must be (string|number|integer|boolean|object|array|null)( or |$)/.test(violation.message)) return 'other_type';
  return 'other_violation';
}

export interface DriftObserver {
  /** What an accepted delivery's event shows: its unknown fields, or its type when the contract does not know it. */
  accepted(event: unknown): DriftObservation[];
  /** What a quarantined delivery's violations show, by kind and place. */
  quarantined(event: unknown, violations: readonly Violation[]): DriftObservation[];
}

/**
 * An observer for the events of a dereferenced contract. `exampleValues`: an unknown field's value
 * is kept beside its type, for an operator who asked for it; it may carry personal data.
 */
export function createDriftObserver(contract: ContractDocument, { exampleValues = false } = {}): DriftObserver {
  // Each known event's branch of the receiver's union fixes its `type`; the unknown-event branch does not.
  const branches = (contract.components.schemas['AdaWebhookDelivery']?.['oneOf'] ?? []) as Schema[];
  const shapeOfType = new Map(
    branches.flatMap((branch) => (isKnownEventName(fixed(branch, 'type') ?? '') ? [[fixed(branch, 'type')!, shapeOf(branch)]] : [])),
  );
  return {
    accepted(event) {
      const type = eventTypeOf(event);
      if (type === undefined) return [];
      if (!isKnownEventName(type)) return [{ eventType: type, kind: 'unknown_event_type', path: '', detail: '' }];
      const shape = shapeOfType.get(type);
      if (!shape) return [];
      const found: Found = new Map();
      unknownFields(event, shape, '', found);
      return [...found].map(([path, seen]) => ({
        eventType: type,
        kind: 'unknown_field',
        path,
        detail: seen.type,
        ...(exampleValues ? { exampleValue: keptValue(JSON.stringify(seen.value)) } : {}),
      }));
    },
    quarantined(event, violations) {
      const eventType = eventTypeLabel(eventTypeOf(event));
      const seen = new Map<string, DriftObservation>();
      for (const violation of violations) {
        const kind = kindOf(violation);
        const { path: fullPath, found } = pathOf(violation.pointer, event);
        const path = keptPath(fullPath);
        const detail = kind === 'unlisted_value' ? keptValue(String(found)) : kind === 'other_type' ? jsonType(found) : '';
        seen.set(`${kind} ${path} ${detail}`, { eventType, kind, path, detail });
      }
      return [...seen.values()];
    },
  };
}

/** One difference in words, without its event type: the same in the log line and in `npm run drift`. */
export function describeDrift({ eventType, kind, path: seenPath, detail }: DriftDifference): string {
  // Bounded again, its unseen characters shown: an inbox may hold summaries from before paths were bounded and escaped.
  const path = visibleText(keptPath(seenPath));
  switch (kind) {
    case 'unknown_field':
      return `${path} (${detail}) is not described by the contract`;
    case 'unlisted_value':
      return `${path} = ${visibleJson(detail)} is not a value the contract lists`;
    case 'other_type':
      return `${path || '(body)'} is ${detail}, not the contract's type`;
    case 'missing_field':
      return `${path} is missing, and the contract requires it`;
    case 'unknown_event_type':
      return `event type ${eventType} is not described by the contract`;
    case 'other_violation':
      return `${path || '(body)'} violates the contract`;
    case 'beyond_cap':
      return 'more differences than the receiver keeps apart for one event type';
  }
}
