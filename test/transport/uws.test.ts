import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import type * as UWS from "uWebSockets.js";
import { loadUws, isNativeUws } from "../../services/src/transport";

const root = path.resolve(__dirname, "../..");

describe("uWebSockets.js transport loader", () => {
  it("loads the native addon, not the JavaScript fallback", () => {
    const uws = loadUws();
    assert.ok(isNativeUws(uws), "uWS.App must be native code");
  });

  it("serves a real HTTP request through the native App", async () => {
    const uws = loadUws();
    const app = uws.App().get("/ping", (res) => {
      res.end("pong");
    });
    const listenSocket = await new Promise<UWS.us_listen_socket>((resolve, reject) =>
      app.listen("127.0.0.1", 0, (socket) => (socket ? resolve(socket) : reject(new Error("listen failed")))),
    );
    const port = uws.us_socket_local_port(listenSocket);
    try {
      const body = await (await fetch(`http://127.0.0.1:${port}/ping`)).text();
      assert.equal(body, "pong");
    } finally {
      uws.us_listen_socket_close(listenSocket);
    }
  });

  it("refuses to start on the fallback with an error naming the fix", () => {
    const script = `require(${JSON.stringify(path.join(root, "services/src/transport/uws.ts"))}).loadUws()`;
    let stderr = "";
    try {
      execFileSync(process.execPath, ["--import", "tsx", "-e", script], {
        cwd: root,
        env: { ...process.env, UWS_USE_FALLBACK: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      assert.fail("loadUws must throw when the fallback is forced");
    } catch (error) {
      stderr = String((error as { stderr?: Buffer }).stderr ?? "");
    }
    assert.match(stderr, /UwsNotNativeError/);
    assert.match(stderr, /uws-js-unofficial@20\.30\.0-unofficial\.0/);
  });
});
