/**
 * Runs a chat game server as its own process: the lobby the arena posts to (flags and
 * environment: services/src/roles/game-server-main.ts).
 *
 *   tsx services/games/chat/main.ts --redis redis://127.0.0.1:6379 --id chat-1 --host 127.0.0.1 --port 4200
 */
import { runGameServerMain } from "@pomona/server";
import { chat } from "./game";

runGameServerMain(chat, "chat-1");
