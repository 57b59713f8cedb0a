/**
 * The GitHub workflows cannot run here; what can be checked is that they are valid YAML and agree
 * with the repository: every cloud stack is previewed with the policy pack and commented on the PR,
 * every stack's manifest diff is summarised, production deploys wait in their environments, and
 * every job runs the images' Node (24; this machine's Node 20 is for development only).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { listStacks, REPO_ROOT } from "../../infra/offline/evaluate";
import type { Loose } from "./stacks";

const workflow = (name: string): Loose => parse(fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", name), "utf8"));
const pulumiSteps = (job: Loose): Loose[] => job.steps.filter((step: Loose) => String(step.uses ?? "").startsWith("pulumi/actions@"));

describe("GitHub workflows for the stacks", () => {
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

  it("every job sets up Node 24, the major the images run", () => {
    const imageMajor = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(fs.readFileSync(path.join(REPO_ROOT, "services", "Dockerfile"), "utf8"))?.[1];
    assert.equal(imageMajor, "24");
    let setups = 0;
    for (const name of fs.readdirSync(path.join(REPO_ROOT, ".github", "workflows"))) {
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
