/**
 * The GitHub workflows cannot run here; what can be checked is that they are valid YAML and agree
 * with the repository: the whole suite runs on every pull request and on main (Node 20 on the host,
 * Node 24 in the trixie lane that .ci/run starts), every cloud stack is previewed with the policy pack
 * and commented on the PR, every stack's manifest diff is summarised, production deploys wait in
 * their environments, and every other job runs the images' Node (24).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { listStacks, REPO_ROOT } from "../../infra/offline/evaluate";
import type { Loose } from "./stacks";

const workflow = (name: string): Loose => parse(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", name), "utf8"));
const pulumiSteps = (job: Loose): Loose[] => job.steps.filter((step: Loose) => String(step.uses ?? "").startsWith("pulumi/actions@"));

describe("GitHub workflows", () => {
  const cloudStacks = listStacks().filter((stack) => stack !== "dev");

  it("pull requests: pulumi preview of every cloud stack with the policy pack, commented on the PR", () => {
    const preview = workflow("infra-preview.yml");
    assert.ok(preview.on.pull_request);
    const job = preview.jobs.preview;
    assert.deepEqual(job.strategy.matrix.include.map((entry: Loose) => entry.stack).sort(), cloudStacks);
    const [step] = pulumiSteps(job);
    assert.equal(step.with.command, "preview");
    assert.equal(step.with["comment-on-pr"], true);
    assert.equal(step.with.policyPacks, "infra/policy");
    assert.ok(fs.existsSync(path.join(REPO_ROOT, step.with.policyPacks, "PulumiPolicy.yaml")));
    assert.deepEqual(job.needs, "offline");
  });

  it("pull requests: the offline job runs the infra and policy tests and diffs every stack", () => {
    const steps: string = workflow("infra-preview.yml").jobs.offline.steps.map((step: Loose) => step.run ?? "").join("\n");
    assert.match(steps, /mocha 'test\/infra\/\*\*\/\*\.test\.ts' 'test\/policy\/\*\*\/\*\.test\.ts'/);
    const loop = /for stack in ([a-z0-9 -]+); do/.exec(steps)?.[1];
    assert.deepEqual(loop?.split(" ").sort(), listStacks());
    assert.match(steps, /npm run --silent diff -- "\$stack" --base "origin\/\$\{\{ github\.base_ref \}\}"/);
  });

  it("the whole suite: `bash .ci/run` on every pull request and every push to main, on Node 20 as root, within 20 minutes", () => {
    const ci = workflow("ci.yml");
    assert.deepEqual(ci.on.pull_request, null, "every pull request, whatever it touches");
    assert.deepEqual(ci.on.push.branches, ["main"]);
    const job = ci.jobs.test;
    assert.ok(job["timeout-minutes"] <= 20);
    assert.match(job.container.options, /--privileged/, "the pod-layout nginx -t needs a mount namespace");
    const uses = job.steps.map((step: Loose) => String(step.uses ?? ""));
    assert.ok(uses.some((action: string) => action.startsWith("actions/checkout@")));
    const node = job.steps.find((step: Loose) => String(step.uses ?? "").startsWith("actions/setup-node@"));
    assert.equal(node.with["node-version"], 20);
    assert.equal(job.steps.at(-1).run, "bash .ci/run");
    assert.ok(fs.existsSync(path.join(REPO_ROOT, ".ci", "run")));
    assert.doesNotMatch(fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8"), /mutate|stryker/, "mutation testing stays out of CI");
  });

  it("main: staging first, then each production cluster in its own approval-gated environment", () => {
    const deploy = workflow("infra-deploy.yml");
    assert.deepEqual(deploy.on.push.branches, ["main"]);
    assert.equal(deploy.jobs.staging.with.stack, "staging");
    assert.equal(deploy.jobs.production.needs, "staging");
    assert.deepEqual([deploy.jobs.staging.with.stack, ...deploy.jobs.production.strategy.matrix.stack].sort(), cloudStacks);
    const up = workflow("infra-up.yml");
    assert.equal(up.jobs.up.environment, "${{ inputs.stack }}");
    const [step] = pulumiSteps(up.jobs.up);
    assert.equal(step.with.command, "up");
    assert.equal(step.with.policyPacks, "infra/policy");
  });

  it("every job but the suite's host sets up Node 24, the major the images run", () => {
    const imageMajor = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(fs.readFileSync(path.join(REPO_ROOT, "services", "Dockerfile"), "utf8"))?.[1];
    assert.equal(imageMajor, "24");
    let setups = 0;
    for (const name of fs.readdirSync(path.join(REPO_ROOT, ".github", "workflows"))) {
      // ci.yml's host is Node 20 on purpose: .ci/run runs the Node 24 lane inside it.
      if (name === "ci.yml") continue;
      for (const job of Object.values(workflow(name).jobs) as Loose[]) {
        for (const step of (job.steps ?? []) as Loose[]) {
          if (!String(step.uses ?? "").startsWith("actions/setup-node@")) continue;
          setups++;
          assert.equal(String(step.with["node-version"]), imageMajor, `${name}: setup-node must use Node ${imageMajor}`);
        }
      }
    }
    assert.ok(setups >= 3, `found ${setups} setup-node steps`);
  });
});
