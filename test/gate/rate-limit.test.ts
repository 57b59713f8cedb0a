/** The gate's per-address rate limiter: refill by time, Retry-After, bounded memory, IPv6 per /64. */
import assert from "node:assert/strict";
import { addressKey, AddressRateLimiter } from "../../services/src/gate/rate-limit";

describe("gate: per-address rate limiter", () => {
  it("allows the burst, then one query per 1/perSec, and says when to come back", () => {
    const limiter = new AddressRateLimiter({ perSec: 2, burst: 3, maxAddresses: 10 });
    const verdicts = [0, 0, 0, 0].map(() => limiter.take("203.0.113.9", 1_000));
    assert.deepEqual(verdicts, [{ ok: true }, { ok: true }, { ok: true }, { ok: false, retryAfterSec: 1 }]);
    assert.deepEqual(limiter.take("203.0.113.9", 1_499), { ok: false, retryAfterSec: 1 });
    assert.deepEqual(limiter.take("203.0.113.9", 1_500), { ok: true }, "half a second refills one at 2/s");
    assert.deepEqual(limiter.take("198.51.100.1", 1_500), { ok: true }, "another address has its own bucket");
  });

  it("a flood of addresses never grows the table past maxAddresses, and forgetting only favours the forgotten", () => {
    const limiter = new AddressRateLimiter({ perSec: 1, burst: 1, maxAddresses: 100 });
    for (let i = 0; i < 100_000; i++) limiter.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 0);
    assert.equal(limiter.size, 100);
    // A recently seen address stays limited while the flood goes on.
    const busy = new AddressRateLimiter({ perSec: 0.001, burst: 1, maxAddresses: 3 });
    busy.take("192.0.2.1", 0);
    for (let i = 0; i < 50; i++) {
      assert.equal(busy.take("192.0.2.1", i).ok, false);
      busy.take(`198.51.100.${i}`, i);
    }
  });

  it("counts IPv6 per /64 (one subscriber's block), IPv4-mapped addresses as IPv4", () => {
    assert.equal(addressKey("2001:0db8:0000:0001:0000:0000:0000:0001"), "2001:db8:0:1::/64");
    assert.equal(addressKey("2001:db8:0:1:ffff:1:2:3"), "2001:db8:0:1::/64");
    assert.equal(addressKey("2001:db8::1"), "2001:db8:0:0::/64");
    assert.equal(addressKey("0000:0000:0000:0000:0000:ffff:7f00:0001"), "127.0.0.1");
    assert.equal(addressKey("0000:0000:0000:0000:0000:ffff:c633:6401"), "198.51.100.1", "two IPv4 clients of a dual-stack socket never share a bucket");
    assert.equal(addressKey("::ffff:127.0.0.1"), "127.0.0.1");
    assert.equal(addressKey("203.0.113.9"), "203.0.113.9");
    const limiter = new AddressRateLimiter({ perSec: 1, burst: 1, maxAddresses: 10 });
    assert.equal(limiter.take("2001:db8:0:1::a", 0).ok, true);
    assert.equal(limiter.take("2001:db8:0:1::b", 0).ok, false, "a second address of the same /64 shares the bucket");
  });
});
