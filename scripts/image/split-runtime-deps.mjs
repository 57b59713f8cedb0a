#!/usr/bin/env node
/**
 * Splits an installed `npm ci --omit=dev --workspace services` tree in two, for services/Dockerfile:
 * the packages only `--only` needs (the game-creator's Kubernetes client and what nothing else uses)
 * move to `<to>/node_modules`, so every role's image goes without them and the creator's adds them
 * back. Which packages those are is read from package-lock.json, the same file the install used.
 *
 *   node split-runtime-deps.mjs --root /app --workspace services --only @kubernetes/client-node --to /creator-deps
 */
import fs from "node:fs";
import path from "node:path";

/** Lockfile locations (`node_modules/a`, `node_modules/a/node_modules/b`) reached from `workspace`'s dependencies, minus `without`. */
export function reachable(lock, workspace, without = []) {
  const packages = lock.packages;
  const seen = new Set();
  const visit = (from, names) => {
    for (const name of names) {
      const location = resolve(packages, from, name);
      if (location === undefined || seen.has(location)) continue;
      seen.add(location);
      const entry = packages[location];
      visit(location, [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...Object.keys(entry.peerDependencies ?? {})]);
    }
  };
  const root = packages[workspace];
  if (root === undefined) throw new Error(`package-lock.json has no workspace "${workspace}"`);
  visit(workspace, [...Object.keys(root.dependencies ?? {}), ...Object.keys(root.optionalDependencies ?? {})].filter((name) => !without.includes(name)));
  return seen;
}

/** Node's lookup: `<from>/node_modules/<name>`, then each enclosing node_modules up to the root. */
function resolve(packages, from, name) {
  let base = from;
  for (;;) {
    const candidate = base === "" ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[candidate] !== undefined) return candidate;
    if (base === "") return undefined;
    const parent = base.lastIndexOf("/node_modules/");
    base = parent === -1 ? "" : base.slice(0, parent);
  }
}

/** The outermost locations the `only` packages need and nothing else does (a nested one moves with its parent). */
export function onlyNeededBy(lock, workspace, only) {
  const all = reachable(lock, workspace);
  const rest = reachable(lock, workspace, only);
  const moved = [...all].filter((location) => !rest.has(location)).sort();
  return moved.filter((location) => !moved.some((other) => other !== location && location.startsWith(`${other}/`)));
}

function main(argv) {
  const arg = (name) => {
    const index = argv.indexOf(`--${name}`);
    if (index === -1 || argv[index + 1] === undefined) throw new Error(`--${name} is required (see the header of ${path.basename(import.meta.url)})`);
    return argv[index + 1];
  };
  const root = arg("root");
  const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));
  const moved = onlyNeededBy(lock, arg("workspace"), arg("only").split(","));
  const to = arg("to");
  for (const location of moved) {
    const source = path.join(root, location);
    if (!fs.existsSync(source)) continue;
    fs.mkdirSync(path.dirname(path.join(to, location)), { recursive: true });
    fs.renameSync(source, path.join(to, location));
  }
  console.log(`moved ${moved.length} packages to ${to}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) main(process.argv.slice(2));
