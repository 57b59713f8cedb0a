export class DiscoveryError extends Error {
  constructor(
    readonly code: "REDIS_UNAVAILABLE" | "ID_CONFLICT" | "NOT_STARTED",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DiscoveryError";
  }
}
