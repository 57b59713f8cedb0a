export { ServiceDiscovery, type DiscoveryEvents, type DiscoveryStats } from "./service-discovery";
export { DiscoveryError } from "./errors";
export { discoveryOptionsSchema, type DiscoveryOptions, type DiscoveryOptionsInput } from "./options";
export { serverInfoSchema, decodeServerInfo, SERVER_ID_PATTERN, type ServerInfo, type ServerIdentity } from "./member";
export { MembershipView, type MembershipChange } from "./view";
export { decideLease, type LeaseClock, type LeaseDecision } from "./lease";
export { discoveryKeys, type DiscoveryKeys } from "./keys";
