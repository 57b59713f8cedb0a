/**
 * The Node 24 lane's first line: which Node, glibc and uWebSockets.js build the suites run on,
 * loaded the way the servers load it (a lane that silently ran Node 20's build would say so here).
 */
import path from "node:path";
import { currentUwsRuntime, loadUwsWithInfo } from "../../services/src/transport";

const { info } = loadUwsWithInfo();
const { glibc } = currentUwsRuntime();
console.log(`node24 lane: Node ${process.version}, glibc ${glibc}, uWS ${info.build.source} ${path.basename(info.addonPath)} (ABI ${info.abi})`);
