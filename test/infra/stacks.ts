/** Every shipped stack evaluated under mocks once per test run, and lookups over its manifests. */
import { evaluateStack, listStacks, readStackConfig, type Evaluation, type Manifest } from "../../infra/offline/evaluate";

let all: Promise<Evaluation[]> | undefined;

/** Sequential: the program's modules are reloaded per stack, and Pulumi's mock runtime is global. */
export function evaluateAllStacks(): Promise<Evaluation[]> {
  all ??= (async () => {
    const evaluations: Evaluation[] = [];
    for (const stack of listStacks()) evaluations.push(await evaluateStack({ stack }));
    return evaluations;
  })();
  return all;
}

export const byKind = (manifests: Manifest[], kind: string): Manifest[] => manifests.filter((m) => m.kind === kind);

export function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind}/${name} among ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(", ")}`);
  return found;
}

// Rendered manifests are untyped JSON; tests read them loosely.
export type Loose = any;
export const spec = (m: Manifest): Loose => (m as Loose).spec;
export const WORKLOADS = ["Deployment", "StatefulSet"];
export const podLabels = (m: Manifest): Record<string, string> => spec(m).template.metadata.labels;
export const containers = (m: Manifest): Loose[] => spec(m).template.spec.containers;
export const envOf = (container: Loose): Array<{ name: string; value?: string; valueFrom?: Loose }> => container.env ?? [];

/** What the stack file itself says, read without the program (an independent expectation). */
export function stackFile(stack: string): Loose {
  return Object.fromEntries(Object.entries(readStackConfig(stack)).map(([key, value]) => [key.replace(/^pomona:/, ""), value]));
}
