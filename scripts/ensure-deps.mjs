#!/usr/bin/env node
// Installs what `npm test` and `npm start` need on a fresh Debian machine:
// the system servers the tests run for real, the C compiler of the bench's load generator (and its
// test), and node_modules from package-lock.json.
// Idempotent and quick when everything is present. Plain .mjs so it runs before node_modules exists.
import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Debian package → the binary that proves it is installed. */
const SYSTEM_PACKAGES = { "redis-server": "redis-server", nginx: "nginx", chromium: "chromium", openssl: "openssl", gcc: "cc" };
const EXTRA_PATH = ["/usr/sbin", "/sbin", "/usr/local/sbin"];

function onPath(binary) {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), ...EXTRA_PATH];
  return dirs.some((dir) => {
    try {
      accessSync(path.join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function run(command, args) {
  console.log(`[ensure-deps] ${command} ${args.join(" ")}`);
  execFileSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

function ensureNode() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if ((major === 20 && minor >= 19) || major === 24) return;
  console.error(`[ensure-deps] Node ${process.versions.node} is not supported: Pomona runs on Node 24 (the images) or 20.19+ (development machines with glibc < 2.38), as package.json "engines" says.`);
  process.exit(1);
}

function ensureSystemPackages() {
  const missing = Object.entries(SYSTEM_PACKAGES).filter(([, bin]) => !onPath(bin)).map(([pkg]) => pkg);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !onPath("apt-get")) {
    console.error(`[ensure-deps] missing system packages: ${missing.join(", ")}. Install them with:\n  sudo apt-get update && sudo apt-get install -y ${missing.join(" ")}`);
    process.exit(1);
  }
  run("apt-get", ["update", "-qq"]);
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing]);
}

function ensureNodeModules() {
  const lock = path.join(root, "package-lock.json");
  const installed = path.join(root, "node_modules", ".package-lock.json");
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

ensureNode();
if (!process.argv.includes("--node-only")) ensureSystemPackages();
if (!process.argv.includes("--system-only")) ensureNodeModules();
