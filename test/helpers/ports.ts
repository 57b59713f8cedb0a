/** Free loopback ports, as the local cluster picks them. */
export { freePort, freePortRange, freePortRanges } from "../../scripts/local-cluster/ports";
