import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { FileStore, MemoryStore } from "../../src/store/mod.ts";
import { crc32 } from "../../src/store/_log.ts";
import type { StoreChange } from "../../src/store/types.ts";
import { EVERY_CHANGE, EVERY_STATE, pkt, randomChanges, rng, tempDir } from "./_util.ts";

const EMPTY = { outgoing: [], queued: [], incoming: [], lastPacketId: 0 };

/** Open `path`, load it, run `fn`, close. */
function using<T>(path: string, fn: (s: FileStore) => T, options = {}): T {
  const s = new FileStore(path, options);
  try {
    s.load();
    return fn(s);
  } finally {
    s.close();
  }
}

test("FileStore.load() creates a missing file holding only the header", () => {
  const t = tempDir();
  try {
    const path = `${t.dir}/s.log`;
    assert.deepEqual(using(path, (s) => s.load()), EMPTY);
    assert.deepEqual([...readFileSync(path)], [0x55, 0x4d, 0x51, 0x53, 1]);
    writeFileSync(`${t.dir}/empty.log`, ""); // e.g. made by mktemp: a new store too
    assert.deepEqual(using(`${t.dir}/empty.log`, (s) => s.load()), EMPTY);
  } finally {
    t.dispose();
  }
});

test("FileStore keeps every change type, v5 properties and data across a reopen", () => {
  const t = tempDir();
  try {
    const path = `${t.dir}/s.log`;
    using(path, (s) => {
      for (const c of EVERY_CHANGE) s.commit([c]);
      s.stage(new Uint8Array([1, 2]));
      s.commit([]);
    });
    using(path, (s) => {
      assert.deepEqual(s.load(), EVERY_STATE);
      assert.deepEqual(s.data, new Uint8Array([1, 2]));
    });
  } finally {
    t.dispose();
  }
});

test("FileStore matches MemoryStore over random commits, with compaction and reopens (sync on and off)", () => {
  for (const sync of [true, false]) {
    const t = tempDir();
    try {
      const path = `${t.dir}/s.log`;
      const r = rng(sync ? 1 : 2);
      const model = new MemoryStore();
      const next = { key: 0, id: 0 };
      let file = new FileStore(path, { sync, compactAt: 4096 });
      file.load();
      let shrank = 0;
      for (let i = 0; i < 600; i++) {
        const changes = randomChanges(r, model.load(), next);
        if (r() < 0.2) {
          const data = new Uint8Array([i & 0xff, i >> 8]);
          model.stage(data);
          file.stage(data);
        }
        const before = statSync(path).size;
        model.commit(changes);
        file.commit(changes);
        if (statSync(path).size < before) shrank++;
        if (i % 50 === 49) {
          file.close();
          file = new FileStore(path, { sync, compactAt: 4096 });
        }
        assert.deepEqual(file.load(), model.load(), `commit ${i}`);
        assert.deepEqual(file.data, model.data);
      }
      file.close();
      assert.ok(shrank > 0, "the log was compacted");
      assert.ok(statSync(path).size < 3 * 4096 + 2 * 70_000, `the log stays small: ${statSync(path).size}`);
    } finally {
      t.dispose();
    }
  }
});

test("FileStore.load() drops a torn last record, cut at every byte, and the next commit follows the valid prefix", () => {
  const t = tempDir();
  try {
    const path = `${t.dir}/s.log`;
    const first: StoreChange[] = [{ type: "publish", id: 1, packet: pkt("a", "1") }, { type: "received", id: 2 }];
    const last: StoreChange[] = [{ type: "pubrel", id: 1 }, { type: "queue", key: 0, packet: pkt("q", "2") }];
    const next: StoreChange[] = [{ type: "released", id: 2 }];
    using(path, (s) => s.commit(first));
    const valid = statSync(path).size;
    using(path, (s) => {
      s.stage(new Uint8Array([7]));
      s.commit(last);
    });
    const whole = readFileSync(path);
    const expected = new MemoryStore();
    expected.commit(first);
    const then = new MemoryStore();
    then.commit(first);
    then.commit(next);
    for (let cut = valid; cut < whole.length; cut++) {
      writeFileSync(path, whole.subarray(0, cut));
      using(path, (s) => {
        assert.deepEqual(s.load(), expected.load(), `cut at ${cut}`);
        assert.equal(s.data, null, `cut at ${cut}: the data goes with its record`);
        assert.equal(statSync(path).size, valid, `cut at ${cut}: the torn tail is truncated`);
        s.commit(next);
      }, { sync: false });
      assert.deepEqual(using(path, (s) => s.load()), then.load(), `cut at ${cut}: the next commit is read back`);
    }
  } finally {
    t.dispose();
  }
});

test("FileStore.load() drops a record with a flipped byte (CRC) and everything after it", () => {
  const t = tempDir();
  try {
    const path = `${t.dir}/s.log`;
    const sizes: number[] = [];
    using(path, (s) => {
      for (const id of [1, 2, 3]) {
        s.commit([{ type: "received", id }]);
        sizes.push(statSync(path).size);
      }
    });
    const bytes = readFileSync(path);
    bytes[sizes[0]! + 6]! ^= 1; // inside the second record's body
    writeFileSync(path, bytes);
    using(path, (s) => {
      assert.deepEqual(s.load().incoming, [1]);
      s.commit([{ type: "received", id: 4 }]);
    });
    assert.deepEqual(using(path, (s) => s.load().incoming), [1, 4]);
  } finally {
    t.dispose();
  }
});

test("FileStore.load() refuses a file that is not a session log, or a corrupt record, and leaves it untouched", () => {
  const t = tempDir();
  try {
    const path = `${t.dir}/notes.txt`;
    writeFileSync(path, "hello world");
    assert.throws(
      () => new FileStore(path).load(),
      /Cannot load FileStore ".*notes\.txt": Not a umqtt session log: expected the header "UMQS" 01, got bytes \[68 65 6c 6c 6f\]/,
    );
    assert.equal(readFileSync(path, "utf8"), "hello world");
    writeFileSync(path, new Uint8Array([0x55, 0x4d, 0x51, 0x53, 9]));
    assert.throws(() => new FileStore(path).load(), /format version 9/);

    const log = `${t.dir}/s.log`;
    using(log, (s) => s.commit([{ type: "received", id: 1 }]));
    const bytes = readFileSync(log);
    bytes[10] = 0; // the change type; fix the CRC so this is not a torn write
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(bytes.length - 4, crc32(bytes, 6, bytes.length - 4), true);
    writeFileSync(log, bytes);
    assert.throws(
      () => new FileStore(log).load(),
      /Corrupt session log: the record at byte 5 .*change type 0 at byte 10/,
    );
    assert.deepEqual(readFileSync(log), bytes);
  } finally {
    t.dispose();
  }
});

test("FileStore compaction keeps the state and data identical and shrinks the file", () => {
  const t = tempDir();
  try {
    const path = `${t.dir}/s.log`;
    const model = new MemoryStore();
    const sizes: number[] = [];
    using(path, (s) => {
      const both = (changes: StoreChange[], data?: Uint8Array): void => {
        if (data) (s.stage(data), model.stage(data));
        s.commit(changes);
        model.commit(changes);
        sizes.push(statSync(path).size);
      };
      both([{ type: "publish", id: 1, packet: pkt("keep", "k", { qos: 2 }) }, { type: "received", id: 77 }]);
      both([{ type: "pubrel", id: 1 }, { type: "queue", key: 1, packet: pkt("q") }], new Uint8Array([42]));
      for (let id = 2; id < 200; id++) {
        both([{ type: "publish", id, packet: pkt("t", "x".repeat(100)) }]);
        both([{ type: "acked", id }]);
      }
      assert.deepEqual(s.load(), model.load());
    }, { compactAt: 8192 });
    const drops = sizes.filter((n, i) => i > 0 && n < sizes[i - 1]!).length;
    assert.ok(drops >= 3, `compacted ${drops} times`);
    assert.ok(Math.max(...sizes) < 8192 + 400, `never far past compactAt: ${Math.max(...sizes)}`);
    assert.ok(!existsSync(`${path}.tmp`));
    using(path, (s) => {
      assert.deepEqual(s.load(), model.load());
      assert.equal(s.load().lastPacketId, 199, "kept though its message was acked");
      assert.deepEqual(s.data, new Uint8Array([42]), "data survives compaction");
    });
  } finally {
    t.dispose();
  }
});

test("FileStore does not compact when the live state is most of the file", () => {
  const t = tempDir();
  try {
    const path = `${t.dir}/s.log`;
    using(path, (s) => {
      let last = 0;
      for (let key = 0; key < 100; key++) {
        s.commit([{ type: "queue", key, packet: pkt("q", "x".repeat(100)) }]);
        const size = statSync(path).size;
        assert.ok(size > last, "never rewritten: every record is live");
        last = size;
      }
    }, { compactAt: 1024 });
  } finally {
    t.dispose();
  }
});

test("FileStore.load() deletes a leftover .tmp from an interrupted compaction and ignores it", () => {
  const t = tempDir();
  try {
    const path = `${t.dir}/s.log`;
    using(path, (s) => s.commit([{ type: "received", id: 5 }]));
    writeFileSync(`${path}.tmp`, new Uint8Array([0x55, 0x4d, 0x51, 0x53, 1, 0xa1, 3, 0]));
    assert.deepEqual(using(path, (s) => s.load().incoming), [5]);
    assert.ok(!existsSync(`${path}.tmp`));
  } finally {
    t.dispose();
  }
});

test("FileStore.stage() data is written only with a commit, atomically with its changes", () => {
  const t = tempDir();
  try {
    const path = `${t.dir}/s.log`;
    using(path, (s) => {
      s.stage(new Uint8Array([1]));
      assert.equal(s.data, null);
    }); // closed without a commit: the staged data is not kept
    assert.equal(using(path, (s) => s.data), null);
    using(path, (s) => {
      s.stage(new Uint8Array([2]));
      assert.throws(() => s.commit([{ type: "acked", id: 0 }]), RangeError); // a failed commit writes nothing
      assert.equal(s.data, null);
      s.commit([{ type: "received", id: 1 }]); // the staged data goes with the next commit that succeeds
      assert.deepEqual(s.data, new Uint8Array([2]));
    });
    using(path, (s) => {
      assert.deepEqual(s.load().incoming, [1]);
      assert.deepEqual(s.data, new Uint8Array([2]));
    });
  } finally {
    t.dispose();
  }
});

test("FileStore.commit([]) with nothing staged does not touch the file", () => {
  const t = tempDir();
  try {
    const path = `${t.dir}/s.log`;
    using(path, (s) => {
      s.commit([{ type: "received", id: 1 }]);
      const before = readFileSync(path);
      for (let i = 0; i < 10; i++) s.commit([]);
      assert.deepEqual(readFileSync(path), before);
    });
  } finally {
    t.dispose();
  }
});

test("FileStore refuses commit before load() and after close(); close() is idempotent; a new FileStore reopens", () => {
  const t = tempDir();
  try {
    const path = `${t.dir}/s.log`;
    const s = new FileStore(path);
    assert.throws(() => s.commit([]), /Cannot commit to FileStore ".*s\.log" before load\(\)/);
    assert.equal(existsSync(path), false, "nothing created before load()");
    s.load();
    s.commit([{ type: "received", id: 1 }]);
    assert.deepEqual(s.load().incoming, [1], "a second load() returns the session as it is now");
    s.close();
    s.close();
    assert.throws(
      () => s.commit([{ type: "received", id: 2 }]),
      /Cannot commit to FileStore ".*s\.log": it is closed/,
    );
    assert.throws(() => s.load(), /Cannot load FileStore ".*s\.log": it is closed/);
    assert.deepEqual(using(path, (r) => r.load().incoming), [1]);
  } finally {
    t.dispose();
  }
});

test("new FileStore() refuses bad arguments, naming them and quoting the value", () => {
  assert.throws(() => new FileStore(""), /TypeError: FileStore path must be a non-empty string, got ""/);
  assert.throws(() => new FileStore(3 as unknown as string), /TypeError: FileStore path .* got 3/);
  assert.throws(
    () => new FileStore("a", { sync: "yes" as unknown as boolean }),
    /TypeError: sync must be a boolean, got "yes"/,
  );
  for (const bad of [-1, 1.5, NaN, "1"]) {
    assert.throws(
      () => new FileStore("a", { compactAt: bad as number }),
      (e: Error) =>
        e instanceof RangeError && e.message.startsWith("compactAt must be") &&
        e.message.endsWith(typeof bad === "string" ? `"${bad}"` : String(bad)),
    );
  }
});
