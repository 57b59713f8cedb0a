/** The gate's HTTP entry query (`GET /entry`), as the client SDK asks it. */
import { PomonaError } from "./errors";

export interface Entry {
  readonly url: string;
  readonly connectorId: string;
  readonly host: string;
  readonly port: number;
}

export interface EntryQuery {
  readonly uid?: string;
  readonly resume?: string;
  readonly avoid?: string;
}

export type FetchLike = (url: string, init?: { signal?: AbortSignal; headers?: Record<string, string> }) => Promise<{ status: number; json(): Promise<unknown> }>;

/** `credentials` (a studio JWT, a session ticket) travels as `Authorization: Bearer`, never in the URL. */
export async function queryGate(gateUrl: string, query: EntryQuery, credentials: string | undefined, fetchImpl: FetchLike, timeoutMs: number): Promise<Entry> {
  const url = new URL("/entry", gateUrl);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let status: number;
  let body: Record<string, unknown>;
  try {
    const response = await fetchImpl(url.toString(), { signal: abort.signal, ...(credentials === undefined ? {} : { headers: { Authorization: `Bearer ${credentials}` } }) });
    status = response.status;
    body = ((await response.json()) ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new PomonaError(abort.signal.aborted ? "TIMEOUT" : "UNREACHABLE", `gate ${gateUrl} did not answer: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  if (status !== 200 || typeof body.url !== "string" || typeof body.connectorId !== "string") {
    throw new PomonaError("GATE", `gate refused the entry query (${status}${typeof body.error === "string" ? ` ${body.error}` : ""}): ${String(body.message ?? "no message")}`, { status, ...(typeof body.error === "string" ? { serverCode: body.error } : {}) });
  }
  return { url: body.url, connectorId: body.connectorId, host: String(body.host), port: Number(body.port) };
}
