/**
 * A client's session, owned by the connector that holds its socket. Backends see it as a
 * SessionSnapshot attached to each forwarded request and change it only through the connector
 * (bind, setSettings), so there is one source of truth per session.
 */
import type { SessionSnapshot } from "../cluster/contract";

/** The backend a session is stuck to for one server type. The incarnation tells a restarted server from the one we bound. */
export interface BackendBinding {
  readonly serverId: string;
  readonly incarnation: string;
}

const NO_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({});

export class Session {
  private uidValue: string | null = null;
  /** Made on the first setting: most sessions have none, and an empty null-prototype object costs ~180 bytes. */
  private settingsValue: Record<string, unknown> | undefined;
  private cachedSnapshot: SessionSnapshot | undefined;
  /** serverType → the backend this session's requests of that type go to. */
  readonly backends = new Map<string, BackendBinding>();
  private closedReason: string | undefined;

  constructor(
    readonly id: string,
    readonly connectorId: string,
  ) {}

  get uid(): string | null {
    return this.uidValue;
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  get closeReason(): string | undefined {
    return this.closedReason;
  }

  bind(uid: string): void {
    this.uidValue = uid;
    this.cachedSnapshot = undefined;
  }

  setSettings(settings: Readonly<Record<string, unknown>>): void {
    for (const key of Object.keys(settings)) {
      if (key === "__proto__" || key === "constructor" || key === "prototype") continue;
      this.settingsValue ??= Object.create(null) as Record<string, unknown>;
      this.settingsValue[key] = settings[key];
    }
    this.cachedSnapshot = undefined;
  }

  get(key: string): unknown {
    return this.settingsValue?.[key];
  }

  /** Marks the session closed once; later calls keep the first reason. Returns true the first time. */
  markClosed(reason: string): boolean {
    if (this.closedReason !== undefined) return false;
    this.closedReason = reason;
    return true;
  }

  /** What backends see; rebuilt only after a change, so forwarding costs no copy per request. */
  snapshot(): SessionSnapshot {
    this.cachedSnapshot ??= { id: this.id, connectorId: this.connectorId, uid: this.uidValue, settings: this.settingsValue === undefined ? NO_SETTINGS : { ...this.settingsValue } };
    return this.cachedSnapshot;
  }
}
