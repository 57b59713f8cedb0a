/** Debian's Chromium for the browser tests (playwright-core drives it), and a freshly built demo site. */
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { buildDemoSite } from "../../scripts/build-demo";

const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

/** Headless, with the flags this machine needs: no sandbox as root, and nothing that reaches for the internet. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_BIN)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** The demo page built into a new temporary directory (the gate's SITE_DIR). */
export async function buildTestSite(): Promise<string> {
  const siteDir = mkdtempSync(path.join(os.tmpdir(), "pomona-site-"));
  await buildDemoSite(siteDir);
  return siteDir;
}
