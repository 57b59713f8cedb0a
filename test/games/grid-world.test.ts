/**
 * What the grid server holds per player, and that the fault checks can read it: each avatar's
 * incarnation (`record`) and the last turn whose action was applied (`turn`), beside its position.
 */
import assert from "node:assert/strict";
import { GridWorld } from "../../services/games/grid/world";

/** A world whose randomness is a fixed sequence, so squares are known. */
function worldAt(squares: number[]): GridWorld {
  let next = 0;
  let records = 0;
  return new GridWorld(10, 0, () => squares[next++ % squares.length]!, () => `record-${++records}`);
}

describe("grid world: what the server holds per player", function () {
  it("an avatar keeps its record while it plays; leaving and joining again makes a new incarnation", function () {
    const world = worldAt([0.5]);
    const first = world.join("ada");
    world.act("ada", { move: "up" }, 1);
    assert.equal(world.join("ada").record, first.record, "joining again while present is the same avatar");
    world.leave("ada");
    const second = world.join("ada");
    assert.notEqual(second.record, first.record);
    assert.equal(second.turn, 0, "a new incarnation has applied nothing");
    assert.deepEqual(world.snapshot(7).avatars.map((a) => [a.player, a.record, a.turn]), [["ada", second.record, 0]], "viewers receive the incarnation and the turn");
  });

  it("the turn of every applied action is held; an invalid action or a stale turn changes nothing", function () {
    const world = worldAt([0.5]);
    world.join("ada");
    world.act("ada", { move: "left" }, 3);
    assert.deepEqual(pick(world), { x: 4, y: 5, turn: 3 });
    world.act("ada", { move: "stay" }, 4);
    assert.deepEqual(pick(world), { x: 4, y: 5, turn: 4 }, "a stay is applied: the bot answered that turn");
    world.act("ada", { move: "teleport" }, 5);
    world.act("ada", null, 6);
    assert.deepEqual(pick(world), { x: 4, y: 5, turn: 4 }, "what is not a move is not applied");
    world.act("ada", { move: "down" }, 4);
    world.act("ada", { move: "down" }, 2);
    assert.deepEqual(pick(world), { x: 4, y: 5, turn: 4 }, "an answer to a turn already applied, or older, is not applied twice");
    world.act("ada", { move: "down" }, 9);
    assert.deepEqual(pick(world), { x: 4, y: 6, turn: 9 });
  });

  it("a stopped avatar applies nothing more", function () {
    const world = worldAt([0.5]);
    world.join("ada");
    world.stop("ada", "over its memory");
    world.act("ada", { move: "up" }, 1);
    assert.deepEqual(pick(world), { x: 5, y: 5, turn: 0 });
  });
});

function pick(world: GridWorld): { x: number; y: number; turn: number } {
  const { x, y, turn } = world.avatars.get("ada")!;
  return { x, y, turn };
}
