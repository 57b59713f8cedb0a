// Preloaded into a game server by the fault suite (NODE_OPTIONS=--require): SIGURG blocks its event
// loop for CHAOS_STALL_MS with every socket left open — a long GC or CPU throttling, seen from outside.
"use strict";
process.on("SIGURG", () => {
  const until = Date.now() + Number(process.env.CHAOS_STALL_MS || 5000);
  while (Date.now() < until);
});
