import { test } from "node:test";
import assert from "node:assert/strict";
import { runSoak } from "./_soak.ts";

test(
  "soak (short): 2000 QoS 1 and 2000 QoS 2 messages through 3 link drops and 3 broker restarts arrive, QoS 2 exactly once",
  { timeout: 120_000 },
  async () => {
    const r = await runSoak({ messages: 2_000, drops: 3, restarts: 3, deadline: 45_000 });
    assert.equal(r.drops, 3);
    assert.equal(r.restarts, 3);
    assert.ok(r.reconnects >= 6, `only ${r.reconnects} reconnects`);
    assert.equal(r.lostQos1, 0, "QoS 1: at least once");
    assert.equal(r.lostQos2, 0, "QoS 2: exactly once (none lost)");
    assert.equal(r.duplicatedQos2, 0, "QoS 2: exactly once (no duplicate)");
  },
);
