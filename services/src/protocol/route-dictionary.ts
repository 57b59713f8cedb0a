import { ProtocolError } from "./errors";
import { isJsonObject } from "./json";

/** A plain route is sent as 1 length byte + UTF-8. */
export const MAX_ROUTE_BYTES = 255;
/** A compressed route is a 2-byte code; 0 is never assigned because Pomelo clients treat it as "no code". */
export const MIN_ROUTE_CODE = 1;
export const MAX_ROUTE_CODE = 0xffff;

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Route compression: both directions between route strings and 2-byte codes. The server sends the
 * route→code form in the handshake (`sys.dict`); clients then send and receive codes.
 */
export class RouteDictionary {
  private readonly routesByCode = new Map<number, string>();

  private constructor(private readonly codesByRoute: ReadonlyMap<string, number>) {
    for (const [route, code] of codesByRoute) {
      assertRoute(route);
      if (!Number.isInteger(code) || code < MIN_ROUTE_CODE || code > MAX_ROUTE_CODE) {
        throw new ProtocolError("BAD_DICTIONARY", `route code for "${route}" must be an integer in [1, 65535]`);
      }
      const holder = this.routesByCode.get(code);
      if (holder !== undefined) {
        throw new ProtocolError("BAD_DICTIONARY", `routes "${holder}" and "${route}" share code ${code}`);
      }
      this.routesByCode.set(code, route);
    }
  }

  /**
   * Codes 1..n in sorted route order, duplicates ignored — Pomelo's rule, so every server that
   * knows the same routes derives the same codes whatever order it listed them in.
   */
  static fromRoutes(routes: Iterable<string>): RouteDictionary {
    const sorted = [...new Set(routes)].sort();
    if (sorted.length > MAX_ROUTE_CODE) {
      throw new ProtocolError("BAD_DICTIONARY", `${sorted.length} routes exceed the ${MAX_ROUTE_CODE} codes available`);
    }
    return new RouteDictionary(new Map(sorted.map((route, index) => [route, index + MIN_ROUTE_CODE])));
  }

  /** From the handshake's route→code object (validated: it may come off the wire). */
  static fromHandshakeDict(dict: Readonly<Record<string, number>>): RouteDictionary {
    if (!isJsonObject(dict)) {
      throw new ProtocolError("BAD_DICTIONARY", "a handshake dict must be an object of route to code");
    }
    return new RouteDictionary(new Map(Object.entries(dict)));
  }

  get size(): number {
    return this.codesByRoute.size;
  }

  codeOf(route: string): number | undefined {
    return this.codesByRoute.get(route);
  }

  routeOf(code: number): string | undefined {
    return this.routesByCode.get(code);
  }

  /** The `sys.dict` object of the handshake response. */
  toHandshakeDict(): Record<string, number> {
    return Object.fromEntries(this.codesByRoute);
  }
}

/** Dictionary routes must also be sendable plain and survive a UTF-8 round trip unchanged. */
function assertRoute(route: string): void {
  if (route.length === 0) {
    throw new ProtocolError("BAD_DICTIONARY", "a dictionary route must not be empty");
  }
  if (Buffer.byteLength(route, "utf8") > MAX_ROUTE_BYTES) {
    throw new ProtocolError("BAD_DICTIONARY", `dictionary route "${route.slice(0, 40)}…" exceeds ${MAX_ROUTE_BYTES} UTF-8 bytes`);
  }
  if (LONE_SURROGATE.test(route)) {
    throw new ProtocolError("BAD_DICTIONARY", "a dictionary route must not contain lone UTF-16 surrogates");
  }
}
