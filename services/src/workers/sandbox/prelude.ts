/**
 * The JavaScript that runs inside the bot's vm context before the bot's own code. It takes away
 * what player code must not have, so an attempt is a clear, recorded violation rather than a
 * silent escape, and it defines the turn harness:
 *   - host names (`require`, `process`, `fetch`, `WebSocket` …) are non-configurable getters that
 *     record the violation and throw;
 *   - memory outside the V8 heap (ArrayBuffer and typed arrays, SharedArrayBuffer, WebAssembly) and
 *     blocking (Atomics) are removed, so the heap limit bounds everything a bot can allocate;
 *   - eval and new Function (code generation from strings is off for the context) are recorded too;
 *   - every intrinsic (Object, JSON, Array.prototype …) is frozen, so a bot cannot poison what the
 *     harness uses; its own globals (`turn`, its state) stay writable;
 *   - `__pomonaTurn(view, maxActionBytes)` takes the view as an argument (a JSON string literal in
 *     the script the host compiles for the turn: the host never writes into the bot's globals), calls
 *     `turn(view)`, and returns one JSON string — the only thing that crosses back to the host;
 *   - `__pomonaRefuseImport()` records `import()` and makes the error the host rejects it with, so
 *     the bot only ever holds objects of its own realm.
 * The context is created with code generation from strings off (no eval, no new Function).
 * Every string the host reads back is capped here (and checked again by the host).
 */
export const PRELUDE = String.raw`(function () {
  "use strict";
  const g = globalThis;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const defineProperty = Object.defineProperty;
  let violation = null;
  const note = function (what) {
    if (violation === null) violation = String(what).slice(0, 200);
  };
  const refuse = function (what) {
    note(what);
    throw new Error(what + " is not allowed: player code has no filesystem, network, modules or host objects");
  };
  defineProperty(g, "require", { configurable: false, get() { return function require(id) { refuse("require(" + stringify(String(id)) + ")"); }; } });
  const hostNames = ["process", "module", "exports", "Buffer", "fetch", "XMLHttpRequest", "WebSocket", "EventSource", "navigator", "importScripts",
    "global", "Deno", "Bun", "__dirname", "__filename"];
  for (const name of hostNames) defineProperty(g, name, { configurable: false, get() { refuse(name); } });
  const unbounded = ["ArrayBuffer", "SharedArrayBuffer", "Atomics", "WebAssembly", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray",
    "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array", "FinalizationRegistry", "WeakRef"];
  for (const name of unbounded) delete g[name];

  const seen = new Set([g]);
  const freeze = function (value) {
    if ((typeof value !== "object" && typeof value !== "function") || value === null || seen.has(value)) return;
    seen.add(value);
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
      if (descriptor === undefined) continue;
      if ("value" in descriptor) freeze(descriptor.value);
      else { freeze(descriptor.get); freeze(descriptor.set); }
    }
    freeze(Object.getPrototypeOf(value));
  };
  const hidden = [function* () {}, async function () {}, async function* () {}, [][Symbol.iterator](), new Map().entries(), new Set().values(), "".matchAll(/x/g)];
  for (const name of Object.getOwnPropertyNames(g)) {
    if (hostNames.includes(name) || name === "require") continue;
    const descriptor = Reflect.getOwnPropertyDescriptor(g, name);
    if (descriptor !== undefined && "value" in descriptor) freeze(descriptor.value);
  }
  for (const value of hidden) freeze(value);

  const describe = function (error) {
    try {
      return String(error !== null && typeof error === "object" && "message" in error ? error.message : error).slice(0, 300);
    } catch (unprintable) {
      return "the bot threw something that cannot be printed";
    }
  };
  defineProperty(g, "__pomonaRefuseImport", {
    configurable: false,
    writable: false,
    value: function () {
      note("import()");
      return new Error("import() is not allowed: player code has no filesystem, network, modules or host objects");
    },
  });
  defineProperty(g, "__pomonaStatus", { configurable: false, writable: false, value: function () { return stringify({ violation: violation }); } });
  defineProperty(g, "__pomonaTurn", {
    configurable: false,
    writable: false,
    value: function (input, maxActionBytes) {
      if (typeof g.turn !== "function") return stringify({ error: "the bot defines no function turn(view)", violation: violation });
      try {
        const action = stringify(g.turn(parse(input)));
        if (action !== undefined && action.length > maxActionBytes) return stringify({ error: "the action is over " + maxActionBytes + " bytes", violation: violation });
        return '{"action":' + (action === undefined ? "null" : action) + ',"violation":' + stringify(violation) + "}";
      } catch (error) {
        // The context refuses eval and new Function; trying is reaching for the host.
        if (error instanceof EvalError) note("code generation from strings (eval / new Function)");
        try {
          return stringify({ error: describe(error), violation: violation });
        } catch (again) {
          return stringify({ error: "unserializable", violation: violation });
        }
      }
    },
  });
})();`;
