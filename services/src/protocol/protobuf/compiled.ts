import { isRootMessageKey, isScalarType, rootMessages, type ParsedMessage, type ParsedProtos } from "./schema";

/**
 * Parsed protos turned into what the encoder and decoder walk: fields by name and by tag, each with
 * its wire key precomputed. Built once per proto set; message types that refer to themselves
 * (through root messages) share one compiled object.
 */
export const FieldKind = {
  UInt32: 0,
  /** `int32` and `sInt32`: Pomelo zigzag-encodes both. */
  SInt32: 1,
  Float: 2,
  Double: 3,
  String: 4,
  Message: 5,
} as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

/** pomelo-protobuf's wire types (`constant.TYPES`); a message is 2. */
export const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const;

export interface CompiledField {
  readonly name: string;
  readonly kind: FieldKind;
  readonly required: boolean;
  readonly repeated: boolean;
  /** Repeated scalars (not strings) go as one key, an element count, then the elements. */
  readonly packed: boolean;
  readonly tag: number;
  readonly wireType: number;
  /** The field key varint's value: `tag << 3 | wireType`. */
  readonly key: number;
  /** Set for message fields once the whole set is compiled. */
  message: CompiledMessage | undefined;
}

export interface CompiledMessage {
  readonly byName: ReadonlyMap<string, CompiledField>;
  readonly byTag: ReadonlyMap<number, CompiledField>;
  readonly required: readonly CompiledField[];
}

const KIND_OF_SCALAR: Readonly<Record<string, FieldKind>> = {
  uInt32: FieldKind.UInt32,
  int32: FieldKind.SInt32,
  sInt32: FieldKind.SInt32,
  float: FieldKind.Float,
  double: FieldKind.Double,
  string: FieldKind.String,
};

const WIRE_OF_KIND: Readonly<Record<FieldKind, number>> = {
  [FieldKind.UInt32]: WireType.Varint,
  [FieldKind.SInt32]: WireType.Varint,
  [FieldKind.Float]: WireType.Fixed32,
  [FieldKind.Double]: WireType.Fixed64,
  [FieldKind.String]: WireType.LengthDelimited,
  [FieldKind.Message]: WireType.LengthDelimited,
};

/** Route → compiled message, for every route of a validated set (root `message X` entries are types, not routes). */
export function compileProtos(protos: ParsedProtos): ReadonlyMap<string, CompiledMessage> {
  const roots = rootMessages(protos);
  const compiled = new Map<ParsedMessage, CompiledMessage>();
  const pending: Array<[CompiledField, ParsedMessage]> = [];

  const compile = (parsed: ParsedMessage): CompiledMessage => {
    const known = compiled.get(parsed);
    if (known !== undefined) return known;
    const byName = new Map<string, CompiledField>();
    const byTag = new Map<number, CompiledField>();
    const required: CompiledField[] = [];
    const message: CompiledMessage = { byName, byTag, required };
    compiled.set(parsed, message);
    for (const name of Object.keys(parsed)) {
      if (name === "__messages" || name === "__tags") continue;
      const { option, type, tag } = parsed[name];
      const kind = isScalarType(type) ? KIND_OF_SCALAR[type] : FieldKind.Message;
      const wireType = WIRE_OF_KIND[kind];
      const repeated = option === "repeated";
      const field: CompiledField = {
        name,
        kind,
        required: option === "required",
        repeated,
        packed: repeated && kind !== FieldKind.String && kind !== FieldKind.Message,
        tag,
        wireType,
        key: tag * 8 + wireType,
        message: undefined,
      };
      if (kind === FieldKind.Message) pending.push([field, parsed.__messages[type] ?? roots.get(type)!]);
      byName.set(name, field);
      byTag.set(tag, field);
      if (field.required) required.push(field);
    }
    return message;
  };

  const routes = new Map<string, CompiledMessage>();
  for (const key of Object.keys(protos)) {
    const message = compile(protos[key]);
    if (!isRootMessageKey(key)) routes.set(key, message);
  }
  while (pending.length > 0) {
    const [field, parsed] = pending.pop()!;
    field.message = compile(parsed);
  }
  return routes;
}
