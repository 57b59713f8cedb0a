/** The viewer parts and merged messages (services/src/game/viewer-frame.ts), pure: what is merged is always JSON, whatever comes off Redis. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { composeViewerMessage, decodeReplicaFrame, encodeEntry, encodeReplicaFrame, entryHead, type ReplicaFrame } from "../../services/src/game/viewer-frame";
import { DEFAULT_FRAME_LIMITS } from "../../services/src/game/viewer-relay";

const part = (server: string, tick: number, bodies: unknown[]): ReplicaFrame => ({
  server,
  tick,
  at: 1_700_000_000_000 + tick,
  entries: bodies.map((body) => encodeEntry(entryHead(server), "room", "onState", JSON.stringify(body))).join(","),
});

describe("viewer frames (pure)", function () {
  it("a part survives publish and decode, and the merged message lists every replica and every broadcast with its server", function () {
    const own = part("a-1", 41, [{ players: ["ann"] }, { n: 'quotes " and \\ survive' }]);
    const decoded = decodeReplicaFrame(Buffer.from(encodeReplicaFrame(part("a-2", 812, [{ players: ["bob"] }]))), DEFAULT_FRAME_LIMITS);
    assert.ok("frame" in decoded);
    const message = JSON.parse(composeViewerMessage(own, [decoded.frame, part("a-3", 7, [])]));
    assert.equal(message.tick, 41);
    assert.equal(message.server, "a-1");
    assert.deepEqual(message.replicas.map((r: { server: string; tick: number }) => `${r.server}@${r.tick}`), ["a-1@41", "a-2@812", "a-3@7"]);
    assert.deepEqual(message.broadcasts.map((b: { server: string }) => b.server), ["a-1", "a-1", "a-2"]);
    assert.equal(message.broadcasts[1].body.n, 'quotes " and \\ survive');
  });

  it("refuses what is too big, too deep, not a part, or holds a broadcast of another server, each with its reason", function () {
    const limits = { maxFrameBytes: 4096, maxBroadcasts: 3 };
    const cases: Array<[string, string, string]> = [
      ["x".repeat(5000), "oversized", "5000 bytes"],
      ["{", "malformed", "not JSON"],
      ["null", "malformed", "not an object"],
      ['{"server":"a b","tick":1,"at":1,"broadcasts":[]}', "malformed", "server"],
      ['{"server":"a","tick":1.5,"at":1,"broadcasts":[]}', "malformed", "tick"],
      ['{"server":"a","tick":1,"at":"now","broadcasts":[]}', "malformed", "at"],
      ['{"server":"a","tick":1,"at":1,"broadcasts":[1,2,3,4]}', "malformed", "4 broadcasts"],
      ['{"server":"a","tick":1,"at":1,"broadcasts":[{"server":"b","channel":"c","route":"r","body":1}]}', "malformed", "broadcast"],
      [`{"server":"a","tick":1,"at":1,"broadcasts":[{"server":"a","channel":"c","route":"r","body":${"[".repeat(65)}${"]".repeat(65)}}]}`, "malformed", "nested deeper than 64"],
    ];
    for (const [raw, reason, detail] of cases) {
      const decoded = decodeReplicaFrame(Buffer.from(raw), limits);
      assert.ok("dropped" in decoded, raw.slice(0, 60));
      assert.equal(decoded.dropped, reason, raw.slice(0, 60));
      assert.match(decoded.detail, new RegExp(detail), raw.slice(0, 60));
    }
    // Brackets inside strings are text, not nesting; extra fields of an entry are not passed on.
    const decoded = decodeReplicaFrame(Buffer.from(`{"server":"a","tick":1,"at":1,"broadcasts":[{"server":"a","channel":"${"[".repeat(100)}","route":"r","body":"\\"{{","extra":"<script>"}]}`), limits);
    assert.ok("frame" in decoded);
    assert.doesNotMatch(decoded.frame.entries, /extra/);
  });

  it("never throws, and whatever it accepts merges into a JSON message (5,000 random and mutated inputs)", function () {
    const valid = encodeReplicaFrame(part("a-2", 3, [{ players: [{ name: "bob", x: 1, y: 2 }] }]));
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.json().map((text) => Buffer.from(text)),
      fc.tuple(fc.nat(valid.length), fc.string({ maxLength: 8 })).map(([at, insert]) => Buffer.from(valid.slice(0, at) + insert + valid.slice(at))),
    );
    fc.assert(
      fc.property(inputs, (raw) => {
        const decoded = decodeReplicaFrame(raw, DEFAULT_FRAME_LIMITS);
        if ("frame" in decoded) JSON.parse(composeViewerMessage(part("a-1", 1, []), [decoded.frame]));
      }),
      { numRuns: 5_000 },
    );
  });
});
