/** The connector (frontend): client WebSockets, sessions, routing, backend callbacks. See docs/connector.md. */
export { Connector, DRAIN_KICK_REASON, type ConnectorOptions, type ConnectorEvents } from "./connector";
export { connectorAuthSchema, connectorConfigSchema, parseConnectorConfig, type ConnectorAuthConfig, type ConnectorConfig, type ConnectorConfigInput } from "./config";
export { type ConnectorCounters } from "./counters";
export { CloseKind } from "./socket/close-reasons";
export { createUpgradeCheck, UPGRADE_REJECTIONS, UPGRADE_REJECTION_TEXT, type UpgradeRejection, type UpgradeVerdict } from "./socket/upgrade";
export { LocalHandlers, LocalHandlerError, LOCAL_ROUTE_PREFIX, type LocalHandler, type LocalRequest } from "./client-to-connector/local-handlers";
export { type HandshakeCheck, type HandshakeVerdict } from "./client-to-connector/package-handler";
export { errorStatus, errorResponseBody, type ErrorResponseCode, type LocalFailureCode } from "./client-to-backend/error-response";
export { SessionCallError } from "./backend-to-client/session-calls";
