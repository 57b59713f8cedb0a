/**
 * One live session per uid across all connectors. Claiming a uid records the new session in
 * Redis and, in the same atomic step, asks the connector of the previous session to kick it.
 *
 * Lessons honoured: a failing or slow kick never blocks the new login (Pitaya #452) — the kick is
 * a pub/sub message, not a call we wait on; an old session's close never removes a newer
 * session's claim (Pitaya #251) — release is compare-and-delete; kicks reach sessions on every
 * connector, not only the local one (Pomelo #230).
 */
import type Redis from "ioredis";

export interface UidHolder {
  readonly connectorId: string;
  readonly sessionId: string;
}

export interface KickOrder extends UidHolder {
  readonly uid: string;
  readonly reason: string;
}

export interface ClaimResult {
  /** The session that held the uid before (now being kicked), if any. */
  readonly previous?: UidHolder;
  /** Redis could not be reached: the login went ahead without cluster-wide uniqueness. */
  readonly degraded?: Error;
}

/**
 * KEYS: uid key. ARGV: holder JSON, kick channel prefix, kick reason, ttlMs, uid.
 * Returns the previous holder JSON or false.
 */
const CLAIM = `
local previous = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
if previous and previous ~= ARGV[1] then
  local ok, holder = pcall(cjson.decode, previous)
  if ok and type(holder) == 'table' and holder['connectorId'] then
    redis.call('PUBLISH', ARGV[2] .. holder['connectorId'], cjson.encode({uid = ARGV[5], connectorId = holder['connectorId'], sessionId = holder['sessionId'], reason = ARGV[3]}))
  end
end
return previous
`;

/** KEYS: uid key. ARGV: holder JSON. Deletes only our own claim. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

export interface UidDirectoryOptions {
  readonly namespace: string;
  readonly connectorId: string;
  /** A claim outlives a crashed connector by at most this long. */
  readonly claimTtlMs?: number;
  readonly duplicateLoginReason?: string;
}

export class UidDirectory {
  private readonly prefix: string;
  private readonly kickChannelPrefix: string;
  private readonly ttlMs: number;
  private readonly reason: string;
  private readonly onMessage = (channel: string, message: string) => this.receive(channel, message);
  readonly stats = { claims: 0, displaced: 0, kicksReceived: 0, degraded: 0, malformedKicks: 0 };

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly options: UidDirectoryOptions,
    /** Called for a kick order addressed to a session on this connector (it may be gone already). */
    private readonly kick: (order: KickOrder) => void,
  ) {
    const tag = `{${options.namespace}}`;
    this.prefix = `${tag}:uid:`;
    this.kickChannelPrefix = `${tag}:kick:`;
    this.ttlMs = options.claimTtlMs ?? 24 * 3600_000;
    this.reason = options.duplicateLoginReason ?? "duplicate login";
  }

  async start(): Promise<void> {
    this.subscriber.on("message", this.onMessage);
    await this.subscriber.subscribe(this.kickChannelPrefix + this.options.connectorId);
  }

  async stop(): Promise<void> {
    this.subscriber.off("message", this.onMessage);
    await this.subscriber.unsubscribe(this.kickChannelPrefix + this.options.connectorId).catch(() => undefined);
  }

  /** Records `sessionId` as the uid's only session and has the previous one kicked, wherever it is. */
  async claim(uid: string, sessionId: string): Promise<ClaimResult> {
    this.stats.claims++;
    const holder = this.holderJson(sessionId);
    let previousJson: string | null;
    try {
      previousJson = (await this.redis.eval(CLAIM, 1, this.prefix + uid, holder, this.kickChannelPrefix, this.reason, String(this.ttlMs), uid)) as string | null;
    } catch (error) {
      this.stats.degraded++;
      return { degraded: error as Error };
    }
    if (!previousJson || previousJson === holder) return {};
    const previous = parseHolder(previousJson);
    if (!previous) return {};
    this.stats.displaced++;
    return { previous };
  }

  /** Removes the claim only if it is still this session's: a fast reconnect's claim survives the old close. */
  async release(uid: string, sessionId: string): Promise<boolean> {
    try {
      return (await this.redis.eval(RELEASE, 1, this.prefix + uid, this.holderJson(sessionId))) === 1;
    } catch {
      this.stats.degraded++;
      return false;
    }
  }

  /** Who holds the uid now (for tools and tests). */
  async holder(uid: string): Promise<UidHolder | undefined> {
    const raw = await this.redis.get(this.prefix + uid);
    return raw ? parseHolder(raw) : undefined;
  }

  private holderJson(sessionId: string): string {
    // Key order fixed: the release script compares the exact string.
    return JSON.stringify({ connectorId: this.options.connectorId, sessionId });
  }

  private receive(channel: string, message: string): void {
    if (channel !== this.kickChannelPrefix + this.options.connectorId) return;
    let order: unknown;
    try {
      order = JSON.parse(message);
    } catch {
      this.stats.malformedKicks++;
      return;
    }
    const candidate = order as Partial<KickOrder>;
    if (typeof candidate.uid !== "string" || typeof candidate.sessionId !== "string" || typeof candidate.reason !== "string") {
      this.stats.malformedKicks++;
      return;
    }
    this.stats.kicksReceived++;
    this.kick({ uid: candidate.uid, sessionId: candidate.sessionId, connectorId: this.options.connectorId, reason: candidate.reason });
  }
}

function parseHolder(raw: string): UidHolder | undefined {
  try {
    const value = JSON.parse(raw) as Partial<UidHolder>;
    return typeof value.connectorId === "string" && typeof value.sessionId === "string" ? { connectorId: value.connectorId, sessionId: value.sessionId } : undefined;
  } catch {
    return undefined;
  }
}
