/**
 * The docs point at things that exist: every relative link in README.md and docs/ resolves to a file
 * (and its #anchor to a heading of that file, by GitHub's rule), every repository path to a .md file
 * they mention exists, every repository path they name exists (build outputs aside), and every
 * `npm run <script>` they name is a script of package.json.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) return walk(relative);
      return entry.name.endsWith(".md") ? [relative] : [];
    });
  return ["README.md", ...walk("docs")];
}

/** The text outside fenced code blocks (links and headings there are examples, not the doc's own). */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = match[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
    const slug = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

interface Target {
  readonly from: string;
  readonly written: string;
  readonly file: string;
  readonly anchor: string | undefined;
}

/** Markdown links and `./`, `../` paths relative to their file; repository paths of .md files written in the text relative to the root. */
function targetsOf(file: string): Target[] {
  const text = prose(readFileSync(path.join(ROOT, file), "utf8"));
  const targets: Target[] = [];
  for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const written = match[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(written)) continue; // https:, mailto:
    const [target, anchor] = written.split("#", 2) as [string, string | undefined];
    targets.push({ from: file, written, file: target === "" ? file : path.normalize(path.join(path.dirname(file), decodeURI(target))), anchor });
  }
  for (const match of text.matchAll(/(?<![\w./-])((?:docs|infra|stacks|services|scripts|test|packages)\/[\w./-]*\.md)(?:#([\w-]+))?/g)) {
    targets.push({ from: file, written: match[0], file: path.normalize(match[1]!), anchor: match[2] });
  }
  for (const match of text.matchAll(/(?<![\w./-])(\.{1,2}\/[\w./-]*\.md)(?:#([\w-]+))?/g)) {
    targets.push({ from: file, written: match[0], file: path.normalize(path.join(path.dirname(file), match[1]!)), anchor: match[2] });
  }
  return targets;
}

describe("docs: links, paths and npm scripts are real", () => {
  const files = markdownFiles();

  it("reads README.md and every page under docs/", () => {
    assert.ok(files.length >= 15, files.join(", "));
  });

  it("every relative link and every .md path resolves to a file, and every #anchor to a heading of it", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of files) {
      for (const target of targetsOf(file)) {
        checked++;
        const absolute = path.join(ROOT, target.file);
        if (!absolute.startsWith(`${ROOT}${path.sep}`) || !existsSync(absolute)) {
          broken.push(`${target.from}: ${target.written} → no file ${target.file} in the repository`);
          continue;
        }
        if (target.anchor === undefined || target.anchor === "" || !statSync(absolute).isFile() || !target.file.endsWith(".md")) continue;
        if (!anchorsOf(readFileSync(absolute, "utf8")).has(target.anchor)) broken.push(`${target.from}: ${target.written} → no heading #${target.anchor} in ${target.file}`);
      }
    }
    assert.deepEqual(broken, []);
    assert.ok(checked >= 50, `only ${checked} links found: the extraction is broken`);
  });

  it("every repository path the docs name exists (build outputs and files they tell you to create aside)", () => {
    /** Not in a clone, by design: `npm run build`'s output, and the stack file docs/deploy.md has you copy. */
    const notInClone = [/^services\/dist(\/|$)/, /^stacks\/Pulumi\.(prod-ap|minikube)\.yaml$/];
    const missing: string[] = [];
    let named = 0;
    for (const file of files) {
      const text = readFileSync(path.join(ROOT, file), "utf8");
      // A path followed by a placeholder (`services/games/<type>/main.js`) names many files, none of them literally.
      for (const match of text.matchAll(/(?<![\w./-])((?:services|scripts|test|infra|stacks|docs|packages)\/[\w./-]*[\w/])(?![\w<{*-]|[./][\w<{*])/g)) {
        const written = match[1]!;
        named++;
        if (notInClone.some((pattern) => pattern.test(written))) continue;
        if (!existsSync(path.join(ROOT, written))) missing.push(`${file}: ${written}`);
      }
    }
    assert.deepEqual([...new Set(missing)], []);
    assert.ok(named >= 100, `only ${named} paths found: the extraction is broken`);
  });

  it("every `npm run <script>` the docs name is a script of package.json", () => {
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const missing: string[] = [];
    let named = 0;
    for (const file of files) {
      for (const match of readFileSync(path.join(ROOT, file), "utf8").matchAll(/\bnpm run ([a-z][\w:.-]*)/g)) {
        named++;
        if (!Object.hasOwn(scripts, match[1]!)) missing.push(`${file}: npm run ${match[1]}`);
      }
    }
    assert.deepEqual(missing, []);
    assert.ok(named >= 20, `only ${named} npm run commands found: the extraction is broken`);
  });

  it("GitHub's anchor rule as this test applies it", () => {
    assert.deepEqual([...anchorsOf("# Player identity\n## `ctx.rpc` calls\n## Running the servers by hand\n## Not done yet\n## Not done yet\n```\n# not a heading\n```\n")], [
      "player-identity",
      "ctxrpc-calls",
      "running-the-servers-by-hand",
      "not-done-yet",
      "not-done-yet-1",
    ]);
  });
});
