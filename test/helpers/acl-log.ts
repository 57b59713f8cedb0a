/** Every role ran as its own ACL user (services/src/redis/acl.ts): Redis logged no refused command, key or channel. */
import assert from "node:assert/strict";
import { createRedisClient } from "../../services/src/redis";

export async function assertNoAclDenial(adminRedisUrl: string): Promise<void> {
  const admin = createRedisClient({ url: adminRedisUrl });
  await admin.connect();
  try {
    assert.deepEqual(await admin.call("ACL", "LOG"), [], "no ACL denial in Redis");
  } finally {
    admin.disconnect();
  }
}
