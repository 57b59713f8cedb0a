/**
 * Redis key layout. Every key carries the same `{namespace}` hash tag so the scripts that
 * touch several keys stay in one slot on Redis Cluster too.
 */
export interface DiscoveryKeys {
  /** Prefix of member records: `<memberPrefix><id>` holds the JSON ServerInfo with a PX TTL. */
  readonly memberPrefix: string;
  /** Sorted set of member ids scored by lease expiry (Redis server time, ms). */
  readonly index: string;
  /** Pub/sub channel; a message is only a hint to resync. */
  readonly changedChannel: string;
}

export function discoveryKeys(namespace: string): DiscoveryKeys {
  const tag = `{${namespace}}`;
  return {
    memberPrefix: `${tag}:discovery:member:`,
    index: `${tag}:discovery:index`,
    changedChannel: `${tag}:discovery:changed`,
  };
}
