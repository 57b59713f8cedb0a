import assert from "node:assert/strict";
import { MembershipView, type ServerInfo } from "../../services/src/discovery";

const server = (id: string, overrides: Partial<ServerInfo> = {}): ServerInfo => ({
  id,
  type: "arena",
  host: "10.0.0.1",
  port: 4000,
  incarnation: `${id}-a`,
  load: 0,
  draining: false,
  metadata: {},
  ...overrides,
});

describe("discovery: the cached membership view", () => {
  it("reports new members as added and vanished ones as removed", () => {
    const view = new MembershipView();
    assert.deepEqual(view.replace([server("a"), server("b")]).map((c) => [c.kind, c.server.id]), [["added", "a"], ["added", "b"]]);
    assert.deepEqual(view.replace([server("b")]).map((c) => [c.kind, c.server.id]), [["removed", "a"]]);
    assert.deepEqual(view.all().map((s) => s.id), ["b"]);
  });

  it("looks a member up by id and counts the members of the last snapshot", () => {
    const view = new MembershipView();
    view.replace([server("a"), server("b", { port: 4001 })]);
    assert.equal(view.size, 2);
    assert.equal(view.get("b")?.port, 4001);
    assert.equal(view.get("c"), undefined);
    view.replace([server("b", { port: 4001 })]);
    assert.equal(view.size, 1);
    assert.equal(view.get("a"), undefined, "a member that left is no longer found");
  });

  it("treats a new incarnation of the same id as a different server: removed, then added", () => {
    const view = new MembershipView();
    view.replace([server("a")]);
    const changes = view.replace([server("a", { incarnation: "a-b" })]);
    assert.deepEqual(changes.map((c) => [c.kind, c.server.incarnation]), [["removed", "a-a"], ["added", "a-b"]]);
  });

  it("reports load, draining and metadata changes as updated with the previous record", () => {
    const view = new MembershipView();
    view.replace([server("a")]);
    const [change] = view.replace([server("a", { load: 7, draining: true, metadata: { zone: "eu" } })]);
    assert.equal(change?.kind, "updated");
    assert.ok(change?.kind === "updated" && change.previous.load === 0 && change.server.load === 7);
    assert.deepEqual(view.replace([server("a", { load: 7, draining: true, metadata: { zone: "eu" } })]), []);
  });

  it("keeps members missing from the snapshot while healing, but still applies additions", () => {
    const view = new MembershipView();
    view.replace([server("a"), server("b")]);
    const changes = view.replace([server("c")], true);
    assert.deepEqual(changes.map((c) => [c.kind, c.server.id]), [["added", "c"]]);
    assert.deepEqual(view.all().map((s) => s.id).sort(), ["a", "b", "c"]);
  });

  it("filters by server type", () => {
    const view = new MembershipView();
    view.replace([server("a"), server("c1", { type: "connector" })]);
    assert.deepEqual(view.ofType("connector").map((s) => s.id), ["c1"]);
  });
});
