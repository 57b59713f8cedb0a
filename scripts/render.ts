/**
 * `npm run render -- <stack> [--root <checkout>]`: evaluates the Pulumi program for
 * stacks/Pulumi.<stack>.yaml under mocks and prints its Kubernetes manifests as YAML.
 * Not `pulumi preview` (the header says so). The evaluation time goes to stderr.
 */
import { parseArgs } from "node:util";
import { evaluateStack, listStacks, REPO_ROOT } from "../infra/offline/evaluate";
import { renderYaml } from "../infra/offline/render";

const { positionals, values } = parseArgs({ allowPositionals: true, options: { root: { type: "string" } } });
const stack = positionals[0];
const root = values.root ?? REPO_ROOT;

async function main(): Promise<void> {
  if (stack === undefined) {
    console.error(`usage: npm run render -- <stack>   (stacks: ${listStacks(root).join(", ")})`);
    process.exit(2);
  }
  const evaluation = await evaluateStack({ stack, root });
  process.stdout.write(renderYaml(evaluation));
  console.error(`render: stack ${stack}, ${evaluation.manifests.length} objects, evaluated under mocks in ${evaluation.evaluationMs.toFixed(0)} ms`);
}

main().catch((error: unknown) => {
  console.error(`render: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
