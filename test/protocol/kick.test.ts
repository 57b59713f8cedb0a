import assert from "node:assert/strict";
import fc from "fast-check";
import { decodePackages, encodeKickPackage, PackageType, parseKick } from "../../services/src/protocol";
import { assertRejects, PROPERTY_RUNS, utf8 } from "./generators";

describe("protocol: kick", () => {
  it("a kick is a kick package whose body is JSON {reason}", () => {
    const body = utf8('{"reason":"server shutting down"}');
    assert.deepEqual(encodeKickPackage("server shutting down"), Buffer.concat([Buffer.from([5, 0, 0, body.length]), body]));
  });

  it("any reason reads back unchanged", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (reason) => {
        const [kick] = decodePackages(encodeKickPackage(reason));
        assert.equal(kick.type, PackageType.Kick);
        assert.deepEqual(parseKick(kick.body), { reason });
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it("a kick without a reason (what Pomelo sends for kick(uid)) reads as {}", () => {
    assert.deepEqual(parseKick(utf8("{}")), {});
  });

  it("a kick body that is not a JSON object with a string reason is BAD_BODY", () => {
    for (const body of ["", "null", "[]", '"bye"', '{"reason":1}', '{"reason":']) {
      assertRejects(() => parseKick(utf8(body)), "BAD_BODY");
    }
  });
});
