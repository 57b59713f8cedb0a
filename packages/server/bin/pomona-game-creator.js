#!/usr/bin/env node
// The game-creator role: flags and environment as in the Pomona README, "Running the servers by hand".
require("../dist/roles/game-creator-main.js");
