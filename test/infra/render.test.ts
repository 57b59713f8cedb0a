/**
 * `npm run render -- <stack>` and `npm run diff -- <stack>`, run as a user runs them.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { listStacks, REPO_ROOT } from "../../infra/offline/evaluate";
import type { Loose } from "./stacks";

const npm = (...args: string[]) => spawnSync("npm", ["run", "--silent", ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });

describe("npm run render / npm run diff", function () {
  this.timeout(120_000);

  describe("render -- dev", () => {
    let output: string;
    let objects: Loose[];

    before(() => {
      const run = npm("render", "--", "dev");
      assert.equal(run.status, 0, run.stderr);
      output = run.stdout;
      const documents = parseAllDocuments(output);
      for (const document of documents) assert.deepEqual(document.errors, []);
      objects = documents.map((document) => document.toJS()).filter((object) => object !== null);
    });

    it("says plainly that it is not pulumi preview", () => {
      assert.match(output.split("\n")[0]!, /^# Pomona offline render of stack "dev" \(stacks\/Pulumi\.dev\.yaml\)$/);
      assert.match(output, /THIS IS NOT `pulumi preview`/);
      assert.match(output, /no\n# Pulumi CLI, no cluster, no provider plugin and no state/);
    });

    it("is valid YAML holding the whole dev cluster", () => {
      const names = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
      for (const expected of [
        "StatefulSet/connector",
        "Service/connectors",
        "ConfigMap/subdomain-proxy-nginx",
        "Deployment/subdomain-proxy",
        "Deployment/gate",
        "Service/gate",
        "StatefulSet/redis",
        "Service/redis",
        "Deployment/game-arena-1",
        "Service/game-arena-1",
        "Ingress/games",
      ]) {
        assert.ok(names.has(expected), `missing ${expected}`);
      }
      const headless = objects.find((o) => o.kind === "Service" && o.metadata.name === "connectors");
      assert.equal(headless.spec.clusterIP, "None");
      const conf: string = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "subdomain-proxy-nginx").data["nginx.conf"];
      assert.match(conf, /connector-1\.localtest\.me connector-1\.connectors\.pomona-dev\.svc\.cluster\.local:3010;/);
    });

    it("prints no secret value", () => {
      for (const secret of objects.filter((o) => o.kind === "Secret")) {
        for (const value of Object.values(secret.stringData ?? {})) assert.equal(value, "<redacted: secret>");
      }
      assert.doesNotMatch(output, /requirepass/);
      assert.doesNotMatch(output, /mock[0-9a-f]{20}/, "a generated password leaked");
    });

    it("an unknown stack fails with the list of stacks", () => {
      const run = npm("render", "--", "nope");
      assert.equal(run.status, 1);
      assert.ok(run.stderr.includes(`no stack file stacks/Pulumi.nope.yaml; stacks: ${listStacks().join(", ")}`), run.stderr);
    });
  });

  describe("diff", () => {
    let repo: string;
    const git = (...args: string[]) => execFileSync("git", ["-C", repo, "-c", "user.name=test", "-c", "user.email=test@example.invalid", ...args], { encoding: "utf8" });
    const diff = (...args: string[]) => {
      const run = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "scripts", "diff.ts"), ...args, "--repo", repo], { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000 });
      assert.equal(run.status, 0, run.stderr);
      return run.stdout;
    };

    before(() => {
      // A throwaway repository holding this program, so the test controls its history.
      repo = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-diff-test-"));
      for (const entry of ["infra", "stacks", "services/src", "Pulumi.yaml"]) fs.cpSync(path.join(REPO_ROOT, entry), path.join(repo, entry), { recursive: true });
      fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(repo, "node_modules"), "dir");
      fs.writeFileSync(path.join(repo, ".gitignore"), "node_modules\n");
      git("init", "-q");
      git("add", ".");
      git("commit", "-q", "-m", "base");
    });

    after(() => fs.rmSync(repo, { recursive: true, force: true }));

    it("says there is no change when the program and stack are unchanged", () => {
      const output = diff("dev");
      assert.match(output, /^# Manifest diff of stack "dev": HEAD \([0-9a-f]+\) → working tree\. .*NOT `pulumi preview`/);
      assert.match(output, /# No change to the rendered manifests\./);
    });

    it("shows one more connector as the StatefulSet's replicas and one more nginx map entry", () => {
      const file = path.join(repo, "stacks", "Pulumi.dev.yaml");
      const original = fs.readFileSync(file, "utf8");
      fs.writeFileSync(file, original.replace(/(pomona:connector:\n\s+replicas: )2/, "$13"));
      try {
        const output = diff("dev", "--base", "HEAD");
        assert.match(output, /^-  replicas: 2$/m);
        assert.match(output, /^\+  replicas: 3$/m);
        assert.match(output, /^\+ +connector-2\.localtest\.me connector-2\.connectors\.pomona-dev\.svc\.cluster\.local:3010;$/m);
        assert.doesNotMatch(output, /^[-+] +connector-[01]\./m, "existing entries are unchanged");
      } finally {
        fs.writeFileSync(file, original);
      }
    });

    it("shows a stack that does not exist at the base as entirely new", () => {
      fs.copyFileSync(path.join(repo, "stacks", "Pulumi.dev.yaml"), path.join(repo, "stacks", "Pulumi.dev2.yaml"));
      try {
        const output = diff("dev2");
        assert.match(output, /^\+kind: StatefulSet$/m);
        assert.doesNotMatch(output, /^-[a-z]/m);
      } finally {
        fs.rmSync(path.join(repo, "stacks", "Pulumi.dev2.yaml"));
      }
    });
  });
});
