/**
 * Topic names and topic filters: validation and matching [MQTT-4.7].
 *
 * @module
 */
import { checkString } from "./utf8.ts";

/**
 * Check a topic name for PUBLISH: non-empty [MQTT-4.7.3-1], no wildcards
 * [MQTT-3.3.2-2], no U+0000, no lone surrogates. Throws a `RangeError`
 * naming the problem.
 *
 * @param topic The topic name.
 * @example A valid topic and a wildcard refused
 * ```ts
 * import { validateTopicName } from "./topic.ts";
 * validateTopicName("sensors/1/temp"); // ok
 * try { validateTopicName("a/#"); } catch (e) { console.log((e as Error).message); }
 * ```
 */
export function validateTopicName(topic: string): void {
  if (topic.length === 0) {
    throw new RangeError("Cannot publish to an empty topic [MQTT-4.7.3-1]");
  }
  if (topic.includes("#") || topic.includes("+")) {
    throw new RangeError(
      `Cannot publish to ${JSON.stringify(topic)}: topic names must not contain wildcards [MQTT-3.3.2-2]`,
    );
  }
  checkString(topic, "topic");
}

/**
 * Check a topic filter for SUBSCRIBE/UNSUBSCRIBE: non-empty, `#` only as
 * the whole last level [MQTT-4.7.1-2], `+` only as a whole level
 * [MQTT-4.7.1-3]. Throws a `RangeError` naming the problem.
 *
 * @param filter The topic filter.
 * @example A valid filter and a misplaced #
 * ```ts
 * import { validateTopicFilter } from "./topic.ts";
 * validateTopicFilter("sensors/+/temp"); // ok
 * try { validateTopicFilter("a/#/b"); } catch (e) { console.log((e as Error).message); }
 * ```
 */
export function validateTopicFilter(filter: string): void {
  if (filter.length === 0) {
    throw new RangeError('Invalid topic filter "": it must not be empty [MQTT-4.7.3-1]');
  }
  checkString(filter, "topic filter");
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) {
      throw new RangeError(
        `Invalid topic filter ${JSON.stringify(filter)}: "#" must be the whole last level [MQTT-4.7.1-2]`,
      );
    }
    if (level.includes("+") && level !== "+") {
      throw new RangeError(
        `Invalid topic filter ${JSON.stringify(filter)}: "+" must occupy a whole level [MQTT-4.7.1-3]`,
      );
    }
  }
}

/**
 * Whether `topic` matches `filter` per MQTT 4.7: `+` matches one level,
 * `#` the rest (including the parent level), and filters starting with a
 * wildcard do not match topics starting with `$` [MQTT-4.7.2-1].
 *
 * @param filter A valid topic filter.
 * @param topic A topic name.
 * @returns Whether it matches.
 * @example Wildcards and $ topics
 * ```ts
 * import { topicMatches } from "./topic.ts";
 * console.log(topicMatches("sensors/+/temp", "sensors/1/temp")); // true
 * console.log(topicMatches("#", "$SYS/broker/uptime")); // false
 * ```
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) return false;
  const fl = filter.length;
  const tl = topic.length;
  // fi/ti index the start of the current level; a value past the end means no level is left.
  let fi = 0;
  let ti = 0;
  for (;;) {
    const fEnd = nextSlash(filter, fi);
    const fLevel = filter.slice(fi, fEnd);
    if (fLevel === "#") return true;
    if (ti > tl) return false;
    const tEnd = nextSlash(topic, ti);
    if (fLevel !== "+" && fLevel !== topic.slice(ti, tEnd)) return false;
    fi = fEnd + 1;
    ti = tEnd + 1;
    if (fi > fl) return ti > tl;
  }
}

function nextSlash(s: string, from: number): number {
  const i = s.indexOf("/", from);
  return i === -1 ? s.length : i;
}
