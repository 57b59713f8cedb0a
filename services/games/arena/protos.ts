/**
 * The arena's protobuf bodies (Pomelo's JSON proto format) for clients that handshake with
 * `sys.protoVersion`; every other client keeps JSON. Responses also carry the error fields a failed
 * request answers with (`{code, error, message, handlerCode}`), so errors reach protobuf clients too.
 * Positions are doubles: moves may carry any number in the field, and JSON clients see the same value.
 */
import type { ProtosSource } from "../../src/protocol";

const answer = (fields: Record<string, number>) => ({
  "optional uInt32 code": 1,
  "optional string error": 2,
  "optional string message": 3,
  "optional string handlerCode": 4,
  ...fields,
});

export const arenaProtos: ProtosSource = {
  server: {
    "arena.room.join": answer({
      "optional string id": 5,
      "optional string server": 6,
      "optional string record": 7,
      "optional uInt32 seq": 8,
      "optional string room": 9,
      "optional double x": 10,
      "optional double y": 11,
      "optional uInt32 tick": 12,
      "optional uInt32 players": 13,
    }),
    "arena.room.move": answer({ "optional uInt32 seq": 5, "optional string server": 6, "optional string record": 7 }),
    onState: {
      "message Player": { "required string id": 1, "required string name": 2, "required double x": 3, "required double y": 4 },
      "required uInt32 tick": 1,
      "required string room": 2,
      "repeated Player players": 3,
    },
    onAck: { "required uInt32 tick": 1, "required uInt32 seq": 2 },
  },
  client: {
    "arena.room.join": { "optional string name": 1, "optional string uid": 2 },
    "arena.room.move": { "optional uInt32 seq": 1, "optional double x": 2, "optional double y": 3, "optional string dir": 4 },
  },
};
