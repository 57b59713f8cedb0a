import net from "node:net";

/** Asks the kernel for a free loopback port. Another process could take it before we bind: a tiny race tests and ephemeral clusters accept. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `count` consecutive free loopback ports (connectors listen on base + i), starting at a base `acceptable` allows. */
export async function freePortRange(count: number, host = "127.0.0.1", acceptable: (base: number) => boolean = () => true): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    if (!acceptable(base)) continue;
    if (await Promise.all(Array.from({ length: count }, (_, i) => isFree(base + i, host))).then((free) => free.every(Boolean))) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * One free range per name, none overlapping another. Nothing listens on them until the cluster
 * starts, so ranges picked one by one could coincide (an ephemeral cluster once got the same port
 * for its chat server and its redis-server).
 */
export async function freePortRanges<K extends string>(counts: Readonly<Record<K, number>>, host = "127.0.0.1"): Promise<Record<K, number>> {
  const taken: Array<readonly [start: number, end: number]> = [];
  const ranges = {} as Record<K, number>;
  for (const name of Object.keys(counts) as K[]) {
    const count = counts[name];
    const base = await freePortRange(count, host, (start) => taken.every(([from, to]) => start + count <= from || start >= to));
    taken.push([base, base + count]);
    ranges[name] = base;
  }
  return ranges;
}
