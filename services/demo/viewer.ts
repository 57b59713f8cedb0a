/**
 * Viewer mode of the demo page: `/?view=<gameId>` opens the game's read-only viewer WebSocket
 * `/game-<id>` (through the Ingress in a cluster, nginx locally) and draws each tick's broadcast —
 * the grid's board, coins and bots (a bot the sandbox stopped is drawn red with its reason), or an
 * arena's rooms, of every replica of the game (one colour per replica). `&viewer=wss://watch.example.com` names where the viewer paths are served (default:
 * this host on port 8080, the local nginx). `window.pomonaViewer` exposes the state for the browser test.
 */

interface Broadcast {
  /** The replica that made it. */
  readonly server: string;
  readonly channel: string;
  readonly route: string;
  readonly body: any;
}

interface Frame {
  readonly tick: number;
  /** The replica this viewer reached. */
  readonly server: string;
  /** Every replica whose latest part is merged in. */
  readonly replicas: ReadonlyArray<{ readonly server: string }>;
  readonly broadcasts: readonly Broadcast[];
}

export interface ViewerState {
  gameId: string;
  url: string;
  status: string;
  frames: number;
  lastTick: number;
  server: string;
  /** Replicas in view, the reached one first. */
  replicas: string[];
  tickRateHz: number;
  bots: Array<{ player: string; status: string; reason?: string; score: number }>;
  arenaPlayers: number;
}

export function viewerUrl(gameId: string, params: URLSearchParams, page: Location): string {
  const base = params.get("viewer") ?? `${page.protocol === "https:" ? "wss" : "ws"}://${page.hostname}:8080`;
  return `${base.replace(/\/+$/, "")}/game-${encodeURIComponent(gameId)}`;
}

export function startViewer(gameId: string, url: string, canvas: HTMLCanvasElement, text: (id: string, value: string) => void): ViewerState {
  const context = canvas.getContext("2d")!;
  const state: ViewerState = { gameId, url, status: "connecting", frames: 0, lastTick: 0, server: "", replicas: [], tickRateHz: 0, bots: [], arenaPlayers: 0 };
  let latest: Frame | undefined;
  document.title = `Pomona viewer: ${gameId}`;
  document.querySelector("h1")!.textContent = `Watching game ${gameId}`;
  document.querySelector("header p")!.textContent = `Viewer mode: every tick of the game, read-only, from ${url}. Red bots were stopped by their sandbox (reason in the list).`;
  text("me", `viewer of ${gameId}`);
  text("status", "connecting");

  const socket = new WebSocket(url);
  socket.onopen = () => text("status", (state.status = "watching"));
  socket.onclose = (event) => text("status", (state.status = `closed (${event.code}${event.reason ? `: ${event.reason}` : ""})`));
  socket.onmessage = (event) => {
    latest = JSON.parse(String(event.data)) as Frame;
    state.frames++;
    state.lastTick = latest.tick;
    state.server = latest.server;
    state.replicas = latest.replicas.map((replica) => replica.server);
    const world = latest.broadcasts.find((b) => b.route === "onWorld")?.body;
    if (world !== undefined) state.bots = world.avatars.map((a: ViewerState["bots"][number]) => ({ player: a.player, status: a.status, reason: a.reason, score: a.score }));
    state.arenaPlayers = latest.broadcasts.filter((b) => b.route === "onState").reduce((n, b) => n + b.body.players.length, 0);
  };

  let framesAtLastSample = 0;
  setInterval(() => {
    state.tickRateHz = state.frames - framesAtLastSample;
    framesAtLastSample = state.frames;
    text("tick-rate", `${state.tickRateHz} Hz`);
    text("server", state.server ? `${state.server}${state.replicas.length > 1 ? ` (+ ${state.replicas.length - 1} other replica(s) in view)` : ""}` : "…");
    text("players", String(state.bots.length || state.arenaPlayers));
  }, 1_000);

  const draw = () => {
    context.clearRect(0, 0, canvas.width, canvas.height);
    const world = latest?.broadcasts.find((b) => b.route === "onWorld")?.body;
    if (world !== undefined) drawGrid(context, canvas, world);
    for (const room of latest?.broadcasts.filter((b) => b.route === "onState") ?? []) drawArena(context, canvas, room.body.players, REPLICA_COLOURS[Math.max(0, state.replicas.indexOf(room.server)) % REPLICA_COLOURS.length]!);
    const list = document.getElementById("player-list")!;
    list.replaceChildren(
      ...state.bots.map((bot) => {
        const item = document.createElement("li");
        item.textContent = `${bot.player}: ${bot.score}${bot.status === "stopped" ? ` — stopped: ${bot.reason}` : ""}`;
        if (bot.status === "stopped") item.className = "stopped";
        return item;
      }),
    );
    requestAnimationFrame(draw);
  };
  requestAnimationFrame(draw);
  return state;
}

function drawGrid(context: CanvasRenderingContext2D, canvas: HTMLCanvasElement, world: { size: number; coins: Array<[number, number]>; avatars: Array<{ player: string; x: number; y: number; status: string }> }): void {
  const cell = canvas.width / world.size;
  context.fillStyle = "#ffd166";
  for (const [x, y] of world.coins) context.fillRect(x * cell + cell / 3, y * cell + cell / 3, cell / 3, cell / 3);
  for (const avatar of world.avatars) {
    context.fillStyle = avatar.status === "stopped" ? "#ef476f" : "#4cc9f0";
    context.fillRect(avatar.x * cell + 2, avatar.y * cell + 2, cell - 4, cell - 4);
    context.fillStyle = "#dde3ea";
    context.fillText(avatar.player, avatar.x * cell, avatar.y * cell - 2);
  }
}

const REPLICA_COLOURS = ["#4cc9f0", "#f72585", "#b5e48c", "#ffd166"];

function drawArena(context: CanvasRenderingContext2D, canvas: HTMLCanvasElement, players: Array<{ name: string; x: number; y: number }>, colour: string): void {
  const scale = canvas.width / 100;
  context.fillStyle = colour;
  for (const player of players) {
    context.beginPath();
    context.arc(player.x * scale, player.y * scale, 5, 0, Math.PI * 2);
    context.fill();
  }
}
