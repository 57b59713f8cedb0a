export { BackendFailure, type BackendFailureCode, type BackendGateway, type SessionEvents } from "./backend-gateway";
export { leastLoaded, consistentHash, eligible, rendezvousScore, type ServerChooser, type RouteContext } from "./choose-server";
