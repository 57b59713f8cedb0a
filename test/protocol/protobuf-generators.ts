import fc from "fast-check";
import { SCALAR_TYPES } from "../../services/src/protocol/protobuf";

/** A random message declaration (Pomelo's source form) together with values that fit it. */
export interface MessageSpec {
  readonly fields: readonly FieldSpec[];
}

export interface FieldSpec {
  readonly name: string;
  readonly option: "required" | "optional" | "repeated";
  readonly type: (typeof SCALAR_TYPES)[number] | MessageSpec;
  readonly tag: number;
}

const fieldNames = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
/** Tags past 15 take a two-byte key, past 2047 three. */
const tags = fc.oneof(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 16, max: 3000 }));

export function messageSpecs(depth: number): fc.Arbitrary<MessageSpec> {
  const scalar = fc.constantFrom(...SCALAR_TYPES);
  const type: fc.Arbitrary<FieldSpec["type"]> = depth > 0 ? fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: messageSpecs(depth - 1) }) : scalar;
  return fc
    .uniqueArray(fc.record({ name: fieldNames, option: fc.constantFrom("required", "optional", "repeated") as fc.Arbitrary<FieldSpec["option"]>, type }), {
      maxLength: 6,
      selector: (field) => field.name,
    })
    .chain((fields) =>
      fc.uniqueArray(tags, { minLength: fields.length, maxLength: fields.length }).map((chosen) => ({ fields: fields.map((field, index) => ({ ...field, tag: chosen[index] })) })),
    );
}

/** The source form: nested message types are declared inside their parent as `message T<n>`. */
export function sourceOf(spec: MessageSpec): Record<string, unknown> {
  const source: Record<string, unknown> = {};
  spec.fields.forEach((field, index) => {
    if (typeof field.type === "string") {
      source[`${field.option} ${field.type} ${field.name}`] = field.tag;
    } else {
      source[`message T${index}`] = sourceOf(field.type);
      source[`${field.option} T${index} ${field.name}`] = field.tag;
    }
  });
  return source;
}

function scalarValues(type: (typeof SCALAR_TYPES)[number]): fc.Arbitrary<unknown> {
  switch (type) {
    case "uInt32":
      return fc.oneof(fc.constantFrom(0, 127, 128, 2 ** 32 - 1), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    case "int32":
    case "sInt32":
      return fc.oneof(fc.constantFrom(0, -1, 63, -64, 64, 2 ** 31 - 1, -(2 ** 31)), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
    case "float":
      // Values a float holds exactly, so a round trip gives back the same number.
      return fc.float({ noNaN: true, noDefaultInfinity: true });
    case "double":
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case "string":
      return fc.string({ unit: "grapheme", maxLength: 20 });
  }
}

/** Values that fit `spec`, keys in a random order (Pomelo writes fields in the value's order). */
export function valuesOf(spec: MessageSpec): fc.Arbitrary<Record<string, unknown>> {
  const entries = spec.fields.map((field) => {
    const element = typeof field.type === "string" ? scalarValues(field.type) : valuesOf(field.type);
    const value = field.option === "repeated" ? fc.array(element, { maxLength: 4 }) : element;
    return (field.option === "required" ? value : fc.option(value, { nil: undefined })).map((chosen) => [field.name, chosen] as const);
  });
  return fc
    .tuple(...entries)
    .chain((pairs) => fc.shuffledSubarray(pairs, { minLength: pairs.length, maxLength: pairs.length }))
    .map((pairs) => Object.fromEntries(pairs.filter(([, chosen]) => chosen !== undefined)));
}

/** What any decoder gives back for `value`: absent fields and empty repeated fields leave no trace on the wire. */
export function onTheWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(onTheWire);
  if (typeof value !== "object" || value === null) return value;
  const kept: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || (Array.isArray(item) && item.length === 0)) continue;
    kept[key] = onTheWire(item);
  }
  return kept;
}

/** A declaration with one route of each spec, plus the values for it. */
export const protosWithValue = messageSpecs(2).chain((spec) => valuesOf(spec).map((value) => ({ source: { "test.route.call": sourceOf(spec) }, value })));
