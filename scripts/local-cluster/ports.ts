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

/** `count` consecutive free loopback ports (connectors listen on base + i). */
export async function freePortRange(count: number, host = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
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
