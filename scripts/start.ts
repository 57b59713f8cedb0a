/**
 * `npm start` will run the whole local cluster (gate, connectors, game servers, nginx, Redis)
 * once the front-door issue lands. Until then it says plainly what exists and how to use it.
 */
const lines = [
  "Pomona — local cluster",
  "",
  "The one-command local cluster (gate, nginx subdomain proxy, demo page) is not built yet.",
  "What exists today, and how to exercise it:",
  "  connectors   services/src/roles/connector-main.ts   Pomelo clients, sessions, sticky routing",
  "  game servers services/games/arena/main.ts          the example arena game",
  "  tests        npm test (real redis-server, processes, sockets)",
  "  benchmarks   npm run bench (RPC, tick broadcast vs raw uWS)",
  "",
  "Run them by hand as README.md shows (\"Running the servers by hand\").",
  "",
  "See README.md and docs/ for details.",
];
console.log(lines.join("\n"));
