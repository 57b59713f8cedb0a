/**
 * `npm start` will run the whole local cluster (gate, connectors, game servers, nginx, Redis)
 * once the front-door issue lands. Until then it says plainly what exists and how to use it.
 */
const lines = [
  "Pomona — local cluster",
  "",
  "The local cluster (gate, connectors, game servers, nginx subdomain proxy) is not built yet.",
  "What exists today, and how to exercise it:",
  "  services/src/protocol   Pomelo wire protocol codec          npm test",
  "  services/src/discovery  Redis service discovery             npm test (real redis-server)",
  "  services/src/rpc        internal RPC links between servers  npm test, npm run bench:rpc",
  "  services/src/transport  native uWebSockets.js loader        npm test",
  "",
  "See README.md and docs/ for details.",
];
console.log(lines.join("\n"));
