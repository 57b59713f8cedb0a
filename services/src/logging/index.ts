export { configureLog, log } from "./log";
