export { Session, type BackendBinding } from "./session";
export { SessionRegistry } from "./registry";
