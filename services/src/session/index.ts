export { Session, type BackendBinding } from "./session";
