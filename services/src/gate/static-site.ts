/**
 * The few files the gate serves to browsers (the demo page and its script), read once at start and
 * kept in memory: no filesystem access per request, and no path from a request ever reaches the
 * filesystem, so there is nothing to traverse.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** A site is small; a bigger directory is a mistake in the path. */
const MAX_SITE_BYTES = 8 * 1024 * 1024;

export interface StaticFile {
  readonly contentType: string;
  readonly body: Buffer;
}

export interface StaticSite {
  /** The file for a request path (`/` is `index.html`); undefined when there is none. */
  get(urlPath: string): StaticFile | undefined;
  /** Scripts and styles from the gate only; WebSockets to any connector host (they live on other subdomains). */
  readonly contentSecurityPolicy: string;
}

/** Reads the top-level files of `dir` with a known type; throws naming the directory when it is missing or empty. */
export function loadStaticSite(dir: string): StaticSite {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new Error(`gate site directory ${dir} cannot be read: ${(error as Error).message}`);
  }
  const files = new Map<string, StaticFile>();
  let total = 0;
  for (const name of names) {
    const contentType = CONTENT_TYPES[path.extname(name).toLowerCase()];
    const file = path.join(dir, name);
    if (contentType === undefined || !statSync(file).isFile()) continue;
    const body = readFileSync(file);
    total += body.length;
    if (total > MAX_SITE_BYTES) throw new Error(`gate site directory ${dir} holds over ${MAX_SITE_BYTES} bytes: point it at the demo's build output`);
    files.set(`/${name}`, { contentType, body });
  }
  if (!files.has("/index.html")) throw new Error(`gate site directory ${dir} has no index.html (build it with \`npm run build:demo\`)`);
  return {
    get: (urlPath) => files.get(urlPath === "/" ? "/index.html" : urlPath),
    contentSecurityPolicy: "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  };
}
