import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { ConnectionClosedError, MalformedPacketError, MQTTClient, TimeoutError } from "../../mod.ts";
import type { ClientOptions } from "../../mod.ts";
import { type Conn, CONNACK_OK, type Hostile, rejection, startHostile, within } from "./_server.ts";

const GUARD = 10_000; // hang guard for every await on the client

function client(h: Hostile, options: ClientOptions = {}): MQTTClient {
  return new MQTTClient("hostile", "127.0.0.1", { port: h.port, keepalive: 0, onError: () => {}, ...options });
}

/** Connect `c` through `h`, answering the CONNECT with a plain CONNACK. */
async function connected(h: Hostile, options: ClientOptions = {}): Promise<[MQTTClient, Conn]> {
  const c = client(h, options);
  const conn = h.next();
  const done = c.connect({ timeout: 5000 });
  const s = await conn;
  await s.connect();
  await s.send(CONNACK_OK);
  assert.equal(await within(done, GUARD, "connect"), false);
  return [c, s];
}

function assertMalformed(e: Error, fragment: string): void {
  assert.ok(e instanceof MalformedPacketError, `expected MalformedPacketError, got ${e.name}: ${e.message}`);
  assert.ok(e.message.includes(fragment), `${JSON.stringify(e.message)} lacks ${JSON.stringify(fragment)}`);
}

/** The client closed the TCP connection (the server saw it go). */
async function assertClientClosed(c: MQTTClient, s: Conn): Promise<void> {
  assert.equal(c.connected, false);
  await within(s.closed, GUARD, "the client closing the socket");
}

// --- bad first packets -------------------------------------------------------

for (
  const [name, bytes, fragment] of [
    ["CONNACK with reserved acknowledge flags", "20 02 02 00", "CONNACK acknowledge flags bits 7-1 are reserved"],
    ["CONNACK with reserved header flags", "21 02 00 00", "CONNACK reserved flags must be 0, got 1"],
    ["CONNACK with return code 6", "20 02 00 06", "CONNACK return code 6 is reserved"],
    ["a PINGRESP instead of CONNACK", "d0 00", "Expected CONNACK as the first packet from the broker, got PINGRESP"],
    [
      "a PUBLISH instead of CONNACK",
      "30 03 00 01 61",
      "Expected CONNACK as the first packet from the broker, got PUBLISH",
    ],
    ["unknown packet type 0", "00 00", "Unknown packet type 0"],
    ["a 5-byte remaining length", "20 ff ff ff ff 7f", "more than 4 bytes"],
  ] as const
) {
  test(`connect() rejects with MalformedPacketError and closes on ${name}`, async () => {
    const h = await startHostile();
    try {
      const c = client(h);
      const done = c.connect({ timeout: 5000 });
      const s = await h.next();
      await s.connect();
      await s.send(bytes);
      assertMalformed(await rejection(done, GUARD, "connect"), fragment);
      await assertClientClosed(c, s);
    } finally {
      await h.close();
    }
  });
}

// --- bad packets after CONNACK ------------------------------------------------

test("subscribe() rejects with MalformedPacketError on SUBACK return code 3 and the client closes", async () => {
  const h = await startHostile();
  try {
    const [c, s] = await connected(h);
    const at = s.received.length;
    const sub = c.subscribe("a/+", 1);
    await s.bytes(at + 10); // 82 08 00 01 00 03 61 2f 2b 01
    assert.deepEqual(s.received.slice(at), [0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 0x61, 0x2f, 0x2b, 0x01]);
    await s.send("90 03 00 01 03");
    assertMalformed(await rejection(sub, GUARD, "subscribe"), "SUBACK return code 3 is not 0, 1, 2 or 0x80");
    await assertClientClosed(c, s);
  } finally {
    await h.close();
  }
});

for (
  const [name, bytes, fragment] of [
    ["PUBREL with wrong flags", "60 02 00 01", "PUBREL reserved flags must be 2, got 0"],
    ["PUBLISH with QoS 3", "36 05 00 01 61 00 01", "PUBLISH with QoS 3"],
    ["PUBLISH with a wildcard topic", "30 03 00 01 23", "contains wildcards"],
    ["PUBLISH with invalid UTF-8", "30 03 00 01 ff", "not valid UTF-8"],
    ["a second CONNACK", "20 02 00 00", "Unexpected second CONNACK"],
    ["a SUBSCRIBE (client-to-server packet)", "82 06 00 01 00 01 61 00", "Unexpected SUBSCRIBE from the broker"],
  ] as const
) {
  test(`waitMsg() and pending publish() reject with MalformedPacketError on ${name}`, async () => {
    const h = await startHostile();
    try {
      const [c, s] = await connected(h);
      const wait = c.waitMsg();
      const at = s.received.length;
      const pub = c.publish("t", "x", { qos: 1 });
      await s.bytes(at + 8); // the PUBLISH: 32 06 00 01 74 00 01 78
      await s.send(bytes);
      const e1 = await rejection(wait, GUARD, "waitMsg");
      const e2 = await rejection(pub, GUARD, "publish");
      assertMalformed(e1, fragment);
      assertMalformed(e2, fragment);
      await assertClientClosed(c, s);
      await assert.rejects(c.publish("t", "again"), /./, "calls after the failure must reject");
    } finally {
      await h.close();
    }
  });
}

// --- size bound --------------------------------------------------------------

test("waitMsg() rejects at the header of a 256 MB PUBLISH when maxPacketSize is set, naming the bound", async () => {
  const h = await startHostile();
  try {
    const [c, s] = await connected(h, { maxPacketSize: 1_048_576 });
    const wait = c.waitMsg();
    await s.send("30 ff ff ff 7f"); // the header only: the body never comes
    const e = await rejection(wait, GUARD, "waitMsg");
    assertMalformed(e, "Packet of 268435460 bytes exceeds maxPacketSize 1048576");
    await assertClientClosed(c, s);
  } finally {
    await h.close();
  }
});

test("connect() rejects at the header of an oversize first packet when maxPacketSize is set", async () => {
  const h = await startHostile();
  try {
    const c = client(h, { maxPacketSize: 4096 });
    const done = c.connect({ timeout: 5000 });
    const s = await h.next();
    await s.connect();
    await s.send("20 80 80 01");
    assertMalformed(await rejection(done, GUARD, "connect"), "Packet of 16388 bytes exceeds maxPacketSize 4096");
    await assertClientClosed(c, s);
  } finally {
    await h.close();
  }
});

test("a 256 MB PUBLISH header is refused at the header by the default maxPacketSize (16 MiB)", async () => {
  const h = await startHostile();
  try {
    const [c, s] = await connected(h);
    const wait = c.waitMsg();
    await s.send("30 ff ff ff 7f 00 01 61");
    const e = await rejection(wait, GUARD, "waitMsg");
    assertMalformed(e, "exceeds maxPacketSize 16777216");
    assert.equal(c.connected, false);
  } finally {
    await h.close();
  }
});

test("a 256 MB PUBLISH header admitted by a raised maxPacketSize allocates nothing for it and fails on close", async () => {
  const h = await startHostile();
  try {
    const [c, s] = await connected(h, { maxPacketSize: 268_435_460 });
    const before = process.memoryUsage().rss;
    const wait = c.waitMsg();
    // The spec maximum admits the header: the client waits for the body.
    await s.send("30 ff ff ff 7f 00 01 61");
    await s.send(new Uint8Array(64 * 1024));
    await new Promise((r) => setTimeout(r, 50)); // let the client read what was sent (not a timing assertion)
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 64 * 1024 * 1024, `rss grew by ${grown} bytes for 64 KiB received`);
    s.end();
    const e = await rejection(wait, GUARD, "waitMsg");
    assert.ok(e instanceof ConnectionClosedError, `${e.name}: ${e.message}`);
    assert.equal(c.connected, false);
  } finally {
    await h.close();
  }
});

// --- slowloris and silence ---------------------------------------------------

test("connect() rejects with TimeoutError by its deadline while the CONNACK trickles one byte at a time", async () => {
  const h = await startHostile();
  let trickle: ReturnType<typeof setInterval> | undefined;
  try {
    const c = client(h);
    const done = c.connect({ timeout: 400 });
    const s = await h.next();
    await s.connect();
    const bytes = [0x20, 0x02, 0x00, 0x00];
    let i = 0;
    trickle = setInterval(() => { // one byte every 300 ms: the whole CONNACK would take 1.2 s
      if (i < bytes.length) void s.send(new Uint8Array([bytes[i++]!]));
    }, 300);
    const e = await rejection(done, 5000, "connect");
    assert.ok(e instanceof TimeoutError, `${e.name}: ${e.message}`);
    assert.match(e.message, /400 ms/);
    assert.ok(i < bytes.length, "the CONNACK completed before the deadline: the test proves nothing");
    await assertClientClosed(c, s);
  } finally {
    clearInterval(trickle);
    await h.close();
  }
});

test("waitMsg() rejects with TimeoutError when a PUBLISH trickles and no PINGRESP comes (keepalive 1 s)", async () => {
  const h = await startHostile();
  let trickle: ReturnType<typeof setInterval> | undefined;
  try {
    const [c, s] = await connected(h, { keepalive: 1 });
    const wait = c.waitMsg();
    const bytes = [0x30, 0x7f, ...new Array(127).fill(0x61)];
    let i = 0;
    trickle = setInterval(() => {
      if (i < bytes.length) void s.send(new Uint8Array([bytes[i++]!]));
    }, 100);
    const e = await rejection(wait, 8000, "waitMsg");
    assert.ok(e instanceof TimeoutError, `${e.name}: ${e.message}`);
    assert.match(e.message, /No PINGRESP within/);
    assert.ok(s.received.includes(0xc0), "the client never sent PINGREQ");
    await assertClientClosed(c, s);
  } finally {
    clearInterval(trickle);
    await h.close();
  }
});

test("connect() rejects with TimeoutError by its timeout when the server accepts TCP and never answers", async () => {
  const h = await startHostile();
  try {
    const c = client(h);
    const done = c.connect({ timeout: 300 });
    const s = await h.next();
    const connect = await s.connect();
    assert.equal(connect[0], 0x10, "the client did not send CONNECT");
    const e = await rejection(done, 5000, "connect");
    assert.ok(e instanceof TimeoutError, `${e.name}: ${e.message}`);
    assert.match(e.message, /No CONNACK within 300 ms/);
    await assertClientClosed(c, s);
  } finally {
    await h.close();
  }
});

// --- a flood the client does not read ----------------------------------------

test("a client with no consumer keeps a bounded number of messages, then an endless PUBLISH stream is held back by TCP", async () => {
  const h = await startHostile();
  try {
    const [c, s] = await connected(h);
    const payload = new Uint8Array(16 * 1024).fill(0x78);
    const packet = new Uint8Array(4 + 3 + payload.length);
    packet.set([0x30, 0x83, 0x80, 0x01, 0x00, 0x01, 0x74]); // remaining length 16387
    packet.set(payload, 7);
    const before = process.memoryUsage().rss;
    const LIMIT = 256 * 1024 * 1024;
    let pushed = 0;
    // Keep about 1 MiB queued on the server side; stop once the queue has not moved for 300 ms
    // (the client stopped reading) or at a hard cap that would prove unbounded reading.
    let still = 0;
    let lastQueued = -1;
    while (pushed < LIMIT && still < 15) {
      const queued = s.socket.writableLength;
      if (queued < 1024 * 1024) {
        s.socket.write(packet);
        pushed += packet.length;
        still = 0;
        continue;
      }
      still = queued === lastQueued ? still + 1 : 0;
      lastQueued = queued;
      await new Promise((r) => setTimeout(r, 20));
    }
    const grown = process.memoryUsage().rss - before;
    assert.ok(pushed < 64 * 1024 * 1024, `the server pushed ${pushed} bytes into a client that does not read`);
    assert.ok(grown < 128 * 1024 * 1024, `rss grew by ${grown} bytes`);
    // The client is still usable: the first consumer gets the messages kept for it (at most 100 and
    // what the decoder had in hand), then reading resumes.
    let got = 0;
    c.setCallback((m) => {
      got += m.payload.length;
    });
    const kept = got / payload.length;
    assert.ok(kept >= 1 && kept <= 200 && Number.isInteger(kept), `${kept} messages kept for the first consumer`);
    await within(c.waitMsg(), GUARD, "waitMsg");
    assert.ok(got > kept * payload.length, "reading resumed");
    s.reset();
    await within(c.disconnect().catch(() => {}), GUARD, "disconnect");
  } finally {
    await h.close();
  }
});

// --- abrupt close in the middle of every packet type ----------------------------

const FROM_BROKER: [string, number[]][] = [
  ["CONNACK", [0x20, 0x02, 0x00, 0x00]],
  ["PUBLISH", [0x32, 0x06, 0x00, 0x01, 0x61, 0x00, 0x05, 0x78]],
  ["PUBACK", [0x40, 0x02, 0x00, 0x01]],
  ["PUBREC", [0x50, 0x02, 0x00, 0x01]],
  ["PUBREL", [0x62, 0x02, 0x00, 0x01]],
  ["PUBCOMP", [0x70, 0x02, 0x00, 0x01]],
  ["SUBACK", [0x90, 0x03, 0x00, 0x01, 0x00]],
  ["UNSUBACK", [0xb0, 0x02, 0x00, 0x01]],
  ["PINGRESP", [0xd0, 0x00]],
];

for (const [name, bytes] of FROM_BROKER) {
  for (const how of ["end", "reset"] as const) {
    test(`pending calls reject with ConnectionClosedError on ${how} in the middle of a ${name}`, async () => {
      const h = await startHostile();
      try {
        const cut = Math.max(1, bytes.length >> 1);
        if (name === "CONNACK") {
          const c = client(h);
          const done = c.connect({ timeout: 5000 });
          const s = await h.next();
          await s.connect();
          await s.send(new Uint8Array(bytes.slice(0, cut)));
          if (how === "end") s.end();
          else s.reset();
          const e = await rejection(done, GUARD, "connect");
          assert.ok(e instanceof ConnectionClosedError, `${e.name}: ${e.message}`);
          assert.equal(c.connected, false);
          return;
        }
        const [c, s] = await connected(h);
        const wait = c.waitMsg();
        const pub = c.publish("t", "x", { qos: 1 });
        const sub = c.subscribe("a", 0);
        const ping = c.ping();
        await s.send(new Uint8Array(bytes.slice(0, cut)));
        if (how === "end") s.end();
        else s.reset();
        const errors = await Promise.all([wait, pub, sub, ping].map((p, i) => rejection(p, GUARD, `call ${i}`)));
        for (const e of errors) assert.ok(e instanceof ConnectionClosedError, `${e.name}: ${e.message}`);
        assert.equal(errors[0], errors[1], "connection loss rejects every pending call with one error");
        assert.equal(c.connected, false);
        await assert.rejects(c.publish("t", "x"), ConnectionClosedError);
      } finally {
        await h.close();
      }
    });
  }
}
