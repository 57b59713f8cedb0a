import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import os from "node:os";
import { IMAGE_PERMISSION_FLAG, permissionFlag } from "../../services/src/workers/permission-flag";
import { sandboxProcessMemoryMb, workerPodMemoryMi } from "../../services/src/workers/isolation";

describe("the permission-model flag a worker process is started with", () => {
  it("is --permission where Node knows it (the images' Node 24), --experimental-permission on Node 20", () => {
    assert.equal(permissionFlag(new Set(["--permission", "--max-old-space-size"])), "--permission");
    assert.equal(permissionFlag(new Set(["--experimental-permission", "--max-old-space-size"])), "--experimental-permission");
    assert.equal(IMAGE_PERMISSION_FLAG, "--permission");
  });

  it(`the one chosen for this Node (${process.version}) starts it with the model on: reads only where allowed, no child processes`, () => {
    const script = "console.log(JSON.stringify([process.permission.has('fs.read', process.cwd()), process.permission.has('fs.read', '/etc/passwd'), process.permission.has('child')]))";
    const run = spawnSync(process.execPath, ["--no-warnings", permissionFlag(), `--allow-fs-read=${os.tmpdir()}/`, "-e", script], { cwd: os.tmpdir(), encoding: "utf8", timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), [true, false, false]);
  });

  it("the sandbox process's RLIMIT_DATA fits the Node that runs it (Node 24 aborts a worker thread's start under 1,024 MB) and grows with the heap", () => {
    assert.equal(sandboxProcessMemoryMb(32, 20), 192);
    assert.equal(sandboxProcessMemoryMb(32, 24), 1280);
    assert.equal(sandboxProcessMemoryMb(64, 20), 384);
    assert.equal(workerPodMemoryMi(32), 320);
  });
});
