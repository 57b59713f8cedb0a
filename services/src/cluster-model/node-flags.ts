/**
 * Node's flags per server role, as production runs them. Every process of the image gets
 * IMAGE_NODE_OPTIONS (`ENV NODE_OPTIONS` in services/Dockerfile, held equal by
 * test/infra/dockerfile.test.ts); a role in ROLE_NODE_ARGS also gets its own on its container's
 * command line (Node refuses most V8 flags in NODE_OPTIONS). `npm run bench:broadcast` runs each
 * server the same way. Measured in docs/benchmarks.md, "Memory".
 */

/**
 * Semi-spaces of 4 MB instead of V8's 16: RSS no longer carries tens of MB of nursery, while a
 * tick's burst of garbage still dies young (1 MB cost a game server ~70 % more CPU per per-player
 * message for no RSS gained).
 */
export const IMAGE_NODE_OPTIONS = "--max-semi-space-size=4";

/**
 * A connector holds thousands of sockets and little else: `--optimize-for-size` keeps its heap near
 * what is live (RSS 77–81 MB against 101–107 MB at 2,000 per-player clients). A game server is
 * left out: the same flag cost it 2.5× the CPU for 5 MB.
 */
export const ROLE_NODE_ARGS: Readonly<Record<string, readonly string[]>> = {
  connector: ["--optimize-for-size"],
};

export function nodeArgsFor(role: string): readonly string[] {
  return ROLE_NODE_ARGS[role] ?? [];
}
