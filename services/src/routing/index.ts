export { leastLoaded, consistentHash, eligible, rendezvousScore, type ServerChooser, type RouteContext } from "./choose-server";
