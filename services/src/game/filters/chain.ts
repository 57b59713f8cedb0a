/**
 * Runs a request through its filters: filter i's `before`, then its `around` wrapping filters
 * i+1… and the handler, then its `after` with the outcome. The game's filters come first (outer),
 * then the route's.
 */
import type { HandlerContext, HandlerFilter, HandlerOutcome } from "../api";

export function runFiltered<S>(filters: readonly HandlerFilter<S>[], ctx: HandlerContext<S>, handler: () => Promise<unknown>): Promise<unknown> {
  const run = async (index: number): Promise<unknown> => {
    const filter = filters[index];
    if (filter === undefined) return handler();
    await filter.before?.(ctx);
    const inner = () => run(index + 1);
    let outcome: HandlerOutcome;
    try {
      outcome = { ok: true, result: await (filter.around === undefined ? inner() : filter.around(ctx, inner)) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    filter.after?.(ctx, outcome);
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  };
  return run(0);
}
