/**
 * The figures the benchmark reports, with their units, which direction is
 * better, and the target ratio to the raw client where the project has one.
 *
 * @module
 */

/** Runtimes a worker can run on. */
export type Runtime = "deno" | "bun" | "node";

/** Identifiers of the measured figures. */
export type FigureId =
  | "qos0_64_rate"
  | "qos0_64_cpu"
  | "qos0_16k_rate"
  | "qos0_16k_cpu"
  | "qos1_seq_rate"
  | "qos1_win_rate"
  | "qos1_win_cpu"
  | "qos2_seq_rate"
  | "qos2_win_rate"
  | "rtt_p50"
  | "rtt_p99"
  | "conn_rate"
  | "mem_per_client"
  | "import_ms";

/** How one figure is shown and judged. */
export interface FigureSpec {
  id: FigureId;
  label: string;
  unit: string;
  better: "higher" | "lower";
  /** Target for ours ÷ raw: at most (lower is better) or at least (higher is better). */
  target?: number;
}

/** Every figure, in report order. */
export const FIGURES: readonly FigureSpec[] = [
  { id: "qos0_64_rate", label: "QoS 0, 64 B, end to end", unit: "msg/s", better: "higher" },
  { id: "qos0_64_cpu", label: "QoS 0, 64 B, publisher CPU", unit: "µs/msg", better: "lower", target: 1.3 },
  { id: "qos0_16k_rate", label: "QoS 0, 16 KiB, end to end", unit: "msg/s", better: "higher" },
  { id: "qos0_16k_cpu", label: "QoS 0, 16 KiB, publisher CPU", unit: "µs/msg", better: "lower", target: 1.3 },
  { id: "qos1_seq_rate", label: "QoS 1, sequential", unit: "msg/s", better: "higher", target: 0.95 },
  { id: "qos1_win_rate", label: "QoS 1, 64 in flight", unit: "msg/s", better: "higher", target: 0.95 },
  { id: "qos1_win_cpu", label: "QoS 1, 64 in flight, publisher CPU", unit: "µs/msg", better: "lower" },
  { id: "qos2_seq_rate", label: "QoS 2, sequential", unit: "msg/s", better: "higher" },
  { id: "qos2_win_rate", label: "QoS 2, 64 in flight", unit: "msg/s", better: "higher" },
  { id: "rtt_p50", label: "Round trip p50", unit: "µs", better: "lower", target: 1.1 },
  { id: "rtt_p99", label: "Round trip p99", unit: "µs", better: "lower" },
  { id: "conn_rate", label: "Connections per second", unit: "conn/s", better: "higher", target: 0.95 },
  { id: "mem_per_client", label: "Idle client memory (RSS)", unit: "KiB/client", better: "lower", target: 1.5 },
  { id: "import_ms", label: "Cold start (spawn, import, exit)", unit: "ms", better: "lower", target: 2 },
];
