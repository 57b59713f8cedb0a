/**
 * `npm run render -- <stack> [--root <checkout>]`: evaluates the Pulumi program for
 * stacks/Pulumi.<stack>.yaml under mocks and prints its Kubernetes manifests as YAML.
 * Not `pulumi preview` (the header says so). The evaluation time goes to stderr.
 */
import { failUsage, parseCommandLine } from "../services/src/cli";
import { evaluateStack, listStacks, REPO_ROOT } from "../infra/offline/evaluate";
import { renderYaml } from "../infra/offline/render";

const CLI = {
  command: "npm run render --",
  summary: "The Kubernetes manifests of stacks/Pulumi.<stack>.yaml as YAML on stdout, from the Pulumi program evaluated under mocks (not `pulumi preview`); the evaluation time goes to stderr.",
  positionals: "<stack>",
  flags: { root: { type: "string", value: "DIR", help: "the checkout whose program and stacks are rendered (default: this one)" } },
  examples: ["npm run render -- dev > /tmp/dev.yaml"],
} as const;
const { positionals, values } = parseCommandLine(CLI);
const stack = positionals[0];
const root = values.root ?? REPO_ROOT;

async function main(): Promise<void> {
  if (stack === undefined || positionals.length > 1) failUsage(CLI, `name one stack: ${listStacks(root).join(", ")}`);
  const evaluation = await evaluateStack({ stack, root });
  process.stdout.write(renderYaml(evaluation));
  console.error(`render: stack ${stack}, ${evaluation.manifests.length} objects, evaluated under mocks in ${evaluation.evaluationMs.toFixed(0)} ms`);
}

main().catch((error: unknown) => {
  console.error(`render: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
