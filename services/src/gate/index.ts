/** The gate: which connector a player uses, and the connect token for it. docs/gate.md. */
export { GateServer, GateCloseCode, QUERY_ENTRY_ROUTE, type GateCounters, type GateMembership, type GateServerOptions } from "./gate-server";
export { parseGateConfig, gateConfigSchema, frontDoorSchema, type GateConfig, type GateConfigInput, type FrontDoor, type FrontDoorInput } from "./config";
export { chooseEntry, connectorOrdinal, publicAddress, uidProblem, MAX_GATE_UID_CHARS, type EntryResult, type EntryRefusal, type EntryOptions, type PublicAddress } from "./entry";
export { startGate, type GateRole, type GateRoleOptions } from "./gate-role";
export { readEntryQuery, type EntryQuery, type EntryRequest } from "./entry";
export { loadStaticSite, type StaticSite, type StaticFile } from "./static-site";
