/**
 * A package-lock.json for a project outside the repository that depends on packed tarballs, taken
 * from the repository's own lockfile: every dependency the tarballs pull in is pinned to the version,
 * URL and integrity `npm ci` already put in the npm cache, so `npm ci --offline` installs the project
 * without asking the registry for anything (and the test runs where the registry is unreachable).
 * Optional dependencies the repository never installed (other platforms' addons) are left out.
 */
interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

export interface RepoLock {
  packages: Record<string, LockEntry>;
}

/** A packed workspace: its lockfile path in the repository (`packages/server`) and its tarball's file name. */
export interface PackedWorkspace {
  readonly name: string;
  readonly workspacePath: string;
  readonly tarball: string;
}

const FLAGS = ["dev", "devOptional", "optional", "peer", "extraneous"];

/**
 * The lock of `{ dependencies: packed + extra, devDependencies: dev }`, where `extra` and `dev` name
 * packages the repository's lockfile holds (their locked versions are used).
 */
export function offlineLock(repo: RepoLock, project: { name: string; packed: readonly PackedWorkspace[]; extra: readonly string[]; dev: readonly string[] }): { manifest: Record<string, unknown>; lock: Record<string, unknown> } {
  const out: Record<string, LockEntry> = {};
  /** Where `name`, required from the entry at `from` (a repository lock path), resolves: nested first, then up to the top. */
  const resolve = (from: string, name: string): string | undefined => {
    for (let base = from; ; ) {
      const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
      const entry = repo.packages[candidate];
      if (entry !== undefined) return entry.link === true && typeof entry.resolved === "string" ? undefined : candidate;
      if (base === "") return undefined;
      const cut = base.lastIndexOf("/node_modules/");
      base = cut === -1 ? "" : base.slice(0, cut);
    }
  };
  const packedPaths = new Map(project.packed.map((packed) => [packed.workspacePath, `node_modules/${packed.name}`]));
  /** A repository lock path as the project's: the workspace's own folder becomes its place under node_modules. */
  const projectPath = (repoPath: string): string => {
    for (const [workspace, installed] of packedPaths) if (repoPath === workspace || repoPath.startsWith(`${workspace}/`)) return installed + repoPath.slice(workspace.length);
    return repoPath;
  };
  const visit = (repoPath: string): void => {
    const target = projectPath(repoPath);
    if (out[target] !== undefined) return;
    const entry = repo.packages[repoPath];
    if (entry === undefined) throw new Error(`${repoPath} is not in the repository's package-lock.json`);
    const copy: LockEntry = Object.fromEntries(Object.entries(entry).filter(([field]) => !FLAGS.includes(field)));
    out[target] = copy;
    const needed = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
    for (const name of Object.keys(needed)) {
      const found = resolve(repoPath, name);
      const optional = entry.optionalDependencies?.[name] !== undefined || entry.peerDependenciesMeta?.[name]?.optional === true;
      if (found !== undefined) visit(found);
      else if (optional) delete copy.optionalDependencies?.[name];
      else throw new Error(`${name}, needed by ${repoPath}, is not in the repository's package-lock.json`);
    }
  };
  for (const packed of project.packed) {
    visit(packed.workspacePath);
    out[`node_modules/${packed.name}`] = { ...out[`node_modules/${packed.name}`], resolved: `file:${packed.tarball}` };
  }
  const locked = (name: string): string => {
    const path = resolve("", name);
    if (path === undefined) throw new Error(`${name} is not in the repository's package-lock.json`);
    visit(path);
    return repo.packages[path]!.version!;
  };
  const dependencies = Object.fromEntries([...project.packed.map((packed) => [packed.name, `file:${packed.tarball}`] as const), ...project.extra.map((name) => [name, locked(name)] as const)]);
  const devDependencies = Object.fromEntries(project.dev.map((name) => [name, locked(name)]));
  const manifest = { name: project.name, version: "1.0.0", private: true, dependencies, devDependencies };
  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  return { manifest, lock: { name: project.name, version: "1.0.0", lockfileVersion: 3, requires: true, packages: { "": { name: project.name, version: "1.0.0", dependencies, devDependencies }, ...sorted } } };
}
