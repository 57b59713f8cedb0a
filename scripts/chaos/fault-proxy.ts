/**
 * A fault-injecting TCP proxy for the fault suite: sits between two processes on loopback and, per
 * class of connection, passes bytes through, blackholes them (both ways, sockets left open — a
 * partition, not a close: they flow again when healed), delays them, or resets the connections (RST). The class of a
 * connection comes from its first bytes (an RPC hello names the connector), so one proxy in front
 * of a game server can cut one connector off and leave the other alone.
 */
import net from "node:net";

/** `hold`: a partition — bytes wait, as TCP would retransmit them, and flow again when healed; `latency`: each chunk is delayed. */
export type Fault = { readonly kind: "pass" } | { readonly kind: "hold" } | { readonly kind: "latency"; readonly ms: number };

export interface FaultProxyOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly target: { readonly host: string; readonly port: number };
  /** The class of a connection from its first chunk of client bytes; default: every connection is "*". */
  readonly classify?: (firstChunk: Buffer) => string;
}

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  label: string | undefined;
  /** Bytes held by a partition, in order, with their direction. */
  readonly held: Array<readonly [net.Socket, Buffer]>;
}

export class FaultProxy {
  private readonly faults = new Map<string, Fault>();
  private readonly pairs = new Set<Pair>();
  /** Per direction, when the last delayed chunk goes out. */
  private readonly releaseAtMs = new WeakMap<net.Socket, number>();
  private readonly server: net.Server;

  private constructor(private readonly options: FaultProxyOptions) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once("error", reject);
      proxy.server.listen(options.listen.port, options.listen.host, () => resolve());
    });
    return proxy;
  }

  /** The port it listens on (the one asked for, or the one the system chose for 0). */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** From now on, connections of class `label` ("*": every class without its own fault) get `fault`. */
  set(label: string, fault: Fault): void {
    this.faults.set(label, fault);
    for (const pair of this.pairs) {
      if (this.faultOf(pair).kind === "hold") continue;
      for (const [to, chunk] of pair.held.splice(0)) this.forward(pair, to, chunk);
    }
  }

  /** Resets (RST) the open connections of class `label` ("*": all). */
  reset(label: string): number {
    let count = 0;
    for (const pair of this.pairs) {
      if (label !== "*" && pair.label !== label) continue;
      pair.client.resetAndDestroy();
      pair.upstream.resetAndDestroy();
      count++;
    }
    return count;
  }

  async close(): Promise<void> {
    this.reset("*");
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private faultOf(pair: Pair): Fault {
    return (pair.label === undefined ? undefined : this.faults.get(pair.label)) ?? this.faults.get("*") ?? { kind: "pass" };
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.options.target.port, this.options.target.host);
    const pair: Pair = { client, upstream, label: this.options.classify === undefined ? "*" : undefined, held: [] };
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.on("data", (chunk: Buffer) => {
      if (pair.label === undefined) pair.label = this.options.classify!(chunk);
      this.forward(pair, upstream, chunk);
    });
    upstream.on("data", (chunk: Buffer) => this.forward(pair, client, chunk));
  }

  /** Bytes in order: a chunk never overtakes a delayed one bound the same way (timers with later deadlines fire later). */
  private forward(pair: Pair, to: net.Socket, chunk: Buffer): void {
    const fault = this.faultOf(pair);
    if (fault.kind === "hold") {
      pair.held.push([to, chunk]);
      return;
    }
    const nowMs = performance.now();
    const atMs = Math.max(nowMs + (fault.kind === "latency" ? fault.ms : 0), this.releaseAtMs.get(to) ?? 0);
    if (atMs <= nowMs) {
      if (!to.destroyed) to.write(chunk);
      return;
    }
    this.releaseAtMs.set(to, atMs);
    setTimeout(() => to.destroyed || to.write(chunk), atMs - nowMs);
  }
}
