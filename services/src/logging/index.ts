export { configureLog, log, setLogDestination } from "./log";
