/**
 * The cluster model: every name, label, port, uid, securityContext and probe Pomona's objects share,
 * and the builders of a game's and a worker's objects, as pure functions of plain data. The stacks
 * (`infra/`) and the game-creator's Kubernetes backend are adapters over it.
 */
export * from "./game";
export * from "../game-types";
export * from "./kube-objects";
export * from "./labels";
export * from "./names";
export * from "./node-flags";
export * from "./pod";
export * from "./ports";
export * from "./probes";
export * from "./security";
export * from "./server-workload";
export * from "./worker";
export * from "./settings";
