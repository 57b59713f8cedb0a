/**
 * Runs an arena game server as its own process (flags and environment: services/src/roles/game-server-main.ts).
 *
 *   tsx services/games/arena/main.ts --redis redis://127.0.0.1:6379 --id arena-1 --host 127.0.0.1 --port 4100
 */
import { runGameServerMain } from "@pomona/server";
import { arena } from "./game";

runGameServerMain(arena, "arena-1");
