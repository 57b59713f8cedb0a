import { ProtocolError } from "../errors";
import { isJsonObject, type JsonObject } from "../json";

/**
 * Pomelo's protos, in its two forms. The source form is what a game declares, one message per
 * route and optional root messages shared by all (`"message Path": {…}`):
 *
 *   { "onMove": { "required uInt32 entityId": 1, "repeated Path path": 2 },
 *     "message Path": { "required double x": 1, "required double y": 2 } }
 *
 * The parsed form is what NetEase's `pomelo-protobuf` `parse` returns and what its clients expect
 * in the handshake's `sys.protos` (they pass it straight to `protobuf.init`): every field becomes
 * `{option, type, tag}`, then `__messages` (nested message types) and `__tags` (tag → field name).
 */
export type ProtoOption = "required" | "optional" | "repeated";

export interface ParsedField {
  readonly option: ProtoOption;
  readonly type: string;
  readonly tag: number;
}

/** One parsed message: its fields by name, plus `__messages` and `__tags` (Pomelo's layout). */
export type ParsedMessage = { readonly [field: string]: ParsedField } & {
  readonly __messages: Readonly<Record<string, ParsedMessage>>;
  readonly __tags: Readonly<Record<number, string>>;
};

/** Route (or `message <Name>` for a root message type) → parsed message. */
export type ParsedProtos = Readonly<Record<string, ParsedMessage>>;

/** The types pomelo-protobuf can encode; anything else must name a message type. */
export const SCALAR_TYPES = ["uInt32", "int32", "sInt32", "float", "double", "string"] as const;
export type ScalarType = (typeof SCALAR_TYPES)[number];

/** Field tags are varints of `tag << 3 | wireType`, kept within 32 bits as Pomelo's `<<` does. */
export const MAX_FIELD_TAG = 2 ** 28 - 1;
const ROOT_MESSAGE_PREFIX = "message ";
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Types pomelo-protobuf names but cannot encode (uInt64, sInt64) or does not know (bool, bytes). */
const UNSUPPORTED_TYPES = new Set(["uInt64", "sInt64", "int64", "bool", "bytes", "fixed32", "fixed64", "sfixed32", "sfixed64", "enum"]);

/**
 * Pomelo's `parse`, strict: the result is the same object `pomelo-protobuf` builds (same key order,
 * so the same JSON in the handshake), but where Pomelo silently skips a malformed key or a
 * duplicate tag, or fails only when a message is sent, this throws BAD_PROTOS naming the key.
 * `where` prefixes every message (`arena.protos.server`).
 */
export function parseProtos(source: unknown, where: string): ParsedProtos {
  if (!isJsonObject(source)) throw new ProtocolError("BAD_PROTOS", `${where} must be an object of route → message`);
  const parsed: Record<string, ParsedMessage> = {};
  for (const key of Object.keys(source)) {
    const path = `${where}["${key}"]`;
    if (key.startsWith(ROOT_MESSAGE_PREFIX)) assertTypeName(key.slice(ROOT_MESSAGE_PREFIX.length), path);
    else if (key.length === 0 || key.includes(" ")) throw new ProtocolError("BAD_PROTOS", `${path}: a route must be non-empty without spaces, or "message <Name>" for a shared message`);
    parsed[key] = parseMessage(source[key], path);
  }
  checkTypesResolve(parsed, where);
  return parsed;
}

/** The root message types of a parsed set, by name (`message Path` → `Path`). */
export function rootMessages(protos: ParsedProtos): ReadonlyMap<string, ParsedMessage> {
  const roots = new Map<string, ParsedMessage>();
  for (const key of Object.keys(protos)) {
    if (key.startsWith(ROOT_MESSAGE_PREFIX)) roots.set(key.slice(ROOT_MESSAGE_PREFIX.length), protos[key]);
  }
  return roots;
}

export function isRootMessageKey(key: string): boolean {
  return key.startsWith(ROOT_MESSAGE_PREFIX);
}

export function isScalarType(type: string): type is ScalarType {
  return (SCALAR_TYPES as readonly string[]).includes(type);
}

function parseMessage(source: unknown, path: string): ParsedMessage {
  if (!isJsonObject(source)) throw new ProtocolError("BAD_PROTOS", `${path} must be an object of "<option> <type> <name>": tag entries`);
  const message: Record<string, unknown> = {};
  const nested: Record<string, ParsedMessage> = {};
  const tags: Record<number, string> = {};
  for (const key of Object.keys(source)) {
    const value = source[key];
    const words = key.split(" ");
    const at = `${path}["${key}"]`;
    if (words[0] === "message") {
      if (words.length !== 2) throw new ProtocolError("BAD_PROTOS", `${at}: a nested message is "message <Name>"`);
      assertTypeName(words[1], at);
      nested[words[1]] = parseMessage(value, at);
      continue;
    }
    if (words.length !== 3 || (words[0] !== "required" && words[0] !== "optional" && words[0] !== "repeated")) {
      throw new ProtocolError("BAD_PROTOS", `${at}: a field is "<required|optional|repeated> <type> <name>", a nested message "message <Name>"`);
    }
    const [option, type, name] = words as [ProtoOption, string, string];
    if (!NAME.test(name) || name === "__messages" || name === "__tags" || name === "__proto__") {
      throw new ProtocolError("BAD_PROTOS", `${at}: field name "${name}" must be letters, digits and _ (not __messages, __tags or __proto__)`);
    }
    if (UNSUPPORTED_TYPES.has(type)) throw new ProtocolError("BAD_PROTOS", `${at}: type ${type} is not supported by pomelo-protobuf; use ${SCALAR_TYPES.join(", ")} or a message`);
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_FIELD_TAG) {
      throw new ProtocolError("BAD_PROTOS", `${at}: the tag must be an integer in [1, ${MAX_FIELD_TAG}], got ${JSON.stringify(value)}`);
    }
    const tag = value as number;
    if (tags[tag] !== undefined) throw new ProtocolError("BAD_PROTOS", `${at}: tag ${tag} is already used by field ${tags[tag]}`);
    if (message[name] !== undefined) throw new ProtocolError("BAD_PROTOS", `${at}: field ${name} is declared twice`);
    message[name] = { option, type, tag };
    tags[tag] = name;
  }
  message.__messages = nested;
  message.__tags = tags;
  return message as ParsedMessage;
}

/** A message type name: an identifier that is neither a scalar type nor an Object.prototype key (Pomelo looks types up on plain objects). */
function assertTypeName(name: string | undefined, at: string): void {
  if (name === undefined || !NAME.test(name) || isScalarType(name) || name in Object.prototype) {
    throw new ProtocolError("BAD_PROTOS", `${at}: message name "${name ?? ""}" must be an identifier other than a scalar type or an Object.prototype name (constructor, toString …)`);
  }
}

/** Pomelo resolves a field's message type in the enclosing message's `__messages`, then among root messages. */
function checkTypesResolve(protos: ParsedProtos, where: string): void {
  const roots = rootMessages(protos);
  const visit = (message: ParsedMessage, path: string): void => {
    for (const name of Object.keys(message)) {
      if (name === "__messages" || name === "__tags") continue;
      const { type } = message[name];
      if (!isScalarType(type) && message.__messages[type] === undefined && !roots.has(type)) {
        throw new ProtocolError("BAD_PROTOS", `${path}: field ${name} has type ${type}, which is neither ${SCALAR_TYPES.join(", ")} nor a message nested here or declared at the root ("message ${type}")`);
      }
    }
    for (const [nestedName, nested] of Object.entries(message.__messages)) visit(nested, `${path}.${nestedName}`);
  };
  for (const key of Object.keys(protos)) visit(protos[key], `${where}["${key}"]`);
}

/** The handshake's `sys.protos`, as Pomelo's server sends it. */
export function handshakeProtos(server: ParsedProtos, client: ParsedProtos, version: string): JsonObject {
  return { server, client, version };
}
