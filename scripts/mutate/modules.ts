/**
 * The pure core under mutation testing: each module's source files and the fast unit specs that
 * must kill its mutants. Only these specs run against a module's mutants, so a surviving mutant is
 * a blind spot of that module's own tests, not something a slow end-to-end test happens to catch.
 * The property-based fuzz suites stay out (seconds per mutant); the largest module runs last.
 */
export interface MutationModule {
  readonly mutate: readonly string[];
  readonly spec: readonly string[];
  /** Spec files the globs above match that stay out. */
  readonly ignore?: readonly string[];
}

export const MUTATION_MODULES: Readonly<Record<string, MutationModule>> = {
  routing: {
    mutate: ["services/src/routing/choose-server.ts"],
    spec: ["test/routing/choose-server.test.ts"],
  },
  "batch-builder": {
    mutate: ["services/src/game/batch-builder.ts"],
    spec: ["test/game/batch-builder.test.ts"],
  },
  "tick-backlog": {
    mutate: ["services/src/game/tick-backlog.ts", "services/src/game/unsent-membership.ts"],
    spec: ["test/game/tick-backlog.test.ts"],
  },
  "auth-tokens": {
    mutate: ["services/src/auth/connect-token.ts", "services/src/auth/resume-token.ts"],
    spec: ["test/auth/connect-token.test.ts", "test/auth/resume-token.test.ts"],
  },
  "discovery-view": {
    mutate: ["services/src/discovery/view.ts"],
    spec: ["test/discovery/view.test.ts"],
  },
  "reconcile-plan": {
    mutate: ["services/src/game-creator/reconcile-plan.ts"],
    spec: ["test/game-creator/pure.test.ts"],
  },
  "nginx-config": {
    mutate: ["services/src/proxy/nginx-config.ts", "services/src/proxy/game-routes.ts"],
    spec: ["test/proxy/nginx-config.test.ts", "test/proxy/game-routes.test.ts"],
  },
  "config-validation": {
    mutate: ["services/src/config/validate.ts", "infra/config-schema.ts"],
    // The schema's own spec: test/infra/config.test.ts loads Pulumi to evaluate the program (seconds per static mutant).
    spec: ["test/infra/config-schema.test.ts", "test/config/validate.test.ts"],
  },
  protocol: {
    mutate: ["services/src/protocol/*.ts", "!services/src/protocol/index.ts"],
    spec: ["test/protocol/*.test.ts"],
    // fuzz: seconds per mutant; protobuf: the protobuf/ folder's own spec (not mutated here), the slowest file.
    ignore: ["test/protocol/fuzz.test.ts", "test/protocol/protobuf.test.ts"],
  },
};
