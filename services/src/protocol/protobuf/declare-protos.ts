/**
 * The server side of protos: a game's declaration parsed, validated and versioned. Not exported by
 * the protocol index, so `node:crypto` stays out of the client SDK's browser bundle (clients take
 * protos from the handshake, `ProtobufProtos.fromHandshake`).
 */
import { createHash } from "node:crypto";
import { ProtocolError } from "../errors";
import { isJsonObject } from "../json";
import { ProtobufProtos, type ProtosSource } from "./protobuf-protos";
import { parseProtos, type ParsedProtos } from "./schema";

/** From a game's declaration; BAD_PROTOS names the key and why (`where` prefixes it). */
export function declareProtos(source: ProtosSource, where = "protos"): ProtobufProtos {
  if (!isJsonObject(source)) throw new ProtocolError("BAD_PROTOS", `${where} must be {server?, client?}`);
  const server = parseProtos(source.server ?? {}, `${where}.server`);
  const client = parseProtos(source.client ?? {}, `${where}.client`);
  return new ProtobufProtos(server, client, protosVersion(server, client));
}

/** Pomelo's proto version: the MD5 (base64) of the parsed client protos' JSON then the server protos'. */
export function protosVersion(server: ParsedProtos, client: ParsedProtos): string {
  return createHash("md5").update(JSON.stringify(client) + JSON.stringify(server)).digest("base64");
}
