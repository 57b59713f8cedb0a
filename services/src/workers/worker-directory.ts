/**
 * The game's view of its ready workers: the table the game-creator publishes in Redis once each
 * worker passes its readiness check (player → URL), re-read every `refreshMs` and at once on the
 * change hint. Reads never block a tick: the game reads `current`, the last table seen.
 */
import type Redis from "ioredis";
import { workerKeys, type WorkerEndpoint } from "./keys";

export interface WorkerDirectoryOptions {
  readonly redis: Redis;
  /** A second connection for the change hint (subscriber mode). */
  readonly subscriber: Redis;
  readonly namespace: string;
  readonly gameId: string;
  readonly refreshMs?: number;
}

export class WorkerDirectory {
  current: ReadonlyMap<string, string> = new Map();
  private timer: NodeJS.Timeout | undefined;
  private readonly keys;

  constructor(private readonly options: WorkerDirectoryOptions) {
    this.keys = workerKeys(options.namespace, options.gameId);
  }

  async start(): Promise<void> {
    this.options.subscriber.on("message", (channel: string) => {
      if (channel === this.keys.changed) void this.refresh();
    });
    await this.options.subscriber.subscribe(this.keys.changed);
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs ?? 500);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      const table = await this.options.redis.hgetall(this.keys.endpoints);
      const next = new Map<string, string>();
      for (const [player, raw] of Object.entries(table)) {
        const endpoint = JSON.parse(raw) as WorkerEndpoint;
        if (typeof endpoint.url === "string") next.set(player, endpoint.url);
      }
      this.current = next;
    } catch {
      // Redis away: keep playing with the table we have.
    }
  }
}
