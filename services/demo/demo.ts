/**
 * The browser demo: plays the example arena through the gate and the nginx subdomain proxy with the
 * client SDK, and shows every player moving, the tick rate and the latency. Served by the gate at `/`.
 *
 * Who plays depends on the gate's AUTH_MODE (docs/gate.md#player-identity): `#token=<studio credential>`
 * (jwt, webhook; in the fragment, so it never reaches a server log), `?anonymous` (the gate picks the
 * uid), else `?uid=<name>` or a random name (trust-uid, the local cluster). `window.pomonaDemo`
 * exposes the state for the browser test. `?view=<gameId>` is viewer mode instead (viewer.ts): it
 * watches a game, plays nothing.
 */
import { PomonaClient } from "@pomona/client";
import { startViewer, viewerUrl } from "./viewer";

interface PlayerState {
  readonly id: string;
  readonly name: string;
  readonly x: number;
  readonly y: number;
}

interface JoinAnswer {
  readonly code: number;
  readonly id: string;
  readonly server: string;
}

type Direction = "up" | "down" | "left" | "right";

const FIELD = 100;
const KEYS: Readonly<Record<string, Direction>> = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right", w: "up", s: "down", a: "left", d: "right" };

const params = new URLSearchParams(location.search);
const token = new URLSearchParams(location.hash.slice(1)).get("token") ?? undefined;
const claimedUid = token !== undefined || params.has("anonymous") ? undefined : (params.get("uid") ?? `player-${Math.random().toString(36).slice(2, 7)}`);
/** The player's name: the claimed uid, or the one the gate vouched for once connected. */
let uid = claimedUid ?? "";
const canvas = document.getElementById("field") as HTMLCanvasElement;
const context = canvas.getContext("2d")!;
const text = (id: string, value: string) => (document.getElementById(id)!.textContent = value);

const demo = {
  uid,
  players: [] as PlayerState[],
  ticks: 0,
  lastTick: 0,
  server: "",
  connectorId: "",
  latencyMs: NaN,
  tickRateHz: 0,
  status: "connecting",
  /** Sends one step, as the arrow keys do. */
  move: (dir: Direction) => move({ dir }),
  moveTo: (x: number, y: number) => move({ x, y }),
};
(window as unknown as { pomonaDemo: typeof demo }).pomonaDemo = demo;

const client = new PomonaClient({
  gateUrl: location.origin,
  ...(claimedUid === undefined ? {} : { uid: claimedUid }),
  ...(token === undefined ? {} : { credentials: token }),
  clientType: "pomona-demo",
});
let seq = 0;

function move(to: { dir: Direction } | { x: number; y: number }): void {
  client.notify("arena.room.move", { seq: ++seq, ...to });
}

function setStatus(status: string): void {
  demo.status = status;
  text("status", status);
}

async function join(): Promise<void> {
  const answer = await client.request<JoinAnswer>("arena.room.join", { name: uid });
  demo.server = answer.server;
  text("server", answer.server);
}

client.on("connected", ({ connectorId, uid: vouched, resumed }: { connectorId: string; uid: string | undefined; resumed: boolean }) => {
  uid = vouched ?? uid;
  demo.uid = uid;
  text("me", uid);
  demo.connectorId = connectorId;
  text("connector", connectorId);
  text("reconnects", String(client.reconnects));
  setStatus(resumed ? "resumed" : "playing");
  // After a resume the player is already in the room on the same server: join answers where it is.
  join().catch((error: Error) => setStatus(`join failed: ${error.message}`));
});
client.on("reconnecting", ({ attempt }: { attempt: number }) => setStatus(`reconnecting (attempt ${attempt})`));
client.on("closed", ({ reason }: { reason: string }) => setStatus(`disconnected: ${reason}`));
client.on("onRebind", ({ serverId }: { serverId: string }) => {
  demo.server = serverId;
  text("server", `${serverId} (rebound)`);
  join().catch(() => undefined);
});
client.on("onState", (state: { tick: number; players: PlayerState[] }) => {
  demo.players = state.players;
  demo.lastTick = state.tick;
  demo.ticks++;
});

// Tick rate over the last second, and a connector round trip every second.
let ticksAtLastSample = 0;
setInterval(() => {
  demo.tickRateHz = demo.ticks - ticksAtLastSample;
  ticksAtLastSample = demo.ticks;
  text("tick-rate", `${demo.tickRateHz} Hz`);
  if (client.state !== "open") return;
  client.ping().then(
    (ms) => {
      demo.latencyMs = ms;
      text("latency", `${ms} ms`);
    },
    () => undefined,
  );
}, 1_000);

document.addEventListener("keydown", (event) => {
  const dir = KEYS[event.key];
  if (dir === undefined) return;
  event.preventDefault();
  move({ dir });
});
canvas.addEventListener("click", (event) => {
  const box = canvas.getBoundingClientRect();
  move({ x: Math.round(((event.clientX - box.left) / box.width) * FIELD), y: Math.round(((event.clientY - box.top) / box.height) * FIELD) });
});

function draw(): void {
  const scale = canvas.width / FIELD;
  context.clearRect(0, 0, canvas.width, canvas.height);
  const list = document.getElementById("player-list")!;
  const items: HTMLLIElement[] = [];
  for (const player of demo.players) {
    const mine = player.name === uid;
    context.fillStyle = mine ? "#ffd166" : "#4cc9f0";
    context.beginPath();
    context.arc(player.x * scale, player.y * scale, mine ? 7 : 5, 0, Math.PI * 2);
    context.fill();
    context.fillStyle = "#dde3ea";
    context.fillText(player.name, player.x * scale + 9, player.y * scale + 4);
    const item = document.createElement("li");
    item.textContent = `${player.name} (${player.x}, ${player.y})`;
    if (mine) item.className = "me";
    items.push(item);
  }
  list.replaceChildren(...items);
  text("players", String(demo.players.length));
  requestAnimationFrame(draw);
}

const viewing = params.get("view");
if (viewing !== null) {
  (window as unknown as { pomonaViewer: unknown }).pomonaViewer = startViewer(viewing, viewerUrl(viewing, params, location), canvas, text);
} else {
  text("me", uid || "(the gate picks)");
  requestAnimationFrame(draw);
  client.connect().catch((error: Error) => setStatus(`cannot connect: ${error.message}`));
}
