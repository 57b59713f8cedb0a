/** Free loopback ports, as the local cluster picks them. */
export { freePort, freePortRange } from "../../scripts/local-cluster/ports";
