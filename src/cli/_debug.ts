/**
 * `-d`: a transport wrapper that prints each MQTT packet sent and received,
 * in the words libmosquitto's clients use (`Client id sending CONNECT`), so
 * `umqtt sub -d` and `mosquitto_sub -d` can be read side by side.
 *
 * @module
 */
import { type Packet, PacketDecoder } from "../codec/mod.ts";
import type { Transport, TransportConnectOptions, TransportFactory } from "../transport/types.ts";

/**
 * The mosquitto-style line for one packet.
 *
 * @param p The packet.
 * @param sent Whether we sent it (otherwise we received it).
 * @returns The lines (SUBSCRIBE and UNSUBSCRIBE give one per topic), without `Client <id> `.
 */
export function describePacket(p: Packet, sent: boolean): string[] {
  const dir = sent ? "sending" : "received";
  switch (p.type) {
    case "connect":
      return [`${dir} CONNECT`];
    case "connack":
      return [`${dir} CONNACK (${p.returnCode})`];
    case "publish":
      return [
        `${dir} PUBLISH (d${p.dup ? 1 : 0}, q${p.qos}, r${p.retain ? 1 : 0}, m${
          p.packetId ?? 0
        }, '${p.topic}', ... (${p.payload.length} bytes))`,
      ];
    case "puback":
    case "pubrec":
      return [sent ? `sending ${p.type.toUpperCase()} (m${p.packetId}, rc0)` : received(p.type, p.packetId)];
    case "pubrel":
      return [sent ? `sending PUBREL (m${p.packetId})` : `received PUBREL (Mid: ${p.packetId})`];
    case "pubcomp":
      return [sent ? `sending PUBCOMP (m${p.packetId})` : received(p.type, p.packetId)];
    case "subscribe":
      return p.subscriptions.map((s) =>
        `${dir} SUBSCRIBE (Mid: ${p.packetId}, Topic: ${s.topic}, QoS: ${s.qos}, Options: 0x00)`
      );
    case "unsubscribe":
      return p.topics.map((t) => `${dir} UNSUBSCRIBE (Mid: ${p.packetId}, Topic: ${t})`);
    default:
      return [`${dir} ${p.type.toUpperCase()}`];
  }
}

function received(type: "puback" | "pubrec" | "pubcomp", id: number): string {
  return type === "pubrec" ? `received PUBREC (Mid: ${id})` : `received ${type.toUpperCase()} (Mid: ${id}, RC:0)`;
}

/** What {@linkcode watchedTransport} reports. */
export interface Watch {
  /** Client id, printed on each `log` line. */
  clientId: string;
  /** With `-d`: receives each mosquitto-style line (without newline). */
  log?: ((line: string) => void) | undefined;
  /** Called with each received packet, before the client sees it. */
  onPacket?: ((p: Packet) => void) | undefined;
  /** Called with each packet the client sends. */
  onSent?: ((p: Packet) => void) | undefined;
}

/**
 * Wrap a transport factory so every packet is described to `watch.log`
 * and each received packet is shown to `watch.onPacket`.
 *
 * @param inner The real transport factory.
 * @param watch Where to report.
 * @returns The wrapping factory.
 */
export function watchedTransport(inner: TransportFactory, watch: Watch): TransportFactory {
  const { clientId, log, onPacket, onSent } = watch;
  return async (options: TransportConnectOptions): Promise<Transport> => {
    const t = await inner(options);
    const sentDecoder = new PacketDecoder();
    const receivedDecoder = new PacketDecoder();
    const describe = (decoder: PacketDecoder, chunk: Uint8Array, sent: boolean): void => {
      try {
        decoder.feed(chunk.slice()); // a copy: the bytes belong to the client and the socket
        for (let p = decoder.next(); p !== null; p = decoder.next()) {
          if (log) { for (const line of describePacket(p, sent)) log(`Client ${clientId} ${line}`); }
          if (sent) onSent?.(p);
          else onPacket?.(p);
        }
      } catch (e) {
        log?.(`Client ${clientId} ${sent ? "sending" : "received"} bytes that do not decode: ${(e as Error).message}`);
      }
    };
    return {
      async read(): Promise<Uint8Array | null> {
        const chunk = await t.read();
        if (chunk) describe(receivedDecoder, chunk, false);
        return chunk;
      },
      write(bytes: Uint8Array): Promise<void> | void {
        if (log || onSent) describe(sentDecoder, bytes, true);
        return t.write(bytes);
      },
      close(): void {
        t.close();
      },
    };
  };
}
