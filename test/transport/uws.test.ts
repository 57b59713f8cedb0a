import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  addonFileName,
  chooseUwsBuilds,
  currentUwsRuntime,
  isNativeUws,
  loadUws,
  loadUwsBuild,
  loadUwsWithInfo,
  UWS_BUILDS,
  UwsNotNativeError,
  type Uws,
  type UwsRuntime,
} from "../../services/src/transport";

type ListenSocket = Parameters<Uws["us_listen_socket_close"]>[0];
const root = path.resolve(__dirname, "../..");
const [node24Build, node20Build] = UWS_BUILDS as [(typeof UWS_BUILDS)[0], (typeof UWS_BUILDS)[0]];
const linux = (abi: number, glibc: string | undefined): UwsRuntime => ({ nodeVersion: `v-abi-${abi}`, abi, platform: "linux", arch: "x64", glibc });
const glibcAtLeast238 = (glibc: string | undefined) => glibc !== undefined && Number(glibc.split(".")[0]) * 1000 + Number(glibc.split(".")[1]) >= 2038;

describe("uWebSockets.js builds: which one a runtime loads (pure choice)", () => {
  it("Node 24 on Debian trixie (the image: ABI 137, glibc 2.41) gets @btc-vision/uwebsockets.js", () => {
    assert.deepEqual(chooseUwsBuilds(linux(137, "2.41")).map((build) => build.source), ["@btc-vision/uwebsockets.js@20.57.0"]);
  });

  it("Node 22 and 25 (ABIs 127, 141) get the same maintained build", () => {
    for (const abi of [127, 141]) assert.deepEqual(chooseUwsBuilds(linux(abi, "2.41")), [node24Build]);
  });

  it("Node 20 on Debian 12 (ABI 115, glibc 2.36: this machine) gets the Node 20 build only", () => {
    assert.deepEqual(chooseUwsBuilds(linux(115, "2.36")), [node20Build]);
  });

  it("Node 20 on a new glibc tries the maintained build first, then the Node 20 build", () => {
    assert.deepEqual(chooseUwsBuilds(linux(115, "2.38")), [node24Build, node20Build]);
  });

  it("Node 24 on glibc 2.36 is refused with an error naming glibc 2.38 and where to run it", () => {
    assert.throws(
      () => chooseUwsBuilds(linux(137, "2.36")),
      (error: unknown) =>
        error instanceof UwsNotNativeError &&
        /ABI 137/.test(error.message) &&
        /@btc-vision\/uwebsockets\.js@20\.57\.0 needs glibc ≥ 2\.38/.test(error.message) &&
        /this system has glibc 2\.36/.test(error.message) &&
        /Debian trixie/.test(error.message) &&
        /npm run test:node24/.test(error.message),
    );
  });

  it("Node 24 without glibc (musl) is refused naming glibc", () => {
    assert.throws(() => chooseUwsBuilds(linux(137, undefined)), /needs glibc ≥ 2\.38, and this system has no glibc/);
  });

  it("an ABI no build ships (Node 23 = 131) is refused, listing the supported Node versions", () => {
    assert.throws(() => chooseUwsBuilds(linux(131, "2.41")), /ABI 131.*supported: Node 16 \(ABI 93\), Node 18 \(ABI 108\), Node 20 \(ABI 115\), Node 22 \(ABI 127\), Node 24 \(ABI 137\), Node 25 \(ABI 141\)/);
  });

  it("glibc is not asked for off Linux", () => {
    assert.deepEqual(chooseUwsBuilds({ ...linux(137, undefined), platform: "darwin", arch: "arm64" }), [node24Build]);
  });

  it("every ABI the table claims has its linux-x64 addon installed from the lockfile", () => {
    for (const build of UWS_BUILDS) {
      const dir = path.resolve(path.dirname(require.resolve(build.dependency, { paths: [path.join(root, "services")] })), build.addonDir);
      for (const abi of build.abis) {
        const file = path.join(dir, addonFileName({ platform: "linux", arch: "x64", abi }));
        assert.ok(fs.existsSync(file), `${build.source}: ${file} is missing`);
      }
    }
  });
});

describe("uWebSockets.js loader on this runtime (real addon)", () => {
  const runtime = currentUwsRuntime();

  it("loads the build chosen for this Node's ABI and glibc, natively", () => {
    const { uws, info } = loadUwsWithInfo();
    const expected = glibcAtLeast238(runtime.glibc) ? node24Build : node20Build;
    console.log(`      Node ${process.versions.node}, glibc ${runtime.glibc}: ${info.build.source}, ${path.basename(info.addonPath)} (ABI ${info.abi})`);
    assert.equal(info.build, expected);
    assert.equal(info.abi, Number(process.versions.modules));
    assert.equal(path.basename(info.addonPath), addonFileName(runtime));
    assert.ok(isNativeUws(uws), "uWS.App must be native code");
  });

  it("the maintained build's addon loads exactly when glibc is 2.38 or newer (the real dlopen)", () => {
    if (glibcAtLeast238(runtime.glibc)) {
      assert.ok(isNativeUws(loadUwsBuild(node24Build, runtime).uws));
    } else {
      assert.throws(() => loadUwsBuild(node24Build, runtime), /GLIBC_2\.38' not found/);
    }
  });

  it("a build whose addon is missing throws instead of falling back to JavaScript", () => {
    assert.throws(() => loadUwsBuild({ ...node20Build, addonDir: "../no-such-dir" }, runtime), /Cannot find module .*no-such-dir/);
  });

  it("serves a real HTTP request through the native App", async () => {
    const uws = loadUws();
    const app = uws.App().get("/ping", (res) => {
      res.end("pong");
    });
    const listenSocket = await new Promise<ListenSocket>((resolve, reject) =>
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

  it("refuses to start when the JS fallback is asked for, with an error naming the variable", () => {
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
    assert.match(stderr, /UWS_USE_FALLBACK is set/);
  });
});
