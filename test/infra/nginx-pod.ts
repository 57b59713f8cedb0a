/**
 * `nginx -t` on a rendered ConfigMap, in the proxy pod's own file layout: a private mount namespace
 * where /etc is a copy with the ConfigMap at /etc/pomona/nginx, the TLS Secret at /etc/pomona/tls,
 * the cluster's DNS names in /etc/hosts (nginx resolves `resolver` names when it loads the config),
 * and an empty /tmp as the `-p` prefix; nginx runs as the pod's uid. The config bytes are untouched.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const NGINX_BIN = process.env.NGINX_BIN ?? "/usr/sbin/nginx";
/** What a kube-dns Service address looks like; nginx only needs the name to resolve at load. */
const CLUSTER_DNS_IP = "10.96.0.10";

export interface PodLayout {
  /** The ConfigMap's `nginx.conf`, byte for byte. */
  nginxConf: string;
  /** Where the pod mounts it (the Deployment's `-c`). */
  confPath: string;
  /** The container's command and args. */
  argv: string[];
  uid: number;
  tlsDir?: string;
  /** false: leave /etc/hosts as it is (the negative control). */
  resolvable?: boolean;
}

function requireTools(): void {
  for (const tool of [NGINX_BIN, "/usr/bin/unshare", "/usr/bin/setpriv"]) {
    if (!fs.existsSync(tool)) throw new Error(`${tool} is missing: install it with \`apt-get install -y nginx util-linux\``);
  }
  if (process.getuid?.() !== 0) throw new Error("the pod-layout nginx -t needs root (a private mount namespace with its own /etc/hosts); run the tests as root, as CI does");
}

/** Names in the `resolver` line that are not IP addresses. */
export function resolverNames(conf: string): string[] {
  const line = /^\s*resolver ([^;]+);/m.exec(conf)?.[1] ?? "";
  return line
    .split(/\s+/)
    .filter((token) => token && !token.includes("="))
    .map((token) => token.replace(/:\d+$/, ""))
    .filter((host) => !/^[\d.]+$/.test(host) && !host.startsWith("["));
}

export function nginxTestInPod(layout: PodLayout): { status: number | null; output: string } {
  requireTools();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-pod-"));
  try {
    fs.cpSync("/etc", path.join(root, "etc"), { recursive: true, verbatimSymlinks: true });
    const hosts = layout.resolvable === false ? [] : resolverNames(layout.nginxConf).map((name) => `${CLUSTER_DNS_IP} ${name}`);
    fs.appendFileSync(path.join(root, "etc", "hosts"), `\n${hosts.join("\n")}\n`);
    const conf = path.join(root, layout.confPath);
    fs.mkdirSync(path.dirname(conf), { recursive: true });
    fs.writeFileSync(conf, layout.nginxConf);
    if (layout.tlsDir) {
      const dir = path.join(root, layout.tlsDir);
      fs.mkdirSync(dir, { recursive: true });
      const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=*.pomona.test", "-keyout", path.join(dir, "tls.key"), "-out", path.join(dir, "tls.crt")], { encoding: "utf8" });
      if (made.status !== 0) throw new Error(`openssl could not make a test certificate (apt-get install -y openssl): ${made.stderr}`);
      fs.chmodSync(path.join(dir, "tls.key"), 0o644);
    }
    const tmp = path.join(root, "tmp");
    fs.mkdirSync(tmp);
    fs.chownSync(tmp, layout.uid, layout.uid);
    const [command, ...args] = layout.argv;
    if (command !== "nginx") throw new Error(`the proxy container runs ${command}, not nginx`);
    const quoted = [NGINX_BIN, ...args, "-t"].map((word) => `'${word}'`).join(" ");
    const script = `mount --bind '${root}/etc' /etc && mount --bind '${tmp}' /tmp && exec setpriv --reuid=${layout.uid} --regid=${layout.uid} --clear-groups ${quoted}`;
    const run = spawnSync("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", script], { encoding: "utf8", timeout: 20_000 });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
