/**
 * Evaluates the Pulumi program for one stack file under Pulumi's mocks: no CLI, no cluster, no
 * provider plugin, no state. Every resource the program registers is recorded with its inputs, so
 * render, diff and the tests see the manifests the program would send. This is not `pulumi preview`.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
const PROJECT = "pomona";
/** How Pulumi marks a secret value in serialized properties. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A Kubernetes object as the program declared it (secrets unwrapped: under mocks they are placeholders). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

export interface Evaluation {
  stack: string;
  /** The checkout the program and stack file came from. */
  root: string;
  stackFile: string;
  /** Kubernetes objects, in the program's registration order. */
  manifests: Manifest[];
  /** Paths (`stringData.password`, …) of values that were Pulumi secrets, per manifest index. */
  secretPaths: Map<number, string[]>;
  /** Everything else the program declared (images, generated passwords, components). */
  others: RecordedResource[];
  outputs: Record<string, unknown>;
  /** From setMocks to the last resource registered (includes loading the program's modules the first time). */
  evaluationMs: number;
}

export interface EvaluateOptions {
  stack: string;
  /** Repository root holding infra/ and stacks/ (another checkout for `diff`). */
  root?: string;
  /** Instead of stacks/Pulumi.<stack>.yaml: the `config:` map of a stack file (tests). */
  config?: Record<string, unknown>;
}

export function stackFilePath(stack: string, root = REPO_ROOT): string {
  return path.join(root, "stacks", `Pulumi.${stack}.yaml`);
}

export function listStacks(root = REPO_ROOT): string[] {
  const dir = path.join(root, "stacks");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

/** The `config:` map of a stack file. */
export function readStackConfig(stack: string, root = REPO_ROOT): Record<string, unknown> {
  const file = stackFilePath(stack, root);
  if (!fs.existsSync(file)) {
    throw new Error(`no stack file ${path.relative(root, file)}; stacks: ${listStacks(root).join(", ") || "(none)"}`);
  }
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  return doc.config ?? {};
}

const digestOf = (...parts: string[]) => createHash("sha256").update(parts.join("\0")).digest("hex");

/** Deterministic stand-ins for what only a real deployment knows. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (type === "random:index/randomPassword:RandomPassword") {
    return { ...inputs, result: `mock${digestOf("password", name)}`.slice(0, Number(inputs.length ?? 32)) };
  }
  if (type === "docker-build:index:Image") {
    const digest = `sha256:${digestOf("image", name, JSON.stringify(inputs.tags ?? []))}`;
    const tag = (inputs.tags as string[] | undefined)?.[0] ?? name;
    return { ...inputs, digest, ref: `${tag}@${digest}` };
  }
  return inputs;
}

/** Stack-file values as Pulumi's runtime holds them: strings, structured values as JSON. */
function toRuntimeConfig(raw: Record<string, unknown>): { values: Record<string, string>; secretKeys: string[] } {
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
    if (value !== null && typeof value === "object" && "secure" in value) {
      // Ciphertext only the stack's secrets provider can open: a placeholder of valid shape instead.
      values[fullKey] = `mock-secret-${digestOf("secret", fullKey)}`;
      secretKeys.push(fullKey);
    } else {
      values[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { values, secretKeys };
}

/** Strips Pulumi's secret wrappers, noting where they were. */
function unwrapSecrets(value: unknown, at: string, found: string[]): unknown {
  if (Array.isArray(value)) return value.map((item, index) => unwrapSecrets(item, `${at}[${index}]`, found));
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  if (object[SECRET_SIG_KEY] === SECRET_SIG) {
    found.push(at);
    return unwrapSecrets(object.value, at, []);
  }
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, unwrapSecrets(item, at ? `${at}.${key}` : key, found)]));
}

function settle(value: unknown): Promise<unknown> {
  if (!pulumi.Output.isInstance(value)) return Promise.resolve(value);
  return new Promise((resolve) => value.apply((resolved) => resolve(resolved)));
}

export async function evaluateStack(options: EvaluateOptions): Promise<Evaluation> {
  const root = options.root ?? REPO_ROOT;
  const raw = options.config ?? readStackConfig(options.stack, root);
  const recorded: RecordedResource[] = [];
  const started = performance.now();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: mockState(args.type, args.name, args.inputs) };
      },
      call: (args) => args.inputs,
    },
    PROJECT,
    options.stack,
    false,
  );
  const { values, secretKeys } = toRuntimeConfig(raw);
  pulumi.runtime.setAllConfig(values, secretKeys);

  // A fresh copy of the program for every stack: its modules read the config when they load.
  const programDir = path.join(root, "infra") + path.sep;
  for (const key of Object.keys(require.cache)) if (key.startsWith(programDir)) delete require.cache[key];
  const program = require(path.join(programDir, "index.ts")) as Record<string, unknown>;

  const outputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(program)) outputs[name] = await settle(value);
  await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
  const evaluationMs = performance.now() - started;

  const manifests: Manifest[] = [];
  const secretPaths = new Map<number, string[]>();
  const others: RecordedResource[] = [];
  for (const resource of recorded) {
    if (!resource.type.startsWith("kubernetes:")) {
      others.push(resource);
      continue;
    }
    const found: string[] = [];
    const manifest = unwrapSecrets(resource.inputs, "", found) as Manifest;
    if (found.length > 0) secretPaths.set(manifests.length, found);
    manifests.push(manifest);
  }
  return { stack: options.stack, root, stackFile: stackFilePath(options.stack, root), manifests, secretPaths, others, outputs, evaluationMs };
}
