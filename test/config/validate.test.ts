/**
 * A server's config (environment variables, settings) parsed at start: a bad value throws one
 * ConfigError whose every line names the scope, the key path and the schema's own reason.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { ConfigError, parseConfig } from "../../services/src/config/validate";

const schema = z
  .object({
    port: z.number().int().min(1, "must be a port of 1 or more"),
    limits: z.object({ burst: z.number().max(10, "must be at most 10") }).strict(),
    labels: z.record(z.string().min(2, "label names have 2 letters or more").regex(/^[a-z]+$/, "label names are lowercase letters"), z.string()).optional(),
  })
  .strict();

function failure(input: unknown, scope = "gate"): ConfigError {
  try {
    parseConfig(scope, schema, input);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail("the config was accepted");
}

describe("service config validation", () => {
  it("a valid config comes back parsed", () => {
    assert.deepEqual(parseConfig("gate", schema, { port: 80, limits: { burst: 10 } }), { port: 80, limits: { burst: 10 } });
  });

  it("every bad key is one line: the scope, the dotted key path, the reason", () => {
    const error = failure({ port: 0, limits: { burst: 11 } }, "connector");
    assert.deepEqual(error.issues, ["connector.port: must be a port of 1 or more", "connector.limits.burst: must be at most 10"]);
    assert.equal(error.message, "invalid connector config:\n  - connector.port: must be a port of 1 or more\n  - connector.limits.burst: must be at most 10");
    assert.equal(error.name, "ConfigError");
    assert.equal(error.code, "CONFIG_INVALID");
    assert.equal(error.scope, "connector");
  });

  it("a problem with the whole value is named (root)", () => {
    assert.deepEqual(failure("port=80").issues, ["gate.(root): Invalid input: expected object, received string"]);
  });

  it("a bad record key gives the key's own reasons, not zod's generic one", () => {
    assert.deepEqual(failure({ port: 80, limits: { burst: 1 }, labels: { Team: "a", T: "b" } }).issues, [
      "gate.labels.Team: label names are lowercase letters",
      "gate.labels.T: label names have 2 letters or more; label names are lowercase letters",
    ]);
  });
});
