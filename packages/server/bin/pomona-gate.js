#!/usr/bin/env node
// The gate role: flags and environment as in the Pomona README, "Running the servers by hand".
require("../dist/gate/gate-main.js");
