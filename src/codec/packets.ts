/**
 * MQTT 3.1.1 packets as a discriminated union on `type`.
 *
 * Topics, client ids and user names are strings (UTF-8 on the wire);
 * payloads and passwords are bytes.
 *
 * @module
 */

/** Quality of service level. */
export type QoS = 0 | 1 | 2;

/** Last will carried in CONNECT. */
export interface Will {
  /** Topic the broker publishes the will on. */
  topic: string;
  /** Will payload. */
  payload: Uint8Array;
  /** Will QoS. */
  qos: QoS;
  /** Whether the broker retains the will message. */
  retain: boolean;
}

/** CONNECT (client to broker). */
export interface ConnectPacket {
  /** Discriminant. */
  type: "connect";
  /** Client identifier (may be empty with clean session). */
  clientId: string;
  /** Clean session flag. */
  cleanSession: boolean;
  /** Keepalive in seconds, 0..65535. */
  keepalive: number;
  /** Last will, if any. */
  will?: Will | undefined;
  /** User name, if any. */
  username?: string | undefined;
  /** Password, if any (only with a user name). */
  password?: Uint8Array | undefined;
}

/** CONNACK (broker to client). */
export interface ConnackPacket {
  /** Discriminant. */
  type: "connack";
  /** Session present flag. */
  sessionPresent: boolean;
  /** Return code 0..5. */
  returnCode: number;
}

/** PUBLISH (both directions). */
export interface PublishPacket {
  /** Discriminant. */
  type: "publish";
  /** Topic name (no wildcards). */
  topic: string;
  /** Application payload. */
  payload: Uint8Array;
  /** QoS level. */
  qos: QoS;
  /** Retain flag. */
  retain: boolean;
  /** Duplicate delivery flag. */
  dup: boolean;
  /** Packet identifier, present iff qos > 0. */
  packetId?: number | undefined;
}

/** A packet that carries only a packet identifier. */
export interface AckPacket {
  /** Discriminant. */
  type: "puback" | "pubrec" | "pubrel" | "pubcomp" | "unsuback";
  /** Packet identifier 1..65535. */
  packetId: number;
}

/** One topic filter with its requested QoS. */
export interface Subscription {
  /** Topic filter (wildcards allowed). */
  topic: string;
  /** Requested QoS. */
  qos: QoS;
}

/** SUBSCRIBE (client to broker). */
export interface SubscribePacket {
  /** Discriminant. */
  type: "subscribe";
  /** Packet identifier. */
  packetId: number;
  /** One or more filters. */
  subscriptions: Subscription[];
}

/** SUBACK (broker to client). */
export interface SubackPacket {
  /** Discriminant. */
  type: "suback";
  /** Packet identifier. */
  packetId: number;
  /** Granted QoS (0, 1, 2) or 0x80 per filter. */
  returnCodes: number[];
}

/** UNSUBSCRIBE (client to broker). */
export interface UnsubscribePacket {
  /** Discriminant. */
  type: "unsubscribe";
  /** Packet identifier. */
  packetId: number;
  /** One or more filters. */
  topics: string[];
}

/** PINGREQ, PINGRESP or DISCONNECT: no body. */
export interface EmptyPacket {
  /** Discriminant. */
  type: "pingreq" | "pingresp" | "disconnect";
}

/** Any MQTT 3.1.1 packet. */
export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | AckPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | EmptyPacket;
