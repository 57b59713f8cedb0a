#!/usr/bin/env node
// The connector role: flags and environment as in the Pomona README, "Running the servers by hand".
require("../dist/roles/connector-main.js");
