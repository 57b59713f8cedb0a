import assert from "node:assert/strict";
import { MembershipView, type ServerInfo } from "../../services/src/discovery";
import { CallRouter, NoServerError } from "../../services/src/game/remote-calls";
import { consistentHash } from "../../services/src/routing";

const server = (id: string, type = "chat", extra: Partial<ServerInfo> = {}): ServerInfo => ({ id, type, host: "127.0.0.1", port: 1, incarnation: `${id}-a`, load: 0, draining: false, metadata: {}, ...extra });
const session = (id: string) => ({ id, connectorId: "connector-0", uid: null });

function routerOver(servers: ServerInfo[], maxSticky?: number) {
  const view = new MembershipView();
  view.replace(servers);
  const router = new CallRouter({ members: (type?: string) => (type === undefined ? view.all() : view.ofType(type)), get: (id) => view.get(id) }, maxSticky);
  return { view, router };
}

describe("CallRouter: which server a ctx.rpc call goes to", () => {
  it("sticks a session to one server while it lives, even when a new server joins that hashing would prefer", () => {
    const { view, router } = routerOver([server("chat-1"), server("chat-2")]);
    const first = new Map<string, string>();
    for (let i = 0; i < 50; i++) first.set(`s${i}`, router.pick("chat", { session: session(`s${i}`) }).id);
    view.replace([server("chat-1"), server("chat-2"), server("chat-3")]);
    const rehashed = [...first.keys()].filter((id) => consistentHash(view.ofType("chat"), { serverType: "chat", route: "chat", sessionId: id })?.id === "chat-3");
    assert.ok(rehashed.length > 0, "hashing alone would move some sessions to chat-3");
    for (const [id, serverId] of first) assert.equal(router.pick("chat", { session: session(id) }).id, serverId, id);
    assert.equal(new Set(first.values()).size, 2);
  });

  it("moves a stuck session when its server failed, and not back to the suspect", () => {
    const { router } = routerOver([server("chat-1"), server("chat-2")]);
    const stuck = router.pick("chat", { session: session("s1") });
    router.failed(stuck);
    for (let i = 0; i < 20; i++) assert.notEqual(router.pick("chat", { session: session(`s${i}`) }).id, stuck.id);
  });

  it("moves a stuck session when its server restarted under a new incarnation", () => {
    const { view, router } = routerOver([server("chat-1")]);
    assert.equal(router.pick("chat", { session: session("s1") }).incarnation, "chat-1-a");
    view.replace([server("chat-1", "chat", { incarnation: "chat-1-b" })]);
    assert.equal(router.pick("chat", { session: session("s1") }).incarnation, "chat-1-b");
  });

  it("reaches a named server only if it is live and of the type; NO_SERVER otherwise", () => {
    const { router } = routerOver([server("chat-1"), server("arena-1", "arena")]);
    assert.equal(router.pick("chat", { serverId: "chat-1" }).id, "chat-1");
    assert.throws(() => router.pick("chat", { serverId: "arena-1" }), NoServerError);
    assert.throws(() => router.pick("chat", { serverId: "chat-9" }), NoServerError);
  });

  it("leaves draining servers out of new choices and answers NO_SERVER when none is left", () => {
    const { router } = routerOver([server("chat-1", "chat", { draining: true }), server("chat-2")]);
    for (let i = 0; i < 20; i++) assert.equal(router.pick("chat", undefined).id, "chat-2");
    const { router: empty } = routerOver([server("chat-1", "chat", { draining: true })]);
    assert.throws(() => empty.pick("chat", undefined), NoServerError);
  });

  it("spreads calls without a route over equally loaded servers, and prefers the least loaded", () => {
    const { router } = routerOver([server("chat-1"), server("chat-2")]);
    const picked = new Set(Array.from({ length: 40 }, () => router.pick("chat", undefined).id));
    assert.equal(picked.size, 2);
    const { router: loaded } = routerOver([server("chat-1", "chat", { load: 5 }), server("chat-2", "chat", { load: 1 })]);
    for (let i = 0; i < 20; i++) assert.equal(loaded.pick("chat", undefined).id, "chat-2");
  });

  it("runs a route function with the key as its session id", () => {
    const { router } = routerOver([server("chat-1"), server("chat-2"), server("chat-3")]);
    const byRoom = (room: string) => router.pick("chat", { choose: consistentHash, key: room }).id;
    assert.equal(byRoom("room-7"), byRoom("room-7"));
    assert.equal(new Set(Array.from({ length: 30 }, (_, i) => byRoom(`room-${i}`))).size, 3);
  });

  it("forgets a closed session's bindings, and keeps at most maxSticky", () => {
    const { router } = routerOver([server("chat-1"), server("chat-2")], 10);
    for (let i = 0; i < 25; i++) router.pick("chat", { session: session(`s${i}`) });
    assert.equal(router.stickyCount, 10);
    router.sessionClosed("s24");
    assert.equal(router.stickyCount, 9);
  });
});
