/**
 * The protocol engine of one client: packet ids, in-flight messages,
 * acknowledgement waiters, keepalive, offline queue, and dispatch of
 * received packets. It talks to the network only through a
 * {@linkcode Transport} and to time only through a {@linkcode Clock}, so
 * every flow is testable with fakes.
 *
 * Reading is driven by demand: packets are processed while somebody waits
 * for one (an acknowledgement, a PINGRESP, `waitMsg`, a `messages()`
 * iterator with room, or the background loop). With no demand the session
 * reads ahead only until one whole packet is buffered, and while it is
 * paused (a full `messages()` buffer) it reads nothing, so a slow consumer
 * applies TCP backpressure instead of growing memory.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";
import { show } from "./codec/_show.ts";
import { MAX_PACKET_ID } from "./codec/constants.ts";
import { PacketDecoder } from "./codec/decode.ts";
import { encodeConnect, encodePacket, encodePublish, encodePublishHeader } from "./codec/encode.ts";
import { ConnectionClosedError, MalformedPacketError, MQTTException, TimeoutError } from "./codec/errors.ts";
import type { ConnectPacket, Packet, PublishPacket, QoS } from "./codec/packets.ts";
import type { ConnackPacketV5, PacketV5, PublishPacketV5 } from "./codec/packets_v5.ts";
import type { AuthProperties, ConnackProperties, DisconnectProperties } from "./codec/properties.ts";
import type { SessionStore, StoreChange, StoredSession } from "./store/types.ts";
import type { Transport } from "./transport/types.ts";

/** Options for {@linkcode Session}. */
export interface SessionOptions {
  /**
   * Called for every PUBLISH delivered (once per message for QoS 2). For
   * QoS 1/2, `inbound` is the message's acknowledgement: it is sent when
   * `onMessage` has returned and every {@linkcode Session.hold} on it was
   * matched by a {@linkcode Session.release}, in the order the messages
   * arrived [MQTT-4.6.0-2].
   */
  onMessage: (packet: PublishPacket, inbound: Inbound | null) => void;
  /** Called with errors nobody is waiting for (a throwing callback outside `waitMsg`). */
  onError?: ((error: unknown) => void) | undefined;
  /** Called once each time a connection ends, with the reason. */
  onClose?: ((error: Error) => void) | undefined;
  /**
   * Time source for every timer.
   *
   * @default {systemClock}
   */
  clock?: Clock | undefined;
  /**
   * Largest incoming packet accepted, in bytes; a bigger one closes the
   * connection with `MalformedPacketError` as soon as its header arrives.
   * Raise it (up to 268435460) to receive larger messages.
   * @default {16777216}
   */
  maxPacketSize?: number | undefined;
  /**
   * Send PINGREQ automatically when nothing was sent, or nothing was
   * received, for `keepalive` seconds.
   *
   * @default {true}
   */
  autoKeepalive?: boolean | undefined;
  /**
   * How long to wait for PINGRESP before declaring the link dead (ms).
   *
   * @default {Math.min(keepalive * 1000, 30000)}
   */
  pingTimeout?: number | undefined;
  /**
   * Largest topic alias accepted from the broker (MQTT 5.0; sent in
   * CONNECT as Topic Alias Maximum).
   *
   * @default {0}
   */
  topicAliasMaximum?: number | undefined;
  /**
   * Most QoS 1/2 publishes awaiting acknowledgement at once. Keep it at or
   * below the broker's receive maximum (mosquitto's `max_inflight_messages`,
   * 20 by default): beyond it mosquitto acknowledges QoS 1 messages from
   * MQTT 3.1.1 clients without delivering them.
   * @default {20}
   */
  maxInflight?: number | undefined;
  /**
   * Deadline for each acknowledgement (PUBACK, PUBCOMP, SUBACK, UNSUBACK,
   * PINGRESP), in ms; 0 = none.
   *
   * @default {0}
   */
  commandTimeout?: number | undefined;
}

/**
 * The wire format of one protocol version: encoders and a decoder
 * factory. MQTT 3.1.1's is built in; MQTT 5.0's (`./_v5.ts`) is loaded
 * only by clients that ask for it, so 3.1.1 programs do not carry it.
 */
export interface Wire {
  /** 4 (MQTT 3.1.1) or 5 (MQTT 5.0). */
  readonly version: 4 | 5;
  /** Encode a CONNECT. */
  encodeConnect(p: ConnectPacket): Uint8Array;
  /** Encode a PUBLISH (the topic's bytes when already encoded). */
  encodePublish(p: PublishPacket, topicBytes?: Uint8Array): Uint8Array;
  /** Encode any other packet. */
  encodePacket(p: Packet | PacketV5): Uint8Array;
  /** A decoder for packets from the broker. */
  decoder(maxPacketSize: number): PacketDecoder<Packet | PacketV5>;
  /** A reason code's description, e.g. `0x87 Not authorized`. */
  describe(code: number): string;
}

const WIRE_V4: Wire = {
  version: 4,
  encodeConnect,
  encodePublish,
  encodePacket: (p) => encodePacket(p as Packet),
  decoder: (maxPacketSize) => new PacketDecoder({ maxPacketSize }),
  describe: (code) => `code ${code}`,
};

/**
 * Answers an AUTH challenge from the broker (MQTT 5.0 enhanced
 * authentication): gets the broker's Authentication Data and reason code
 * (0x18, continue), returns the data to send back.
 *
 * @example A challenge-response step
 * ```ts
 * import type { AuthResponder } from "./session.ts";
 * const respond: AuthResponder = (challenge) => new TextEncoder().encode(`proof-of:${challenge?.length ?? 0}`);
 * console.log(typeof respond); // "function"
 * ```
 */
export type AuthResponder = (
  data: Uint8Array | undefined,
  reasonCode: number,
) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

/** What to do with publishes made while the connection is down and a reconnect is expected. */
export interface OfflinePolicy {
  /** Most messages queued while offline. */
  maxQueued: number;
  /** QoS 0 while offline: reject the call, or queue like QoS 1/2. */
  qos0: "reject" | "queue";
}

/**
 * Per-call cancellation, accepted by `publish`, `subscribe`, `unsubscribe`,
 * `ping` and `waitMsg`.
 *
 * @example Give up waiting for an acknowledgement after 5 seconds
 * ```ts
 * import type { CallOptions } from "./session.ts";
 * const options: CallOptions = { signal: AbortSignal.timeout(5000) };
 * console.log(options.signal?.aborted); // false
 * ```
 */
export interface CallOptions {
  /**
   * Aborts the call: it rejects with the signal's reason (an `Error`
   * naming the call if the reason is not an `Error`). A QoS 1/2
   * message already sent is not abandoned: only the caller stops waiting.
   * The session keeps its packet id and finishes the flow (PUBREL after
   * PUBREC, a DUP resend on resume) [MQTT-4.4.0-1], so its slot stays
   * taken until the broker acknowledges it. When absent, only
   * `commandTimeout` (if set) or a lost connection ends the wait.
   */
  signal?: AbortSignal | undefined;
}

/**
 * A received QoS 1/2 message whose PUBACK/PUBREC is not sent yet: it goes
 * out once nobody holds the message any more, in arrival order.
 */
export interface Inbound {
  /** The packet identifier to acknowledge. */
  readonly id: number;
  /** 1 (PUBACK) or 2 (PUBREC). */
  readonly qos: 1 | 2;
  /** The connection it arrived on; acknowledgements of a closed connection are void. */
  readonly gen: number;
  /** Consumers still holding it (the dispatch itself counts as one). */
  claims: number;
  /** Released without acknowledgement (the callback threw and `ackOnCallbackError` is off). */
  skip: boolean;
  /** A QoS 2 repeat of a message already delivered (acknowledged again, not recorded again). */
  repeat?: boolean;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

interface Outgoing {
  packet: PublishPacket;
  /** "publish": waiting for PUBACK/PUBREC; "pubrel": PUBREL sent, waiting for PUBCOMP. */
  state: "publish" | "pubrel";
  waiter: Waiter<void> | null;
  /** Acknowledgements received on the connection when this was last (re)sent. */
  ackMark: number;
  /** Connections in a row that the broker closed without acknowledging anything after this was sent. */
  drops: number;
}

/** The broker closed this many connections in a row right after a message: it is refused, not unlucky. */
const POISON_DROPS = 3;

interface Pending {
  kind: "subscribe" | "unsubscribe";
  resolve(value: number[]): void;
  reject(error: Error): void;
}

interface Queued {
  packet: PublishPacket;
  topicBytes: Uint8Array | undefined;
  resolve(): void;
  reject(error: Error): void;
}

/** The reason of every session never connected (shared: making an Error per client costs its stack trace). */
let NOT_CONNECTED: ConnectionClosedError | undefined;
let DISCONNECTED: ConnectionClosedError | undefined;
const READ_AHEAD = 65_536;
/** Bytes per PINGRESP wait that show a slow link is still delivering (a trickle is not enough). */
const MIN_PROGRESS = 1024;
/** Payloads from this size on go to `Transport.writev` as they are; smaller ones are cheaper to copy. */
const WRITEV_MIN = 2048;
const RESOLVED: Promise<void> = Promise.resolve();
/** Default largest incoming packet: 16 MiB. */
const DEFAULT_MAX_PACKET = 16 * 1024 * 1024;

/**
 * One MQTT session (it outlives connections when `cleanSession` is false).
 *
 * @example Driving a session over any transport
 * ```ts ignore
 * import { Session } from "./session.ts";
 * const session = new Session({ onMessage: (p) => console.log(p.topic) });
 * const present = await session.open(transport, { type: "connect", clientId: "c", cleanSession: true, keepalive: 60 }, 5000);
 * await session.publish({ type: "publish", topic: "a", payload: new Uint8Array(), qos: 1, retain: false, dup: false });
 * ```
 */
export class Session {
  #opts: SessionOptions;
  #clock: Clock;
  #transport: Transport | null = null;
  #decoder: PacketDecoder<Packet | PacketV5>;
  #wire: Wire = WIRE_V4;
  /** The broker's CONNACK properties (MQTT 5.0), for the current connection. */
  #server: ConnackProperties = {};
  /** Largest packet the broker accepts (MQTT 5.0 Maximum Packet Size); Infinity when it set none. */
  #maxOut = Infinity;
  /** Inbound topic aliases (MQTT 5.0), per connection. */
  #aliasesIn = new Map<number, string>();
  /** Outbound topic aliases, per connection, when `topicAliases` is on. */
  #aliasesOut = new Map<string, number>();
  /** The user's maxInflight; the broker's Receive Maximum may lower it per connection. */
  #maxInflightOpt: number;
  /** Assign outbound topic aliases automatically (MQTT 5.0, up to the broker's Topic Alias Maximum). */
  topicAliases = false;
  /** Answers AUTH challenges during connect (MQTT 5.0 enhanced authentication). */
  authResponder: AuthResponder | null = null;
  #authMethod: string | undefined;
  #closed: Error | null = NOT_CONNECTED ??= new ConnectionClosedError("Not connected: call connect() first");
  #eof: Error | null = null;
  /** Set while DISCONNECT is being sent: new calls are refused from that moment. */
  #closing: Error | null = null;
  #readingOn: Transport | null = null;
  #connack: Waiter<Packet> | null = null;
  #outgoing = new Map<number, Outgoing>();
  #pending = new Map<number, Pending>();
  #incomingQos2 = new Set<number>();
  #waitMsg: Waiter<number | null>[] = [];
  #pingWaiters: Waiter<void>[] = [];
  #slotWaiters: (() => void)[] = [];
  #reserved = 0;
  #queue: Queued[] = [];
  /** Where the session's state is kept durably, if anywhere. */
  #store: SessionStore | null = null;
  /** Queue numbers of QoS 1/2 publishes recorded in the store as accepted and not yet sent. */
  #keys = new WeakMap<PublishPacket, number>();
  #lastKey = 0;
  #closeWaiters = new Set<(e: Error) => void>();
  #lastId = 0;
  #keepaliveMs = 0;
  #lastSent = 0;
  #stamping = false;
  #stamp = (): void => {
    this.#stamping = false;
    this.#lastSent = this.#clock.now();
  };
  #kaTimer: unknown = null;
  #pingDeadline: unknown = null;
  #background = 0;
  #paused = 0;
  #persistent = false;
  #openClean = true;
  #maxInflight: number;
  #commandTimeout: number;
  /** Connection generation: bumped by each open(), so stale acknowledgements are void. */
  #gen = 0;
  /** Received QoS 1/2 messages awaiting acknowledgement, in arrival order. */
  #acks: Inbound[] = [];
  #lastReceived = 0;
  /** Acknowledgements (PUBACK, PUBREC, PUBCOMP) received on the current connection. */
  #acksReceived = 0;
  /** Keep unacknowledged QoS 1/2 publishes (and their callers waiting) across a lost connection. */
  keepInflightOnDrop = false;
  /** Always keep unacknowledged publishes across drops (umqtt.robust's retrying client). */
  alwaysKeepInflight = false;
  /** Queue publishes made while offline; `null` rejects them. */
  offline: OfflinePolicy | null = null;

  /**
   * Create a session with no connection; {@linkcode Session.open} starts one.
   *
   * @param options Callbacks and limits.
   */
  constructor(options: SessionOptions) {
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    this.#decoder = this.#wire.decoder(options.maxPacketSize ?? DEFAULT_MAX_PACKET);
    const mi = options.maxInflight ?? 20;
    if (typeof mi !== "number" || !Number.isInteger(mi) || mi < 1 || mi > MAX_PACKET_ID) {
      throw new RangeError(`maxInflight must be an integer in 1..65535, got ${show(mi)}`);
    }
    this.#maxInflight = mi;
    this.#maxInflightOpt = mi;
    const ct = options.commandTimeout ?? 0;
    if (typeof ct !== "number" || !(ct >= 0)) {
      throw new RangeError(`commandTimeout must be a number of milliseconds >= 0, got ${show(ct)}`);
    }
    this.#commandTimeout = ct;
  }

  /** Whether a connection is up (CONNACK accepted and not closed since). */
  get connected(): boolean {
    return this.#closed === null && this.#connack === null;
  }

  /** The reason the session is not connected, or `null` when it is. */
  get closedReason(): Error | null {
    return this.#closed;
  }

  /** Switch the wire format (MQTT 3.1.1 or 5.0) for the next `open()`. */
  set wire(w: Wire) {
    this.#wire = w;
  }
  get wire(): Wire {
    return this.#wire;
  }

  /** The broker's CONNACK properties on the current connection (MQTT 5.0; `{}` on 3.1.1). */
  get server(): ConnackProperties {
    return this.#server;
  }

  /** QoS 1/2 messages sent and not yet fully acknowledged. */
  get inflight(): number {
    return this.#outgoing.size;
  }

  /** Messages queued while offline. */
  get queued(): number {
    return this.#queue.length;
  }

  /** The packet identifier used most recently (umqtt's `pid`). */
  get lastPacketId(): number {
    return this.#lastId;
  }
  set lastPacketId(id: number) {
    if (!Number.isInteger(id) || id < 0 || id > MAX_PACKET_ID) {
      throw new RangeError(`packet id must be an integer in 0..65535, got ${show(id)}`);
    }
    this.#lastId = id;
  }

  /**
   * Keep the session's state in `store` from now on, starting from what it
   * holds: unacknowledged publishes are sent again after the next CONNACK
   * (nobody awaits them: a failure goes to `onError`), queued ones after
   * them, and received QoS 2 ids are not delivered twice.
   *
   * @param store The store.
   * @param stored What it held when loaded.
   */
  useStore(store: SessionStore, stored: StoredSession): void {
    this.#store = store;
    this.#persistent = true;
    for (const o of stored.outgoing) {
      const packet: PublishPacket = { ...o.packet, packetId: o.id, dup: false };
      this.#outgoing.set(o.id, {
        packet,
        state: o.released ? "pubrel" : "publish",
        waiter: null,
        ackMark: -1,
        drops: 0,
      });
    }
    for (const q of stored.queued) {
      const packet: PublishPacket = { ...q.packet, packetId: undefined, dup: false };
      this.#keys.set(packet, q.key);
      this.#keep(packet, undefined);
      if (q.key > this.#lastKey) this.#lastKey = q.key;
    }
    for (const id of stored.incoming) this.#incomingQos2.add(id);
    if (stored.lastPacketId) this.#lastId = stored.lastPacketId;
  }

  /** Record the acceptance of a QoS 1/2 publish that is not sent yet (once per message). */
  #enqueue(packet: PublishPacket): void {
    if (!this.#store || packet.qos === 0 || this.#keys.has(packet)) return;
    const key = ++this.#lastKey;
    this.#store.commit([{ type: "queue", key, packet }]);
    this.#keys.set(packet, key);
  }

  /** Keep a recorded publish queued, awaited by nobody (its caller was told the call failed). */
  #keep(packet: PublishPacket, topicBytes: Uint8Array | undefined): void {
    this.#queue.push({ packet, topicBytes, resolve: () => {}, reject: (e) => this.#opts.onError?.(e) });
  }

  /** Forget queued publishes in the store (their callers were told). */
  #unqueue(packets: PublishPacket[]): void {
    if (!this.#store) return;
    const changes: StoreChange[] = [];
    for (const p of packets) {
      const key = this.#keys.get(p);
      if (key === undefined) continue;
      this.#keys.delete(p);
      changes.push({ type: "dequeue", key });
    }
    if (changes.length > 0) this.#commit(changes);
  }

  /** A store change outside any call: a failure is reported, and the connection closed so nothing unrecorded goes out. */
  #commit(changes: readonly StoreChange[]): boolean {
    try {
      this.#store!.commit(changes);
      return true;
    } catch (e) {
      const err = new Error(`The session store failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      this.#opts.onError?.(err);
      this.#fail(new ConnectionClosedError("Connection closed: the session store failed", { cause: err }));
      return false;
    }
  }

  /**
   * Add (+1) or remove (-1) a reason to read continuously (the background
   * loop, a `messages()` iterator with room).
   *
   * @param delta +1 or -1.
   */
  demand(delta: 1 | -1): void {
    this.#background += delta;
    if (delta > 0) this.#kick();
  }

  /**
   * Stop (+1) or allow again (-1) reading and processing: used by a full
   * `messages()` buffer to push back on the socket.
   *
   * @param delta +1 or -1.
   */
  pause(delta: 1 | -1): void {
    this.#paused += delta;
    if (this.#paused === 0) this.#kick();
  }

  /**
   * Resolves with the reason the next time the connection ends (at once if
   * it is down). Pass a signal to stop waiting: the waiter is then dropped,
   * so short-lived waits do not accumulate.
   *
   * @param signal Stops the wait (the promise then never settles).
   * @returns The reason the connection ended.
   */
  whenClosed(signal?: AbortSignal): Promise<Error> {
    if (this.#closed && !this.#connack) return Promise.resolve(this.#closed);
    return new Promise((resolve) => {
      this.#closeWaiters.add(resolve);
      signal?.addEventListener("abort", () => this.#closeWaiters.delete(resolve), { once: true });
    });
  }

  get #demand(): number {
    return this.#ownDemand + this.#background;
  }

  /** Packets the client itself waits for: acknowledgements, PINGRESP, CONNACK, `waitMsg()`. */
  get #ownDemand(): number {
    return this.#outgoing.size + this.#pending.size + this.#waitMsg.length + this.#pingWaiters.length +
      (this.#connack ? 1 : 0);
  }

  /**
   * Whether packets may be processed now. A full `messages()` buffer pauses
   * reading only while nothing else waits: an acknowledgement, PINGRESP or
   * CONNACK the client itself waits for is read through the messages ahead
   * of it (which then go past the buffer's size), or it would deadlock.
   */
  get #mayProcess(): boolean {
    return this.#paused === 0 || this.#ownDemand > 0;
  }

  /**
   * Send CONNECT over `transport` and wait for CONNACK. Resolves to the
   * session-present flag; rejects with {@linkcode MQTTException} when the
   * broker refuses, {@linkcode TimeoutError} after `timeoutMs`.
   *
   * With `cleanSession: false`, unacknowledged QoS 1/2 publishes are sent
   * again (DUP set, same packet id, original order) and messages already
   * past PUBREC get PUBREL. Then the offline queue is sent.
   *
   * @param transport A freshly connected transport.
   * @param connect The CONNECT packet.
   * @param timeoutMs Deadline for the CONNACK.
   * @param signal Aborts the attempt.
   * @param totalMs The whole connect deadline, for the error message.
   * @returns Session present.
   */
  async open(
    transport: Transport,
    connect: ConnectPacket,
    timeoutMs: number,
    signal?: AbortSignal,
    totalMs: number = timeoutMs,
  ): Promise<boolean> {
    if (this.#transport && !this.#closed) {
      this.#fail(new ConnectionClosedError("Connection replaced by a new connect()"));
    }
    const bytes = this.#wire.encodeConnect(connect);
    this.#authMethod = (connect as { properties?: { authenticationMethod?: string } }).properties?.authenticationMethod;
    this.#server = {};
    this.#maxOut = Infinity;
    this.#maxInflight = this.#maxInflightOpt;
    this.#aliasesIn.clear();
    this.#aliasesOut.clear();
    this.#transport = transport;
    this.#gen++;
    this.#acks = [];
    this.#acksReceived = 0;
    for (const o of this.#outgoing.values()) o.ackMark = -1; // not sent on this connection (yet)
    this.#decoder = this.#wire.decoder(this.#opts.maxPacketSize ?? DEFAULT_MAX_PACKET);
    this.#closed = null;
    this.#eof = null;
    this.#closing = null;
    this.#openClean = connect.cleanSession;
    this.#keepaliveMs = connect.keepalive * 1000;
    const got = new Promise<Packet>((resolve, reject) => {
      this.#connack = { resolve, reject };
    });
    const timer = this.#clock.setTimeout(() => {
      this.#fail(new TimeoutError(`No CONNACK within ${totalMs} ms`), transport);
    }, timeoutMs);
    const onAbort = (): void =>
      this.#fail(
        signal?.reason instanceof Error ? signal.reason : new ConnectionClosedError("connect() aborted"),
        transport,
      );
    signal?.addEventListener("abort", onAbort, { once: true });
    let ack: Packet;
    try {
      this.#send(bytes).catch(() => {});
      this.#kick();
      ack = await got;
    } finally {
      this.#clock.clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
    if (ack.type !== "connack") throw new MalformedPacketError("Expected CONNACK");
    const code = connackCode(ack);
    if (code !== 0) throw this.#refusal(ack, code);
    return ack.sessionPresent;
  }

  /**
   * The CONNACK arrived: settle the session before any packet behind it in
   * the same read is handled, so resends go first, in their original
   * order, then the offline queue, then whatever a callback publishes
   * [MQTT-4.6.0-1].
   */
  #refusal(p: Packet | PacketV5, code: number): MQTTException {
    if (this.#wire.version === 4) return new MQTTException(code);
    const reason = (p as { properties?: { reasonString?: string } }).properties?.reasonString;
    return new MQTTException(
      code,
      `Connection refused: ${this.#wire.describe(code)}${reason ? ` (${JSON.stringify(reason)})` : ""}`,
    );
  }

  #onConnack(p: (Packet | PacketV5) & { type: "connack" }, c: Waiter<Packet>): void {
    const code = connackCode(p);
    if (code !== 0) {
      const err = this.#refusal(p, code);
      this.#fail(
        new ConnectionClosedError(`Not connected: the broker refused the connection (${err.message})`, { cause: err }),
      );
      c.resolve(p as Packet);
      return;
    }
    const props = (p as ConnackPacketV5).properties;
    if (props) this.#applyServer(props);
    // Forget received QoS 2 ids before any PUBLISH in the same read is handled, if the session is new.
    if (this.#openClean || !p.sessionPresent) {
      if (this.#store && this.#incomingQos2.size > 0 && !this.#commit([{ type: "clear", what: "incoming" }])) {
        return c.reject(this.#closed!);
      }
      this.#incomingQos2.clear();
    }
    this.#persistent = !this.#openClean;
    if (this.#openClean) {
      // Nothing to drop (the usual case): no error to make, only waiting publishes to let go.
      if (this.#outgoing.size === 0) this.#releaseSlots();
      else this.#dropOutgoing(new ConnectionClosedError("Session discarded by connect({ cleanSession: true })"));
    } else {
      this.#resend(p.sessionPresent);
      if (this.#closed) return c.reject(this.#closed); // the store failed
    }
    this.#lastReceived = this.#clock.now();
    this.#armKeepalive();
    this.#flushQueue();
    c.resolve(p as Packet);
  }

  /** Apply the broker's CONNACK properties (MQTT 5.0) to this connection. */
  #applyServer(props: ConnackProperties): void {
    this.#server = props;
    if (props.receiveMaximum !== undefined) this.#maxInflight = Math.min(this.#maxInflightOpt, props.receiveMaximum);
    if (props.maximumPacketSize !== undefined) this.#maxOut = props.maximumPacketSize;
    if (props.serverKeepAlive !== undefined) this.#keepaliveMs = props.serverKeepAlive * 1000;
  }

  #resend(sessionPresent: boolean): void {
    for (const [id, o] of this.#outgoing) {
      if (o.state === "pubrel") {
        if (!sessionPresent) {
          // The broker lost the session after it had taken the message: it is delivered.
          if (this.#store && !this.#commit([{ type: "acked", id }])) return;
          this.#outgoing.delete(id);
          o.waiter?.resolve();
          continue;
        }
        this.#send(this.#wire.encodePacket({ type: "pubrel", packetId: id })).catch(() => {});
      } else {
        o.packet.dup = true;
        o.ackMark = this.#acksReceived;
        this.#send(this.#wire.encodePublish(o.packet)).catch(() => {});
      }
    }
    this.#releaseSlots();
  }

  #dropOutgoing(err: Error): void {
    if (this.#store && this.#outgoing.size > 0) this.#commit([{ type: "clear", what: "outgoing" }]);
    const out = [...this.#outgoing.values()];
    this.#outgoing.clear();
    for (const o of out) o.waiter?.reject(err);
    this.#releaseSlots();
  }

  #flushQueue(): void {
    const q = this.#queue.splice(0);
    for (const item of q) {
      this.publish(item.packet, item.topicBytes).then(item.resolve, item.reject);
    }
  }

  /**
   * Drop the offline queue, rejecting each queued call with `error`.
   *
   * @param error The reason.
   */
  rejectQueued(error: Error): void {
    if (this.#store) {
      // Recorded QoS 1/2 publishes stay in the session (like unacknowledged ones): their callers are told, the
      // messages go out after the next CONNACK, in this process or the next.
      const items = this.#queue;
      this.#queue = [];
      for (const item of items) {
        if (this.#keys.has(item.packet)) this.#keep(item.packet, item.topicBytes);
        item.reject(error);
      }
      return;
    }
    for (const item of this.#queue.splice(0)) item.reject(error);
  }

  /**
   * Publish. QoS 0 resolves once written; QoS 1 on PUBACK; QoS 2 on
   * PUBCOMP. If the call times out or is aborted after the message was
   * sent, only the caller stops waiting: the message keeps its packet id
   * and the session completes its flow.
   *
   * @param packet The PUBLISH (its `packetId` and `dup` are set here).
   * @param topicBytes The topic's UTF-8 bytes, if already encoded.
   * @param options Abort signal.
   */
  publish(packet: PublishPacket, topicBytes?: Uint8Array, options?: CallOptions): Promise<void> {
    // Fast path: QoS 0 while connected with nothing queued ahead is one encode and one write.
    if (
      packet.qos === 0 && this.#closed === null && this.#connack === null && this.#closing === null &&
      this.#slotWaiters.length === 0 && !options?.signal
    ) {
      try {
        return this.#sendPublish(packet, topicBytes);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.#publish(packet, topicBytes, options);
  }

  #publish(packet: PublishPacket, topicBytes?: Uint8Array, options?: CallOptions): Promise<void> {
    try {
      options?.signal?.throwIfAborted();
      if (this.#closing) throw this.#closing;
      // Waiting for CONNACK counts as offline: queued messages go first, in order, after it.
      if (this.#closed || this.#connack) return this.#publishOffline(packet, topicBytes, options?.signal);
      if (
        this.#slotWaiters.length > 0 || (packet.qos > 0 && this.#outgoing.size + this.#reserved >= this.#maxInflight)
      ) {
        return this.#publishAfterSlot(packet, topicBytes, options);
      }
      return this.#publishNow(packet, topicBytes, options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #publishOffline(packet: PublishPacket, topicBytes: Uint8Array | undefined, signal?: AbortSignal): Promise<void> {
    const off = this.offline;
    // Already recorded in the store (it waited for a slot): it stays in the session whatever becomes of the call.
    const recorded = this.#keys.has(packet);
    if (!off) {
      if (recorded) this.#keep(packet, topicBytes);
      throw this.#closed ??
        new ConnectionClosedError(
          `Cannot publish to ${JSON.stringify(packet.topic)} before the CONNACK: await connect() first`,
        );
    }
    if (packet.qos === 0 && off.qos0 === "reject") {
      throw new ConnectionClosedError(
        `Cannot publish QoS 0 to ${JSON.stringify(packet.topic)} while offline (reconnecting): message not sent`,
        { cause: this.#closed },
      );
    }
    if (!recorded && this.#queue.length >= off.maxQueued) {
      throw new RangeError(
        `Offline queue is full (maxQueued ${off.maxQueued}): message to ${JSON.stringify(packet.topic)} not queued`,
      );
    }
    this.#enqueue(packet);
    return new Promise<void>((resolve, reject) => {
      const item: Queued = { packet, topicBytes, resolve, reject };
      this.#queue.push(item);
      // Aborted while queued: taken out of the queue, never sent.
      signal?.addEventListener("abort", () => {
        const i = this.#queue.indexOf(item);
        if (i < 0) return;
        this.#queue.splice(i, 1);
        this.#unqueue([packet]);
        reject(signal.reason instanceof Error ? signal.reason : new Error("Aborted while queued offline"));
      }, { once: true });
    });
  }

  async #publishAfterSlot(packet: PublishPacket, topicBytes?: Uint8Array, options?: CallOptions): Promise<void> {
    // Wait for a slot; the releaser reserves it for us so no one overtakes.
    const signal = options?.signal;
    this.#enqueue(packet);
    await new Promise<void>((resolve, reject) => {
      const waiter = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.#slotWaiters.indexOf(waiter);
        if (i < 0) return;
        this.#slotWaiters.splice(i, 1); // aborted while waiting: leave the line, nothing sent
        this.#unqueue([packet]);
        this.#releaseSlots();
        reject(signal!.reason instanceof Error ? signal!.reason : new Error("Aborted while waiting to publish"));
      };
      this.#slotWaiters.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    this.#reserved--;
    if (signal?.aborted) {
      this.#unqueue([packet]);
      this.#releaseSlots(); // pass the slot reserved for us on
      throw signal.reason instanceof Error ? signal.reason : new Error("Aborted while waiting to publish");
    }
    if (this.#closing && this.#keys.has(packet)) {
      this.#keep(packet, topicBytes);
      throw this.#closing;
    }
    if (this.#closed || this.#connack || this.#closing) return this.#publish(packet, topicBytes, options);
    const sent = this.#publishNow(packet, topicBytes, options);
    // QoS 0 does not keep the slot it was given: let the next one in line go.
    if (packet.qos === 0) this.#releaseSlots();
    return sent;
  }

  #publishNow(packet: PublishPacket, topicBytes?: Uint8Array, options?: CallOptions): Promise<void> {
    if (packet.qos === 0) return this.#sendPublish(packet, topicBytes);
    const id = this.#allocId();
    packet.packetId = id;
    const direct = this.#direct(packet);
    let bytes: Uint8Array;
    try {
      bytes = direct ? encodePublishHeader(packet, topicBytes) : this.#encodePublish(packet, topicBytes);
    } catch (e) {
      packet.packetId = undefined;
      throw e;
    }
    if (this.#store) {
      // Recorded before it leaves: a crash from here on resends it with this id.
      const key = this.#keys.get(packet);
      const change: StoreChange = { type: "publish", id, packet };
      try {
        this.#store.commit(key === undefined ? [change] : [{ type: "dequeue", key }, change]);
      } catch (e) {
        packet.packetId = undefined;
        this.#releaseSlots();
        throw e;
      }
      this.#keys.delete(packet);
    }
    const entry: Outgoing = { packet, state: "publish", waiter: null, ackMark: this.#acksReceived, drops: 0 };
    const done = new Promise<void>((resolve, reject) => {
      entry.waiter = { resolve, reject };
    });
    this.#outgoing.set(id, entry);
    this.#send(bytes, direct ? packet.payload : undefined).catch(() => {});
    this.#kick();
    if (!options?.signal && this.#commandTimeout === 0) return done;
    // Timed out or aborted: the caller stops waiting, the session still finishes the flow [MQTT-4.4.0-1].
    return this.#guard(done, `${packet.qos === 1 ? "PUBACK" : "PUBCOMP"} for packet id ${id}`, options, () => {
      if (this.#outgoing.get(id) === entry) entry.waiter = null;
    });
  }

  /** Whether a PUBLISH's payload goes to the transport's `writev` after its header, not copied (3.1.1). */
  #direct(packet: PublishPacket): boolean {
    return packet.payload.length >= WRITEV_MIN && this.#wire === WIRE_V4 && this.#transport?.writev !== undefined;
  }

  #sendPublish(packet: PublishPacket, topicBytes?: Uint8Array): Promise<void> {
    if (!this.#direct(packet)) return this.#send(this.#encodePublish(packet, topicBytes));
    return this.#send(encodePublishHeader(packet, topicBytes), packet.payload);
  }

  /**
   * Encode a PUBLISH for this connection: with a topic alias when they are
   * on (MQTT 5.0), and never larger than the broker's Maximum Packet Size.
   */
  #encodePublish(packet: PublishPacket, topicBytes?: Uint8Array): Uint8Array {
    const w = this.#wire;
    let bytes: Uint8Array;
    if (w.version === 5 && this.topicAliases && (this.#server.topicAliasMaximum ?? 0) > 0) {
      const p = packet as PublishPacketV5;
      let alias = this.#aliasesOut.get(p.topic);
      let topic = "";
      if (alias === undefined && this.#aliasesOut.size < this.#server.topicAliasMaximum!) {
        alias = this.#aliasesOut.size + 1;
        this.#aliasesOut.set(p.topic, alias);
        topic = p.topic;
      }
      bytes = alias === undefined ? w.encodePublish(packet, topicBytes) : w.encodePublish(
        { ...p, topic, properties: { ...p.properties, topicAlias: alias } } as PublishPacket,
        topic === "" ? new Uint8Array(0) : topicBytes,
      );
    } else bytes = w.encodePublish(packet, topicBytes);
    if (bytes.length > this.#maxOut) {
      throw new RangeError(
        `Cannot publish to ${JSON.stringify(packet.topic)}: the packet is ${bytes.length} bytes, over the broker's ` +
          `Maximum Packet Size ${this.#maxOut} [MQTT-3.1.2-24]: message not sent`,
      );
    }
    return bytes;
  }

  /** Apply commandTimeout and an abort signal to a waiting call. */
  #guard<T>(p: Promise<T>, what: string, options: CallOptions | undefined, cancel: () => void): Promise<T> {
    const signal = options?.signal;
    const ms = this.#commandTimeout;
    if (!signal && ms === 0) return p;
    return new Promise<T>((resolve, reject) => {
      let timer: unknown = null;
      const onAbort = (): void => {
        finish();
        cancel();
        reject(signal?.reason instanceof Error ? signal.reason : new Error(`Aborted while waiting for ${what}`));
      };
      const finish = (): void => {
        if (timer !== null) this.#clock.clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      if (ms > 0) {
        timer = this.#clock.setTimeout(() => {
          timer = null;
          finish();
          cancel();
          reject(new TimeoutError(`No ${what} within commandTimeout ${ms} ms`));
        }, ms);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      p.then((v) => {
        finish();
        resolve(v);
      }, (e) => {
        finish();
        reject(e);
      });
    });
  }

  /**
   * Subscribe; resolves to the SUBACK return codes (granted QoS or 0x80).
   *
   * @param subscriptions Filters with requested QoS.
   * @param options Abort signal.
   * @returns Return codes, one per filter.
   */
  subscribe(
    subscriptions: { topic: string; qos: QoS }[],
    options?: CallOptions,
    extra?: { properties?: { subscriptionIdentifiers?: number[]; userProperties?: [string, string][] } },
  ): Promise<number[]> {
    return this.#request(
      "subscribe",
      (id) => this.#wire.encodePacket({ type: "subscribe", packetId: id, subscriptions, ...extra }),
      options,
    );
  }

  /**
   * Unsubscribe; resolves on UNSUBACK.
   *
   * @param topics Filters.
   * @param options Abort signal.
   */
  async unsubscribe(topics: string[], options?: CallOptions): Promise<void> {
    const codes = await this.#request(
      "unsubscribe",
      (id) => this.#wire.encodePacket({ type: "unsubscribe", packetId: id, topics }),
      options,
    );
    const bad = codes.findIndex((c) => c >= 0x80);
    if (bad >= 0) {
      throw new MQTTException(
        codes[bad]!,
        `Unsubscribe from ${JSON.stringify(topics[bad])} refused by the broker: ${this.#wire.describe(codes[bad]!)}`,
      );
    }
  }

  #request(
    kind: "subscribe" | "unsubscribe",
    encode: (id: number) => Uint8Array,
    options?: CallOptions,
  ): Promise<number[]> {
    try {
      options?.signal?.throwIfAborted();
      this.#assertOpen();
    } catch (e) {
      return Promise.reject(e);
    }
    const id = this.#allocId();
    const bytes = encode(id);
    const done = new Promise<number[]>((resolve, reject) => this.#pending.set(id, { kind, resolve, reject }));
    this.#send(bytes).catch(() => {});
    this.#kick();
    return this.#guard(done, `${kind === "subscribe" ? "SUBACK" : "UNSUBACK"} for packet id ${id}`, options, () => {
      this.#pending.delete(id);
    });
  }

  /**
   * Send PINGREQ. With `wait`, resolves on PINGRESP; without, once written
   * (umqtt's `ping()`: the PINGRESP is then consumed by `waitMsg`).
   *
   * @param wait Wait for PINGRESP.
   * @param options Abort signal.
   */
  ping(wait: boolean, options?: CallOptions): Promise<void> {
    if (this.#closed || this.#closing) return Promise.reject(this.#closed ?? this.#closing);
    const sent = this.#send(this.#wire.encodePacket({ type: "pingreq" }));
    if (!wait) return sent;
    const waiter = {} as Waiter<void>;
    const done = new Promise<void>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    this.#pingWaiters.push(waiter);
    sent.catch(() => {});
    this.#kick();
    return this.#guard(done, "PINGRESP", options, () => {
      const i = this.#pingWaiters.indexOf(waiter);
      if (i >= 0) this.#pingWaiters.splice(i, 1);
    });
  }

  /**
   * Process exactly one received packet, waiting for it. Resolves to the
   * packet's first byte, or `null` for PINGRESP (umqtt's `wait_msg()`).
   *
   * @param options Abort signal.
   * @returns First byte or null.
   */
  waitPacket(options?: CallOptions): Promise<number | null> {
    if (options?.signal?.aborted) return Promise.reject(options.signal.reason);
    if (this.#closed) {
      if (this.#decoder.hasPacket()) return this.#processOneNow();
      return Promise.reject(this.#closed);
    }
    const waiter = {} as Waiter<number | null>;
    const p = new Promise<number | null>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    this.#waitMsg.push(waiter);
    this.#kick();
    if (!options?.signal) return p;
    return this.#guardSignalOnly(p, options.signal, () => {
      const i = this.#waitMsg.indexOf(waiter);
      if (i >= 0) this.#waitMsg.splice(i, 1);
    });
  }

  #guardSignalOnly<T>(p: Promise<T>, signal: AbortSignal, cancel: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        cancel();
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      p.then((v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      }, (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      });
    });
  }

  /**
   * Like {@linkcode waitPacket} when a whole packet is already received;
   * otherwise resolves `null` (umqtt's `check_msg()`). It always yields
   * to the event loop first (one macrotask), so a polling loop does not
   * starve the socket and the timers.
   *
   * @returns First byte or null.
   */
  async checkPacket(): Promise<number | null> {
    // Yield to the event loop (a macrotask), so `while (true) await checkMsg()` lets sockets and timers run.
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    if (this.#decoder.hasPacket() && this.#paused === 0) return this.waitPacket();
    if (this.#closed) throw this.#closed;
    return null;
  }

  #processOneNow(): Promise<number | null> {
    try {
      const p = this.#decoder.next();
      if (!p) return Promise.resolve(null);
      this.#handle(p);
      return Promise.resolve(p.type === "pingresp" ? null : this.#decoder.lastFirstByte);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Send DISCONNECT and close. Pending calls are rejected at once, the
   * offline queue too, and nothing is written after the DISCONNECT
   * [MQTT-3.14.4-2]. The session lets go of the link at once (a new
   * `open()` may follow right away). Resolves when the broker has closed
   * the link after reading the DISCONNECT (for transports whose `close()`
   * says so) or after `timeoutMs`, whichever comes first.
   *
   * @param timeoutMs Most time to wait for the DISCONNECT write and the broker's close.
   */
  async disconnect(timeoutMs = 5000, packet?: { reasonCode?: number; properties?: object }): Promise<void> {
    const err = DISCONNECTED ??= new ConnectionClosedError("Disconnected by the client");
    this.rejectQueued(err);
    const t = this.#transport;
    if (this.#closed || !t) return;
    this.#closing = err;
    const sent = this.#send(this.#wire.encodePacket({ type: "disconnect", ...packet } as Packet));
    this.#fail(err, t, { releaseInflight: true, keepOpen: true });
    this.#transport = null;
    let timer: unknown = null;
    let expired = false;
    const deadline = new Promise<void>((resolve) => {
      timer = this.#clock.setTimeout(() => {
        expired = true;
        resolve();
      }, timeoutMs);
    });
    await Promise.race([sent.catch(() => {}), deadline]);
    // Then wait, within the same deadline, for the broker to close its side: it has read everything we sent, so a
    // connect() with this client id right after cannot overtake our last acknowledgements and the DISCONNECT.
    const closed = t.close();
    if (closed && !expired) await Promise.race([closed.catch(() => {}), deadline]);
    this.#clock.clearTimeout(timer);
  }

  /**
   * Close the connection without DISCONNECT (the broker then publishes the
   * will), rejecting pending calls with `error`.
   *
   * @param error The reason given to pending calls.
   */
  abort(error: Error = new ConnectionClosedError("Connection closed by the client")): void {
    this.#fail(error);
  }

  /**
   * Tell the callers of unacknowledged publishes that they failed (kept
   * for a reconnect that will not come, or the connection is gone). A
   * persistent session keeps the messages themselves for the next
   * `connect({ cleanSession: false })`; otherwise they are dropped.
   *
   * @param error The reason.
   */
  rejectInflight(error: Error): void {
    for (const o of this.#outgoing.values()) {
      o.waiter?.reject(error);
      o.waiter = null;
    }
    if (!this.#persistent) this.#outgoing.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw this.#closed;
    if (this.#closing) throw this.#closing;
  }

  #allocId(): number {
    const busy = this.#outgoing.size + this.#pending.size;
    if (busy >= MAX_PACKET_ID) {
      throw new RangeError("Cannot allocate a packet id: all 65535 are in flight");
    }
    let id = this.#lastId;
    do {
      id = id >= MAX_PACKET_ID ? 1 : id + 1;
    } while (this.#outgoing.has(id) || this.#pending.has(id));
    this.#lastId = id;
    return id;
  }

  #lastWrite: Promise<void> | null = null;
  #lastWrapped: Promise<void> | null = null;

  #send(bytes: Uint8Array, payload?: Uint8Array): Promise<void> {
    const t = this.#transport;
    if (!t || (this.#closed && !this.#connack)) {
      return Promise.reject(this.#closed ?? new ConnectionClosedError("Not connected"));
    }
    // One clock read per turn of the event loop, not per packet (a window of publishes is written in one turn).
    if (!this.#stamping) {
      this.#stamping = true;
      queueMicrotask(this.#stamp);
    }
    try {
      const r = payload === undefined ? t.write(bytes) : t.writev!(bytes, payload);
      if (!r) return RESOLVED;
      // Transports that batch hand every write of a batch the same promise: wrap it once.
      if (r !== this.#lastWrite) {
        this.#lastWrite = r;
        this.#lastWrapped = r.catch((e: unknown) => {
          throw this.#writeFailed(t, e);
        });
      }
      return this.#lastWrapped!;
    } catch (e) {
      return Promise.reject(this.#writeFailed(t, e));
    }
  }

  #writeFailed(t: Transport, e: unknown): Error {
    if (this.#transport !== t || (this.#closed && !this.#connack)) {
      return this.#closed ?? new ConnectionClosedError("Connection closed");
    }
    const err = new ConnectionClosedError(`Connection lost while writing: ${errText(e)}`, { cause: e });
    this.#lostByBroker = true;
    this.#fail(err);
    return err;
  }

  #armKeepalive(): void {
    this.#clearKeepalive();
    if (this.#keepaliveMs === 0 || this.#opts.autoKeepalive === false) return;
    const check = (): void => {
      this.#kaTimer = null;
      if (this.#closed) return;
      const now = this.#clock.now();
      // Idle is the longer of "nothing sent" and "nothing received" (a half-open link receives nothing).
      // A clock that went backwards counts as idle: an early PINGREQ is harmless, a late one is not.
      const since = Math.min(this.#lastSent, this.#lastReceived);
      const idle = now < since ? this.#keepaliveMs : now - since;
      if (idle >= this.#keepaliveMs) {
        this.#sendKeepalivePing();
        this.#kaTimer = this.#clock.setTimeout(check, this.#keepaliveMs);
      } else {
        this.#kaTimer = this.#clock.setTimeout(check, this.#keepaliveMs - idle);
      }
    };
    this.#kaTimer = this.#clock.setTimeout(check, this.#keepaliveMs);
  }

  /**
   * Start the wait for PINGRESP. When it runs out, a link that delivered at
   * least MIN_PROGRESS bytes meanwhile (the PINGRESP may be queued behind a
   * large message) gets another period; a silent or trickling one is dead.
   */
  #armPingDeadline(): void {
    const timeout = this.#opts.pingTimeout ?? Math.min(this.#keepaliveMs, 30_000);
    this.#receivedWhilePinging = 0;
    this.#pingDeadline = this.#clock.setTimeout(() => {
      this.#pingDeadline = null;
      if (this.#receivedWhilePinging >= MIN_PROGRESS && !this.#closed) return this.#armPingDeadline();
      this.#fail(new TimeoutError(`No PINGRESP within ${timeout} ms: the connection is dead`));
    }, timeout);
  }

  #receivedWhilePinging = 0;

  #sendKeepalivePing(): void {
    if (this.#pingDeadline !== null) return;
    this.#armPingDeadline();
    const waiter: Waiter<void> = {
      resolve: () => {
        if (this.#pingDeadline !== null) this.#clock.clearTimeout(this.#pingDeadline);
        this.#pingDeadline = null;
      },
      reject: () => {},
    };
    this.#pingWaiters.push(waiter);
    this.#send(this.#wire.encodePacket({ type: "pingreq" })).catch(() => {});
    this.#kick();
  }

  #clearKeepalive(): void {
    if (this.#kaTimer !== null) this.#clock.clearTimeout(this.#kaTimer);
    if (this.#pingDeadline !== null) this.#clock.clearTimeout(this.#pingDeadline);
    this.#kaTimer = null;
    this.#pingDeadline = null;
  }

  /** Start the read loop if it is not running. */
  #kick(): void {
    const t = this.#transport;
    if (t && this.#readingOn !== t && (!this.#closed || this.#connack)) void this.#readLoop(t);
  }

  async #readLoop(t: Transport): Promise<void> {
    this.#readingOn = t;
    try {
      while (this.#transport === t) {
        while (this.#mayProcess && this.#demand > 0) {
          const p = this.#decoder.next(); // null until a whole packet is buffered
          if (!p) break;
          this.#dispatch(p);
          if (this.#transport !== t) return;
        }
        if (this.#eof) {
          this.#fail(this.#eof);
          return;
        }
        if (this.#closed && !this.#connack) return;
        if (!this.#mayProcess) return;
        if (this.#demand === 0 && (this.#decoder.hasPacket() || this.#decoder.buffered >= READ_AHEAD)) return;
        let chunk: Uint8Array | null;
        try {
          chunk = await t.read();
        } catch (e) {
          if (this.#transport === t) {
            this.#eof = new ConnectionClosedError(`Connection lost: ${errText(e)}`, { cause: e });
            this.#lostByBroker = true;
          }
          continue;
        }
        if (this.#transport !== t) return;
        if (chunk === null) {
          this.#eof = new ConnectionClosedError("Connection closed by the broker");
          this.#lostByBroker = true;
          if (this.#connack || this.#demand === 0 || !this.#mayProcess) this.#fail(this.#eof);
          continue;
        }
        if (this.#connack && this.#decoder.buffered === 0) {
          const other = otherProtocol(chunk);
          if (other) throw new MalformedPacketError(`Expected CONNACK, got ${other}`);
        }
        this.#lastReceived = this.#clock.now();
        this.#decoder.feed(chunk);
        // Bytes arriving while a PINGRESP is awaited (it may be behind a large message).
        if (this.#pingDeadline !== null) this.#receivedWhilePinging += chunk.length;
      }
    } catch (e) {
      if (this.#transport === t) {
        if (e instanceof MalformedPacketError && this.#wire.version === 5 && !this.#connack) {
          // MQTT 5.0: tell the broker why before closing [MQTT-4.13.1-1]: 0x95 too large, 0x82 protocol error, 0x81 malformed.
          const reasonCode = /exceeds maxPacketSize/.test(e.message)
            ? 0x95
            : /alias|Unexpected/.test(e.message)
            ? 0x82
            : 0x81;
          try {
            t.write(this.#wire.encodePacket({ type: "disconnect", reasonCode }))?.catch(() => {});
          } catch {
            // The link is going anyway.
          }
        }
        this.#fail(e instanceof Error ? e : new Error(String(e)), t);
      }
    } finally {
      if (this.#readingOn === t) this.#readingOn = null;
      // Demand may have arrived while the last read was in flight.
      if (this.#transport === t && !this.#closed && this.#demand > 0 && this.#mayProcess) this.#kick();
    }
  }

  #dispatch(p: Packet | PacketV5): void {
    const first = this.#decoder.lastFirstByte;
    const w = p.type === "connack" ? undefined : this.#waitMsg.shift();
    try {
      this.#handle(p);
    } catch (e) {
      if (e instanceof MalformedPacketError) {
        w?.reject(e);
        throw e;
      }
      if (w) w.reject(e instanceof Error ? e : new Error(String(e)));
      else this.#opts.onError?.(e);
      return;
    }
    w?.resolve(p.type === "pingresp" ? null : first);
  }

  #handle(p: Packet | PacketV5): void {
    if (this.#connack) {
      const c = this.#connack;
      if (p.type === "auth" && this.#wire.version === 5) return this.#onAuth(p.reasonCode ?? 0, p.properties);
      if (p.type !== "connack") {
        throw new MalformedPacketError(
          `Expected CONNACK as the first packet from the broker, got ${p.type.toUpperCase()} [MQTT-3.2.0-1]`,
        );
      }
      this.#connack = null;
      this.#onConnack(p, c);
      return;
    }
    switch (p.type) {
      case "publish":
        return this.#onPublish(p);
      case "puback":
      case "pubcomp": {
        const o = this.#outgoing.get(p.packetId);
        if (!o) return;
        if ((p.type === "puback") !== (o.packet.qos === 1)) {
          throw new MalformedPacketError(
            `Got ${p.type.toUpperCase()} for packet id ${p.packetId}, which was sent with QoS ${o.packet.qos}`,
          );
        }
        this.#acksReceived++;
        if (this.#store && !this.#commit([{ type: "acked", id: p.packetId }])) return;
        this.#outgoing.delete(p.packetId);
        const code = ackCode(p);
        if (code >= 0x80) o.waiter?.reject(this.#ackError(p, code, o.packet));
        else o.waiter?.resolve();
        this.#releaseSlots();
        return;
      }
      case "pubrec": {
        this.#acksReceived++;
        const o = this.#outgoing.get(p.packetId);
        if (o && o.packet.qos !== 2) {
          throw new MalformedPacketError(`Got PUBREC for packet id ${p.packetId}, which was sent with QoS 1`);
        }
        const code = ackCode(p);
        if (code >= 0x80) {
          // Refused: the flow ends here, no PUBREL [MQTT-4.3.3-4 (v5)].
          if (o) {
            if (this.#store && !this.#commit([{ type: "acked", id: p.packetId }])) return;
            this.#outgoing.delete(p.packetId);
            o.waiter?.reject(this.#ackError(p, code, o.packet));
            this.#releaseSlots();
          }
          return;
        }
        if (o && o.state === "publish") {
          if (this.#store && !this.#commit([{ type: "pubrel", id: p.packetId }])) return;
          o.state = "pubrel";
        }
        this.#send(this.#wire.encodePacket({ type: "pubrel", packetId: p.packetId })).catch(() => {});
        return;
      }
      case "pubrel":
        if (this.#store && this.#incomingQos2.has(p.packetId)) {
          if (!this.#commit([{ type: "released", id: p.packetId }])) return;
        }
        this.#incomingQos2.delete(p.packetId);
        this.#send(this.#wire.encodePacket({ type: "pubcomp", packetId: p.packetId })).catch(() => {});
        return;
      case "suback":
      case "unsuback": {
        const w = this.#pending.get(p.packetId);
        if (!w) return;
        if (w.kind !== (p.type === "suback" ? "subscribe" : "unsubscribe")) {
          throw new MalformedPacketError(
            `Got ${p.type.toUpperCase()} for packet id ${p.packetId}, which was a ${w.kind.toUpperCase()}`,
          );
        }
        this.#pending.delete(p.packetId);
        w.resolve(
          "reasonCodes" in p ? p.reasonCodes : p.type === "suback" ? (p as { returnCodes: number[] }).returnCodes : [],
        );
        return;
      }
      case "disconnect":
        if (this.#wire.version === 5) {
          const d = p as { reasonCode?: number; properties?: DisconnectProperties };
          return this.#onServerDisconnect(d.reasonCode ?? 0, d.properties);
        }
        break;
      case "auth":
        if (this.#wire.version === 5) return this.#onAuth(p.reasonCode ?? 0, p.properties);
        break;
      case "pingresp":
        for (const w of this.#pingWaiters.splice(0)) w.resolve();
        return;
      case "connack":
        throw new MalformedPacketError("Unexpected second CONNACK from the broker [MQTT-3.2.0-1]");
    }
    throw new MalformedPacketError(
      `Unexpected ${p.type.toUpperCase()} from the broker: it is a client-to-server packet`,
    );
  }

  #ackError(p: Packet | PacketV5, code: number, sent: PublishPacket): MQTTException {
    const reason = (p as { properties?: { reasonString?: string } }).properties?.reasonString;
    return new MQTTException(
      code,
      `Publish to ${JSON.stringify(sent.topic)} refused by the broker: ${this.#wire.describe(code)}` +
        (reason ? ` (${JSON.stringify(reason)})` : ""),
    );
  }

  /** The broker sent DISCONNECT (MQTT 5.0): the connection ends with its reason. */
  #onServerDisconnect(code: number, props: DisconnectProperties | undefined): void {
    const cause = new MQTTException(
      code,
      `The broker disconnected: ${this.#wire.describe(code)}` +
        (props?.reasonString ? ` (${JSON.stringify(props.reasonString)})` : "") +
        (props?.serverReference ? `; use another server: ${JSON.stringify(props.serverReference)}` : ""),
    );
    this.#lostByBroker = true;
    this.#fail(new ConnectionClosedError(cause.message, { cause }));
  }

  /** An AUTH packet (MQTT 5.0 enhanced authentication): answer the challenge with the responder. */
  #onAuth(code: number, props: AuthProperties | undefined): void {
    const t = this.#transport;
    const responder = this.authResponder;
    if (code !== 0x18 || !responder || !this.#authMethod) {
      throw new MalformedPacketError(
        `Unexpected AUTH (reason ${this.#wire.describe(code)}) from the broker: ` +
          (this.#authMethod ? "only Continue authentication (0x18) is expected" : "no authentication method was sent"),
      );
    }
    const method = this.#authMethod;
    Promise.resolve()
      .then(() => responder(props?.authenticationData, code))
      .then((data) => {
        if (this.#transport !== t || (this.#closed && !this.#connack)) return;
        const properties = data ? { authenticationMethod: method, authenticationData: data } : {
          authenticationMethod: method,
        };
        return this.#send(this.#wire.encodePacket({ type: "auth", reasonCode: 0x18, properties }));
      })
      .catch((e: unknown) => {
        this.#fail(
          new ConnectionClosedError(`Authentication failed: ${errText(e)}`, { cause: e }),
          t,
        );
      });
  }

  #onPublish(p: PublishPacket): void {
    const alias = (p as PublishPacketV5).properties?.topicAlias;
    if (alias !== undefined) this.#resolveAlias(p as PublishPacketV5, alias);
    const id = p.packetId;
    if (p.qos === 0 || id === undefined) return this.#opts.onMessage(p, null);
    if (p.qos === 2 && this.#incomingQos2.has(id)) {
      // A repeat before PUBREL: acknowledge again (in order), deliver once.
      this.#acks.push({ id, qos: 2, gen: this.#gen, claims: 0, skip: false, repeat: true });
      return this.#flushAcks();
    }
    if (p.qos === 2) this.#incomingQos2.add(id);
    const rec: Inbound = { id, qos: p.qos, gen: this.#gen, claims: 1, skip: false };
    this.#acks.push(rec);
    try {
      this.#opts.onMessage(p, rec);
    } finally {
      this.release(rec);
    }
  }

  /** Inbound topic alias [MQTT-3.3.2-7..12]: remember it with a topic, use it without one. */
  #resolveAlias(p: PublishPacketV5, alias: number): void {
    const max = this.#opts.topicAliasMaximum ?? 0;
    if (alias === 0 || alias > max) {
      throw new MalformedPacketError(
        `Topic alias ${alias} from the broker is outside 1..${max} (our Topic Alias Maximum) [MQTT-3.3.2-9]`,
      );
    }
    if (p.topic !== "") {
      this.#aliasesIn.set(alias, p.topic);
      return;
    }
    const topic = this.#aliasesIn.get(alias);
    if (topic === undefined) {
      throw new MalformedPacketError(`Topic alias ${alias} from the broker was never given a topic [MQTT-3.3.4-3]`);
    }
    p.topic = topic;
  }

  /**
   * Keep a received message unacknowledged until a matching
   * {@linkcode release} (a consumer buffered it).
   *
   * @param rec The message's acknowledgement.
   */
  hold(rec: Inbound): void {
    if (rec.gen === this.#gen && rec.claims > 0) rec.claims++;
  }

  /**
   * Let go of a received message; when nobody holds it any more its
   * PUBACK/PUBREC is sent, after those of every message that arrived
   * before it. A message of a connection that has ended is not
   * acknowledged (the broker sends it again on a persistent session).
   *
   * @param rec The message's acknowledgement.
   * @param ack `false` to release it without acknowledging (a QoS 2 id is then forgotten, so a redelivery is delivered).
   */
  release(rec: Inbound, ack = true): void {
    if (rec.gen !== this.#gen || rec.claims <= 0) return;
    if (!ack) rec.skip = true;
    if (--rec.claims === 0) this.#flushAcks();
  }

  #flushAcks(): void {
    const acks = this.#acks;
    if (this.#store && acks.length > 0 && acks[0]!.claims === 0) {
      // Received QoS 2 ids (and data the application staged) are recorded before their acknowledgements leave.
      const changes: StoreChange[] = [];
      for (const r of acks) {
        if (r.claims !== 0) break;
        if (r.qos === 2 && !r.skip && !r.repeat) changes.push({ type: "received", id: r.id });
      }
      if (!this.#commit(changes)) return;
    }
    while (acks.length > 0 && acks[0]!.claims === 0) {
      const r = acks.shift()!;
      if (r.skip) {
        if (r.qos === 2) this.#incomingQos2.delete(r.id);
        continue;
      }
      this.#send(this.#wire.encodePacket({ type: r.qos === 1 ? "puback" : "pubrec", packetId: r.id })).catch(() => {});
    }
  }

  #lostByBroker = false;

  /**
   * The broker closed the link: if it acknowledged nothing since the
   * oldest unacknowledged PUBLISH was (re)sent, that message may be what
   * it refuses (too large for it, say). After POISON_DROPS such closes in
   * a row it is taken out of the session and its caller told, so a
   * persistent session does not resend it, and reconnect, forever.
   */
  #countDrop(): void {
    for (const [id, o] of this.#outgoing) {
      if (o.state !== "publish" || o.ackMark < 0) return;
      o.drops = this.#acksReceived === o.ackMark ? o.drops + 1 : 0;
      if (o.drops < POISON_DROPS) return;
      if (this.#store) {
        try {
          this.#store.commit([{ type: "acked", id }]);
        } catch (e) {
          this.#opts.onError?.(e);
          return;
        }
      }
      this.#outgoing.delete(id);
      const err = new ConnectionClosedError(
        `The broker closed the connection ${o.drops} times in a row right after PUBLISH to ` +
          `${JSON.stringify(o.packet.topic)} (packet id ${id}, ${o.packet.payload.length} bytes payload) without ` +
          `acknowledging it: dropped from the session (is it over the broker's maximum packet size?)`,
      );
      if (o.waiter) o.waiter.reject(err);
      else this.#opts.onError?.(err);
      return;
    }
  }

  #releaseSlots(): void {
    while (this.#slotWaiters.length > 0 && (this.#outgoing.size + this.#reserved < this.#maxInflight || this.#closed)) {
      this.#reserved++;
      this.#slotWaiters.shift()!();
    }
  }

  /**
   * The connection is over: close it and settle every waiter with `error`.
   * Unacknowledged publishes stay with their callers waiting when a
   * reconnect will resend them (`keepInflightOnDrop`, `alwaysKeepInflight`),
   * unless `releaseInflight` (a deliberate disconnect) says otherwise.
   */
  #fail(
    error: Error,
    transport?: Transport | null,
    opts: { releaseInflight?: boolean; keepOpen?: boolean } = {},
  ): void {
    // A timer or abort of an earlier connection must not close a newer one.
    if (transport && transport !== this.#transport) return;
    if (this.#closed && !this.#connack) return;
    const releaseInflight = opts.releaseInflight ?? false;
    this.#closed = error;
    this.#clearKeepalive();
    if (!opts.keepOpen) this.#transport?.close()?.catch(() => {});
    this.#acks = [];
    if (this.#lostByBroker) this.#countDrop();
    this.#lostByBroker = false;
    const c = this.#connack;
    this.#connack = null;
    c?.reject(error);
    for (const w of this.#waitMsg.splice(0)) w.reject(error);
    for (const w of this.#pingWaiters.splice(0)) w.reject(error);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const w of pending) w.reject(error);
    if (releaseInflight || !(this.keepInflightOnDrop || this.alwaysKeepInflight)) this.rejectInflight(error);
    this.#releaseSlots();
    const waiters = [...this.#closeWaiters];
    this.#closeWaiters.clear();
    for (const w of waiters) w(error);
    this.#opts.onClose?.(error);
  }
}

/**
 * What answered instead of an MQTT broker, when the first bytes say so
 * plainly: text (an HTTP, SSH or SMTP banner) or a TLS record; `null`
 * when they may be MQTT (the decoder then names any problem).
 */
function otherProtocol(chunk: Uint8Array): string | null {
  if (chunk.length < 3 || chunk[0] === 0x20) return null;
  if (chunk[0]! >= 0x14 && chunk[0]! <= 0x17 && chunk[1] === 0x03) {
    return "a TLS record (is this a TLS port? use mqtts:// or the tls option)";
  }
  const head = chunk.subarray(0, 48);
  const n = Math.min(head.length, 4);
  for (let i = 0; i < n; i++) if (head[i]! < 0x20 || head[i]! >= 0x7f) return null;
  let text = "";
  for (const b of head) {
    if (b < 0x20 || b >= 0x7f) break;
    text += String.fromCharCode(b);
  }
  return `'${text}${chunk.length > text.length ? "..." : ""}' (is this an MQTT port?)`;
}

/** A CONNACK's return code (3.1.1) or reason code (5.0). */
function connackCode(p: Packet | PacketV5): number {
  return "reasonCode" in p ? p.reasonCode ?? 0 : (p as { returnCode: number }).returnCode;
}

/** An acknowledgement's reason code (0 when absent, and always on 3.1.1). */
function ackCode(p: Packet | PacketV5): number {
  return (p as { reasonCode?: number }).reasonCode ?? 0;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
