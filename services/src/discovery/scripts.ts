/**
 * Lua run atomically inside Redis. Expiry scores use Redis' own clock (TIME), so server
 * clock skew can neither keep a dead member alive nor expire a live one.
 */

/**
 * Writes this process' lease unless another incarnation holds the id.
 * KEYS: member key, index. ARGV: id, incarnation, record JSON, ttlMs, channel, replaceable incarnation ('' for none).
 * Returns {'ok', created(0|1)} or {'conflict', heldRecord}.
 */
export const CLAIM_LEASE = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, held = pcall(cjson.decode, current)
  local heldIncarnation = ok and type(held) == 'table' and held['incarnation'] or ''
  if heldIncarnation ~= ARGV[2] and heldIncarnation ~= ARGV[6] then
    return {'conflict', current}
  end
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
local now = redis.call('TIME')
local expiry = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[4])
redis.call('ZADD', KEYS[2], expiry, ARGV[1])
if current ~= ARGV[3] then
  redis.call('PUBLISH', ARGV[5], ARGV[1])
end
return {'ok', current and 0 or 1}
`;

/**
 * Removes this process' lease, only if it still holds it.
 * KEYS: member key, index. ARGV: id, incarnation, channel. Returns 1 if removed.
 */
export const RELEASE_LEASE = `
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
local ok, held = pcall(cjson.decode, current)
if ok and type(held) == 'table' and held['incarnation'] == ARGV[2] then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('PUBLISH', ARGV[3], ARGV[1])
  return 1
end
return 0
`;

/**
 * The full membership: drops expired index entries, returns the live records.
 * KEYS: index. ARGV: member key prefix.
 */
export const SNAPSHOT = `
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowMs)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local records = {}
for _, id in ipairs(ids) do
  local record = redis.call('GET', ARGV[1] .. id)
  if record then
    table.insert(records, record)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return records
`;
