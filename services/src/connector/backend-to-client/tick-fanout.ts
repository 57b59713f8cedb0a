/**
 * The per-tick fan-out: every TickBatch becomes, in arrival order, topic membership changes, one
 * uWS publish per broadcast-only topic and one WebSocket message per socket that has packages of
 * its own this tick — that message also carries the broadcasts of its channels, so a player who
 * gets both gets ONE message per tick (docs/connector.md, "Tick fan-out").
 *
 * Publish or merge, per topic and tick, by cost: a publish costs c_p per subscriber, a socket write
 * c_s. Publishing and then writing the k subscribers with own packages costs n·c_p + k·c_s; writing
 * everyone once, merged, costs n·c_s. Merging wins (and halves the messages) once
 * k/n ≥ 1 − c_p/c_s. Measured (`npm run bench:broadcast -- --merge-cost`, raw uWS, the same bytes,
 * 2,000 clients): c_s/c_p 0.89–1.16 over six rounds, so a socket write costs what a publish delivery
 * does; with the ~10 % the merged write adds in JavaScript (assembling, the topic check), break-even
 * is near 10 %: MERGE_MIN_OWN_SHARE (docs/benchmarks.md).
 *
 * Socket writes are spread over the event loop: at most `sliceMs` (config fanoutSliceMs) of writes run at once,
 * then the loop turns (RPC reads, client messages) before the next slice. Batches queue behind
 * the one being written, so every write of tick N goes out before any of tick N+1; a queue longer
 * than MAX_QUEUED_BATCHES is written without yielding, which bounds the backlog.
 *
 * A connector that cannot keep up holds at most `maxWaitingPerServer` (config
 * maxWaitingTicksPerServer) waiting batches of one game server: a newer one supersedes the oldest
 * waiting, which keeps its joins and leaves (applied in order, as ever) and loses its messages, so a
 * saturated connector writes the freshest ticks and holds a bounded amount, like the game server's
 * own `maxQueuedTicks` (docs/connector.md, "Tick fan-out").
 *
 * Protobuf clients (protobuf-transcoder.ts) get a broadcast translated once per batch, published on
 * their own uWS topic (`protobufTopic`), and their own packages translated as they are listed.
 */
import { performance } from "node:perf_hooks";
import { log } from "../../logging";
import type { TemplatedApp } from "uWebSockets.js";
import type { TickBatch } from "../../cluster/contract";
import type { SessionRegistry } from "../../session/registry";
import type { ConnectorCounters } from "../counters";
import type { ProtobufTranscoder } from "../protobuf-transcoder";
import type { ClientConnection } from "../socket/client-connection";
import { protobufTopic, type TopicMembers } from "./topic-members";

export const MERGE_MIN_OWN_SHARE = 0.1;
export const MAX_QUEUED_BATCHES = 8;
/** Writes between two clock reads (a write costs a few µs). */
const WRITES_PER_CLOCK_CHECK = 64;

const NO_PACKAGES = Buffer.alloc(0);

function carriesMessages(batch: TickBatch): boolean {
  return batch.broadcasts.length > 0 || batch.directSessions.length > 0;
}

interface QueuedBatch {
  readonly batch: TickBatch;
  readonly arrivedMs: number;
  /** Its messages were superseded: only its joins and leaves are applied, and it counts in neither batchesApplied nor the fan-out times. */
  readonly superseded: boolean;
}

export interface FanoutObserver {
  /** A batch is fully written: time from its arrival. */
  batchDone(durationMs: number): void;
  /** One synchronous run of writes (the longest the loop was held). */
  slice(durationMs: number): void;
}

export class TickFanout {
  private readonly queue: QueuedBatch[] = [];
  private current: QueuedBatch | undefined;
  /** Sockets to write for the current batch, in order; `next` is the first not yet written. */
  private readonly writes: ClientConnection[] = [];
  private next = 0;
  /** Topics of the current batch delivered in the merged per-socket messages, in batch order (JSON and protobuf bodies). */
  private readonly mergedTopics: Array<readonly [topic: string, packages: Buffer, protobufPackages: Buffer]> = [];
  private batchMark = 0;
  /** Where a merged message is assembled; uWS copies what it sends, so one buffer serves every socket. */
  private scratch = Buffer.allocUnsafeSlow(16 * 1024);
  private readonly resume = () => this.run();

  constructor(
    private readonly app: TemplatedApp,
    private readonly sessions: SessionRegistry<ClientConnection>,
    private readonly members: TopicMembers,
    private readonly counters: ConnectorCounters,
    private readonly observer: FanoutObserver,
    private readonly sliceMs: number,
    private readonly maxWaitingPerServer: number,
    private readonly protobuf: ProtobufTranscoder | undefined = undefined,
  ) {}

  /** Batches waiting behind the one being written. */
  get queued(): number {
    return this.queue.length;
  }

  enqueue(batch: TickBatch, arrivedMs = performance.now()): void {
    // Only a batch with messages competes for a waiting place; joins and leaves alone always queue.
    if (carriesMessages(batch)) this.supersedeWaiting(batch.serverId);
    this.queue.push({ batch, arrivedMs, superseded: false });
    if (this.current === undefined) this.run();
  }

  /** Makes room for one more waiting batch of `serverId` carrying messages (at most one is over the bound: this runs on every arrival). */
  private supersedeWaiting(serverId: string): void {
    let waiting = 0;
    let oldest = -1;
    for (let index = 0; index < this.queue.length; index++) {
      const { batch } = this.queue[index];
      if (batch.serverId !== serverId || !carriesMessages(batch)) continue;
      if (oldest < 0) oldest = index;
      waiting++;
    }
    if (waiting < this.maxWaitingPerServer) return;
    const { batch, arrivedMs } = this.queue[oldest];
    this.counters.batchesSuperseded++;
    if (batch.resync !== true && batch.subscribe.length === 0 && batch.unsubscribe.length === 0) this.queue.splice(oldest, 1);
    else this.queue[oldest] = { batch: { ...batch, broadcasts: [], directSessions: [], directEnds: [], directPackages: NO_PACKAGES }, arrivedMs, superseded: true };
  }

  private run(): void {
    const sliceStart = performance.now();
    for (;;) {
      if (this.current === undefined) {
        const queued = this.queue.shift();
        if (queued === undefined) break;
        try {
          this.begin(queued);
        } catch (error) {
          // Only a malformed batch gets here (entries are checked as they are read): drop the rest of it.
          log.error({ err: error, serverId: queued.batch.serverId, tick: queued.batch.tick }, "tick batch dropped: malformed entry");
          this.finish();
          continue;
        }
      }
      let done: boolean;
      try {
        done = this.writeSlice(sliceStart);
      } catch (error) {
        // A write must never stall the queue: skip the socket that threw and go on.
        log.error({ err: error, sessionId: this.writes[this.next]?.session.id }, "tick fan-out write failed");
        this.next++;
        done = false;
      }
      if (!done) {
        this.observer.slice(performance.now() - sliceStart);
        setImmediate(this.resume);
        return;
      }
      this.finish();
    }
    this.observer.slice(performance.now() - sliceStart);
  }

  /** Membership, publishes and the list of sockets to write, all at once (no socket write of its own is deferred work). */
  private begin(queued: QueuedBatch): void {
    this.current = queued;
    const { unsubscribe, subscribe, broadcasts, directSessions, directEnds, directPackages } = queued.batch;
    const counters = this.counters;
    if (!queued.superseded) counters.batchesApplied++;
    if (queued.batch.resync === true) this.members.leaveServer(queued.batch.serverId);
    for (let index = 0; index < unsubscribe.length; index++) {
      const [topic, sessionId] = unsubscribe[index];
      const connection = this.sessions.get(sessionId);
      if (connection === undefined) counters.unknownSessionsSkipped++;
      else this.members.unsubscribe(connection, topic);
    }
    for (let index = 0; index < subscribe.length; index++) {
      const [topic, sessionId] = subscribe[index];
      const connection = this.sessions.get(sessionId);
      if (connection === undefined) counters.unknownSessionsSkipped++;
      else this.members.subscribe(connection, topic);
    }
    const mark = ++this.batchMark;
    let start = 0;
    for (let index = 0; index < directSessions.length; index++) {
      const end = directEnds[index];
      if (!(end >= start && end <= directPackages.length)) throw new RangeError(`direct range ${index} ends at ${end}, outside ${start}..${directPackages.length}`);
      const connection = this.sessions.get(directSessions[index]);
      if (connection === undefined) counters.unknownSessionsSkipped++;
      else {
        const own = connection.protobuf ? this.protobuf!.packages(directPackages.subarray(start, end)) : directPackages.subarray(start, end);
        // Empty only when translation left every package out: nothing to write.
        if (own.length > 0) {
          if (connection.tickMark !== mark) {
            connection.tickMark = mark;
            connection.tickOwn = own;
            this.writes.push(connection);
          } else connection.tickOwn = Buffer.concat([connection.tickOwn!, own]);
        }
      }
      start = end;
    }
    for (let index = 0; index < broadcasts.length; index++) {
      const [topic, packages] = broadcasts[index];
      counters.broadcasts++;
      const subscribers = this.members.subscribers(topic);
      const protobufSubscribers = this.members.protobufCount(topic);
      const translated = protobufSubscribers > 0 ? this.protobuf!.packages(packages) : packages;
      if (subscribers !== undefined && this.ownShare(topic, subscribers, mark) >= MERGE_MIN_OWN_SHARE) {
        this.mergedTopics.push([topic, packages, translated]);
        for (const connection of subscribers) {
          if (connection.tickMark === mark) continue;
          connection.tickMark = mark;
          connection.tickOwn = undefined;
          this.writes.push(connection);
        }
      } else {
        counters.fanoutMessages += this.app.numSubscribers(topic);
        this.app.publish(topic, packages, true);
        if (protobufSubscribers > 0 && translated.length > 0) {
          counters.fanoutMessages += protobufSubscribers;
          this.app.publish(protobufTopic(topic), translated, true);
        }
      }
    }
  }

  /** Share of the topic's subscribers that have packages of their own in this batch (0 when none do). */
  private ownShare(topic: string, subscribers: ReadonlySet<ClientConnection>, mark: number): number {
    if (this.writes.length === 0) return 0;
    let own = 0;
    if (this.writes.length < subscribers.size) {
      for (let index = 0; index < this.writes.length; index++) if (this.writes[index].topics.includes(topic)) own++;
    } else {
      for (const connection of subscribers) if (connection.tickMark === mark) own++;
    }
    return own === 0 ? 0 : own / subscribers.size;
  }

  /** Writes until the list is done (true) or the slice's budget is spent (false). */
  private writeSlice(sliceStart: number): boolean {
    const unbounded = this.queue.length >= MAX_QUEUED_BATCHES;
    const writes = this.writes;
    while (this.next < writes.length) {
      const end = Math.min(writes.length, this.next + WRITES_PER_CLOCK_CHECK);
      for (; this.next < end; this.next++) this.write(writes[this.next]);
      if (!unbounded && this.next < writes.length && performance.now() - sliceStart >= this.sliceMs) return false;
    }
    return true;
  }

  /** The socket's message: its merged channels' packages in batch order, then its own. */
  private write(connection: ClientConnection): void {
    const own = connection.tickOwn;
    connection.tickOwn = undefined;
    const topics = connection.topics;
    let first: Buffer | undefined;
    let parts = 0;
    let bytes = 0;
    const body = connection.protobuf ? 2 : 1;
    for (let index = 0; index < this.mergedTopics.length; index++) {
      const merged = this.mergedTopics[index];
      if (!topics.includes(merged[0])) continue;
      const packages = merged[body];
      if (packages.length === 0) continue;
      first ??= packages;
      parts++;
      bytes += packages.length;
    }
    if (own !== undefined) {
      first ??= own;
      parts++;
      bytes += own.length;
    }
    if (first === undefined) return;
    const message = parts === 1 ? first : this.assemble(topics, own, bytes, body);
    if (connection.send(message)) this.counters.fanoutMessages++;
  }

  private assemble(topics: readonly string[], own: Buffer | undefined, bytes: number, body: 1 | 2): Buffer {
    if (this.scratch.length < bytes) this.scratch = Buffer.allocUnsafeSlow(Math.max(bytes, this.scratch.length * 2));
    let offset = 0;
    for (let index = 0; index < this.mergedTopics.length; index++) {
      const merged = this.mergedTopics[index];
      if (!topics.includes(merged[0])) continue;
      const packages = merged[body];
      packages.copy(this.scratch, offset);
      offset += packages.length;
    }
    if (own !== undefined) own.copy(this.scratch, offset);
    return this.scratch.subarray(0, bytes);
  }

  private finish(): void {
    const { arrivedMs, superseded } = this.current!;
    this.current = undefined;
    for (let index = this.next; index < this.writes.length; index++) this.writes[index].tickOwn = undefined;
    this.writes.length = 0;
    this.next = 0;
    this.mergedTopics.length = 0;
    if (!superseded) this.observer.batchDone(performance.now() - arrivedMs);
  }
}
