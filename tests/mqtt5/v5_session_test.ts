/**
 * MQTT 5.0 flows with exact bytes over the scripted fake transport: the
 * CONNECT the client sends, the broker's limits applied, reason codes as
 * typed errors, topic aliases both ways, server DISCONNECT, AUTH.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConnectionClosedError, MalformedPacketError, MQTTClient, MQTTException } from "../../mod.ts";
import type { ClientOptions, Message } from "../../mod.ts";
import { encodePacketV5 } from "../../src/codec/encode_v5.ts";
import { PacketDecoderV5 } from "../../src/codec/decode_v5.ts";
import type { PacketV5 } from "../../src/codec/packets_v5.ts";
import { fakeFactory, type FakeTransport, flush, toHex } from "../_fake.ts";

/** Decode what the client wrote. */
function sent(t: FakeTransport): PacketV5[] {
  const d = new PacketDecoderV5();
  for (const w of t.writes) d.feed(w);
  const out: PacketV5[] = [];
  for (let p = d.next(); p; p = d.next()) out.push(p);
  return out;
}

/** A v5 client over a fake broker that answers CONNECT with `connack` and runs `answer` on every later packet. */
async function v5(
  connack: PacketV5,
  options: ClientOptions = {},
  answer?: (p: PacketV5, t: FakeTransport) => void,
): Promise<{ client: MQTTClient; t: FakeTransport }> {
  const f = fakeFactory((t) => {
    t.onWrite = (b) => {
      const d = new PacketDecoderV5();
      d.feed(b);
      const p = d.next()!;
      if (p.type === "connect") t.receive(encodePacketV5(connack));
      else answer?.(p, t);
    };
  });
  const client = new MQTTClient("v5", "h", { transport: f, keepalive: 0, protocolVersion: 5, ...options });
  await client.connect();
  return { client, t: f.transports[0]! };
}

const OK: PacketV5 = { type: "connack", sessionPresent: false, reasonCode: 0 };

test("v5 connect() sends protocol level 5 with the client's limits as CONNECT properties", async () => {
  const { client, t } = await v5(OK, { maxPacketSize: 1 << 20, connectProperties: { userProperties: [["k", "v"]] } });
  assert.equal(toHex(t.writes[0]!).slice(0, 20), "10" + toHex(t.writes[0]!).slice(2, 4) + "00044d5154540502");
  const c = sent(t)[0]!;
  assert.equal(c.type, "connect");
  assert.deepEqual((c as { properties?: unknown }).properties, {
    sessionExpiryInterval: 0,
    receiveMaximum: 65535,
    maximumPacketSize: 1 << 20,
    topicAliasMaximum: 32,
    userProperties: [["k", "v"]],
  });
  await client.disconnect();
});

test("v5 honours the broker's Receive Maximum: never more QoS 1 publishes in flight than it allows", async () => {
  const { client, t } = await v5({ ...OK, properties: { receiveMaximum: 2 } });
  const ps = [1, 2, 3, 4].map((i) => client.publish("t", String(i), { qos: 1 }));
  await flush();
  assert.equal(sent(t).filter((p) => p.type === "publish").length, 2);
  t.receive("40020001");
  await flush();
  assert.equal(sent(t).filter((p) => p.type === "publish").length, 3);
  t.receive("40020002" + "40020003");
  await flush();
  t.receive("40020004");
  await Promise.all(ps);
  await client.disconnect();
});

test("v5 never sends a packet over the broker's Maximum Packet Size: publish() rejects, nothing is written", async () => {
  const { client, t } = await v5({ ...OK, properties: { maximumPacketSize: 64 } });
  const before = t.writes.length;
  await assert.rejects(
    client.publish("t", "x".repeat(100), { qos: 1 }),
    /the packet is 10\d bytes, over the broker's Maximum Packet Size 64/,
  );
  await assert.rejects(client.publish("t", "x".repeat(100)), RangeError);
  assert.equal(t.writes.length, before);
  assert.equal(client.inflight, 0);
  await client.publish("t", "small", { qos: 0 });
  await client.disconnect();
});

test("v5 refuses what the broker said it does not support: retain, QoS above its maximum, wildcards, shared subscriptions", async () => {
  const { client } = await v5({
    ...OK,
    properties: {
      retainAvailable: false,
      maximumQos: 1,
      wildcardSubscriptionAvailable: false,
      sharedSubscriptionAvailable: false,
    },
  });
  await assert.rejects(client.publish("t", "x", { retain: true }), /does not support retained messages/);
  await assert.rejects(client.publish("t", "x", { qos: 2 }), /Maximum QoS is 1/);
  await assert.rejects(client.subscribe("a/#"), /does not support wildcards/);
  await assert.rejects(client.subscribe("$share/g/a"), /does not support shared subscriptions/);
  await client.disconnect();
});

test("v5 acknowledgements with a failure reason code reject with MQTTException carrying the code and reason string", async () => {
  const { client } = await v5(OK, {}, (p, t) => {
    if (p.type === "publish" && p.qos === 1) {
      t.receive(encodePacketV5({
        type: "puback",
        packetId: p.packetId!,
        reasonCode: 0x87,
        properties: { reasonString: "no" },
      }));
    }
    if (p.type === "publish" && p.qos === 2) {
      t.receive(encodePacketV5({ type: "pubrec", packetId: p.packetId!, reasonCode: 0x97 }));
    }
    if (p.type === "subscribe") {
      t.receive(encodePacketV5({ type: "suback", packetId: p.packetId, reasonCodes: [0x8f] }));
    }
    if (p.type === "unsubscribe") {
      t.receive(encodePacketV5({ type: "unsuback", packetId: p.packetId, reasonCodes: [0x87] }));
    }
  });
  await assert.rejects(client.publish("t", "x", { qos: 1 }), (e: unknown) => {
    assert.ok(e instanceof MQTTException);
    assert.equal(e.code, 0x87);
    assert.match(e.message, /Publish to "t" refused by the broker: 0x87 Not authorized \("no"\)/);
    return true;
  });
  await assert.rejects(client.publish("t", "x", { qos: 2 }), /0x97 Quota exceeded/);
  assert.equal(client.inflight, 0, "a refused PUBREC ends the flow");
  await assert.rejects(client.subscribe("a"), /Subscription to "a" refused by the broker: 0x8F Topic Filter invalid/i);
  await assert.rejects(client.unsubscribe("a"), /Unsubscribe from "a" refused by the broker: 0x87 Not authorized/i);
  await client.disconnect();
});

test("v5 resolves inbound topic aliases and refuses an unknown one", async () => {
  const { client, t } = await v5(OK);
  const got: string[] = [];
  client.setCallback((m) => got.push(`${m.topic}=${m.text()}`));
  t.receive(encodePacketV5({
    type: "publish",
    topic: "long/topic",
    payload: new Uint8Array([0x61]),
    qos: 0,
    retain: false,
    dup: false,
    properties: { topicAlias: 3 },
  }));
  t.receive(encodePacketV5({
    type: "publish",
    topic: "",
    payload: new Uint8Array([0x62]),
    qos: 0,
    retain: false,
    dup: false,
    properties: { topicAlias: 3 },
  }));
  await flush();
  assert.deepEqual(got, ["long/topic=a", "long/topic=b"]);
  const it = client.messages();
  t.receive(encodePacketV5({
    type: "publish",
    topic: "",
    payload: new Uint8Array([0x63]),
    qos: 0,
    retain: false,
    dup: false,
    properties: { topicAlias: 4 },
  }));
  await assert.rejects(it.next(), (e: unknown) => e instanceof MalformedPacketError && /alias 4/.test(String(e)));
  assert.deepEqual(sent(t).at(-1), { type: "disconnect", reasonCode: 0x82 }, "DISCONNECT with Protocol Error first");
});

test("v5 an inbound packet over our Maximum Packet Size ends the connection with DISCONNECT 0x95", async () => {
  const { client, t } = await v5(OK, { maxPacketSize: 64 });
  const it = client.messages();
  t.receive("30ff01"); // a PUBLISH of 255 bytes
  await assert.rejects(it.next(), /exceeds maxPacketSize 64/);
  assert.deepEqual(sent(t).at(-1), { type: "disconnect", reasonCode: 0x95 });
});

test("v5 assigns outbound topic aliases per connection when topicAliases is on", async () => {
  const { client, t } = await v5({ ...OK, properties: { topicAliasMaximum: 1 } }, { topicAliases: true });
  await client.publish("a/b", "1");
  await client.publish("a/b", "2");
  await client.publish("c", "3"); // no alias left: full topic
  const pubs = sent(t).filter((p) => p.type === "publish") as { topic: string; properties?: { topicAlias?: number } }[];
  assert.deepEqual(pubs.map((p) => [p.topic, p.properties?.topicAlias]), [["a/b", 1], ["", 1], ["c", undefined]]);
  await client.disconnect();
});

test("v5 server DISCONNECT ends the connection with a typed error naming the reason", async () => {
  const { client, t } = await v5(OK);
  const it = client.messages();
  t.receive(encodePacketV5({ type: "disconnect", reasonCode: 0x8e, properties: { reasonString: "bye" } }));
  await assert.rejects(it.next(), (e: unknown) => {
    assert.ok(e instanceof ConnectionClosedError);
    assert.ok(e.cause instanceof MQTTException && e.cause.code === 0x8e);
    assert.match(e.message, /The broker disconnected: 0x8e Session taken over \("bye"\)/i);
    return true;
  });
});

test("v5 enhanced authentication: the responder answers the broker's AUTH challenge before the CONNACK", async () => {
  const challenges: string[] = [];
  const f = fakeFactory((t) => {
    t.onWrite = (b) => {
      const d = new PacketDecoderV5();
      d.feed(b);
      const p = d.next()!;
      if (p.type === "connect") {
        assert.equal(p.properties?.authenticationMethod, "TOY");
        assert.deepEqual(p.properties?.authenticationData, new TextEncoder().encode("client-first"));
        t.receive(encodePacketV5({
          type: "auth",
          reasonCode: 0x18,
          properties: { authenticationMethod: "TOY", authenticationData: new TextEncoder().encode("nonce-42") },
        }));
      } else if (p.type === "auth") {
        assert.equal(p.reasonCode, 0x18);
        const proof = new TextDecoder().decode(p.properties!.authenticationData);
        t.receive(
          encodePacketV5({ type: "connack", sessionPresent: false, reasonCode: proof === "proof:nonce-42" ? 0 : 0x87 }),
        );
      }
    };
  });
  const client = new MQTTClient("auth", "h", {
    transport: f,
    keepalive: 0,
    protocolVersion: 5,
    auth: {
      method: "TOY",
      data: new TextEncoder().encode("client-first"),
      respond: (data) => {
        const nonce = new TextDecoder().decode(data);
        challenges.push(nonce);
        return new TextEncoder().encode(`proof:${nonce}`);
      },
    },
  });
  assert.equal(await client.connect(), false);
  assert.deepEqual(challenges, ["nonce-42"]);
  await client.disconnect();
});

test("v5 CONNACK refusal is an MQTTException with the v5 reason code and its name", async () => {
  const f = fakeFactory((t) => {
    t.onWrite = () =>
      t.receive(encodePacketV5({
        type: "connack",
        sessionPresent: false,
        reasonCode: 0x86,
        properties: { reasonString: "who are you" },
      }));
  });
  const client = new MQTTClient("r", "h", { transport: f, keepalive: 0, protocolVersion: 5 });
  await assert.rejects(client.connect(), (e: unknown) => {
    assert.ok(e instanceof MQTTException && e.code === 0x86);
    assert.match(e.message, /0x86 Bad User Name or Password \("who are you"\)/i);
    return true;
  });
});

test("v5 Server Keep Alive replaces the client's keepalive; the assigned client id is taken", async () => {
  const { client, t } = await v5({
    ...OK,
    properties: { serverKeepAlive: 1, assignedClientIdentifier: "auto-1" },
  }, {});
  assert.equal(client.server.serverKeepAlive, 1);
  await new Promise((r) => setTimeout(r, 1300));
  assert.ok(t.writtenHex.includes("c000"), "PINGREQ after the broker's 1 s keepalive");
  await client.disconnect();
});

test("v5 publish properties: payloadFormatIndicator 1 checks UTF-8; properties on 3.1.1 are refused", async () => {
  const { client } = await v5(OK);
  await assert.rejects(
    client.publish("t", new Uint8Array([0xff]), { properties: { payloadFormatIndicator: 1 } }),
    /not valid UTF-8/,
  );
  await client.disconnect();
  const v4 = new MQTTClient("v4", "h", { transport: fakeFactory(), keepalive: 0 });
  await assert.rejects(v4.publish("t", "x", { properties: { contentType: "a" } }), /requires protocolVersion: 5/);
});

test("v5 received messages carry their properties and the filters their subscription identifiers name", async () => {
  const { client, t } = await v5(OK, {}, (p, tt) => {
    if (p.type === "subscribe") {
      tt.receive(encodePacketV5({ type: "suback", packetId: p.packetId, reasonCodes: p.subscriptions.map(() => 1) }));
    }
  });
  const got: Message[] = [];
  await client.subscribe("a/#", 1, (m) => got.push(m));
  const subs = sent(t).filter((p) => p.type === "subscribe") as {
    properties?: { subscriptionIdentifiers?: number[] };
  }[];
  const id = subs[0]!.properties!.subscriptionIdentifiers![0]!;
  t.receive(encodePacketV5({
    type: "publish",
    topic: "a/b",
    payload: new Uint8Array([0x61]),
    qos: 0,
    retain: false,
    dup: false,
    properties: { subscriptionIdentifiers: [id], contentType: "text/plain", userProperties: [["x", "y"]] },
  }));
  await flush();
  assert.equal(got[0]!.properties!.contentType, "text/plain");
  assert.deepEqual(got[0]!.properties!.userProperties, [["x", "y"]]);
  assert.deepEqual(got[0]!.subscriptions, ["a/#"]);
  await client.disconnect();
});

test("v5 with reconnect, a refusal retrying cannot fix (0x87) rejects at once; 0x88 Server unavailable is retried", async () => {
  for (const [code, attempts] of [[0x87, 1], [0x88, 3]] as const) {
    let n = 0;
    const f = fakeFactory((t) => {
      const i = n++;
      t.onWrite = () =>
        t.receive(encodePacketV5({ type: "connack", sessionPresent: false, reasonCode: i < 2 ? code : 0 }));
    });
    const client = new MQTTClient("rc", "h", {
      transport: f,
      keepalive: 0,
      protocolVersion: 5,
      reconnect: { minDelay: 1, jitter: 0 },
    });
    const p = client.connect();
    if (code === 0x87) await assert.rejects(p, (e: unknown) => e instanceof MQTTException && e.code === 0x87);
    else assert.equal(await p, false);
    assert.equal(f.transports.length, attempts);
    await client.disconnect();
  }
});

test("v5 resubscribe after a lost session sends each filter with its subscription identifier and user properties", async () => {
  let n = 0;
  const f = fakeFactory((t) => {
    const i = n++;
    t.onWrite = (b) => {
      const d = new PacketDecoderV5();
      d.feed(b);
      const p = d.next()!;
      if (p.type === "connect") t.receive(encodePacketV5(OK));
      if (p.type === "subscribe") {
        t.receive(encodePacketV5({ type: "suback", packetId: p.packetId, reasonCodes: p.subscriptions.map(() => 1) }));
      }
    };
    void i;
  });
  const client = new MQTTClient("rs", "h", {
    transport: f,
    keepalive: 0,
    protocolVersion: 5,
    reconnect: { minDelay: 1, jitter: 0 },
  });
  await client.connect();
  await client.subscribe("a/#", { qos: 1, userProperties: [["u", "1"]] });
  await client.subscribe("b", { qos: 0, noLocal: true });
  f.transports[0]!.end();
  await new Promise((r) => setTimeout(r, 30));
  const subs = sent(f.transports[1]!).filter((p) => p.type === "subscribe") as {
    subscriptions: { topic: string; noLocal?: boolean }[];
    properties?: { subscriptionIdentifiers?: number[]; userProperties?: [string, string][] };
  }[];
  assert.deepEqual(
    subs.map((s) => [s.subscriptions[0]!.topic, s.properties?.subscriptionIdentifiers, s.properties?.userProperties]),
    [["a/#", [1], [["u", "1"]]], ["b", [2], undefined]],
  );
  assert.equal(subs[1]!.subscriptions[0]!.noLocal, true);
  await client.disconnect();
});

test("3.1.1 refuses MQTT 5.0 arguments before changing anything: disconnect({ reasonCode }), will properties, 5.0 options", async () => {
  const f = fakeFactory((t) => {
    t.onWrite = (b) => {
      if (b[0] === 0x10) t.receive("20020000");
    };
  });
  const client = new MQTTClient("v4", "h", { transport: f, keepalive: 0 });
  await client.connect();
  await assert.rejects(client.disconnect({ reasonCode: 4 }), /requires protocolVersion: 5/);
  assert.equal(client.state, "connected", "still connected");
  assert.throws(
    () => client.setLastWill("w", "x", { properties: { contentType: "a" } }),
    /will properties: requires protocolVersion: 5/,
  );
  await client.disconnect();
  assert.equal(f.transports.length, 1);
  await client.connect();
  assert.equal(f.transports[1]!.writes[0]![9]! & 0x04, 0, "the refused will was not stored: no will flag");
  await client.disconnect();
  assert.throws(() => new MQTTClient("v4", "h", { sessionExpiryInterval: 10 }), /sessionExpiryInterval option/);
  assert.throws(() => new MQTTClient("v4", "h", { topicAliases: true }), /topicAliases option/);
});
