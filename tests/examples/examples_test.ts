import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { startMosquitto } from "../../scripts/mosquitto.ts";
import { IS_DENO, type Proc, reap, start, waitForLog, waitForOutput } from "../cli/_run.ts";

function example(name: string, args: string[], env?: Record<string, string>): Proc {
  const file = new URL(`../../examples/${name}`, import.meta.url).pathname;
  const argv = IS_DENO ? ["run", "-A", "--quiet", file, ...args] : [file, ...args];
  return start(process.execPath, argv, undefined, 20_000, env);
}

test("examples/sensor_publisher.ts and subscriber.ts exchange readings and status through mosquitto", async () => {
  const b = await startMosquitto();
  let sub: Proc | undefined;
  try {
    const url = `mqtt://127.0.0.1:${b.port}`;
    sub = example("subscriber.ts", ["--count", "3"], { MQTT_URL: url });
    await waitForOutput(sub, "subscribed on " + url);
    const pub = await example("sensor_publisher.ts", ["--url", url, "--count", "3", "--interval", "5"]).done;
    assert.equal(pub.code, 0, pub.stderr);
    assert.equal(
      pub.out,
      `connected to ${url} as sensor-1\n` +
        "published sensors/sensor-1/temperature seq=0 celsius=20.00\n" +
        "published sensors/sensor-1/temperature seq=1 celsius=21.64\n" +
        "published sensors/sensor-1/temperature seq=2 celsius=23.09\n" +
        "done\n",
    );
    const r = await sub.done;
    assert.equal(r.code, 0, r.stderr);
    const lines = r.out.trimEnd().split("\n");
    assert.deepEqual(lines.filter((l) => l.startsWith("reading ")), [
      "reading sensors/sensor-1/temperature seq=0 celsius=20.00",
      "reading sensors/sensor-1/temperature seq=1 celsius=21.64",
      "reading sensors/sensor-1/temperature seq=2 celsius=23.09",
    ]);
    assert.ok(lines.includes("status sensors/sensor-1/status online"), r.out);
    assert.equal(lines.at(-1), "done after 3 readings");
    assert.ok(!lines.some((l) => l.startsWith("other ")), r.out);
  } finally {
    await reap(sub);
    await b.stop();
  }
});

test("examples/subscriber.ts shows the sensor's retained status, and the will after a crash", async () => {
  const b = await startMosquitto({ global: ["log_dest stderr"] });
  let sensor: Proc | undefined;
  try {
    const url = `mqtt://127.0.0.1:${b.port}`;
    // A long run we kill mid-way: the broker must publish the last will.
    sensor = example("sensor_publisher.ts", [url, "--count", "1000", "--interval", "1000"]);
    await waitForOutput(sensor, "seq=0");
    sensor.child.kill("SIGKILL");
    await sensor.done;
    await waitForLog(b, "Client sensor-1 closed its connection");
    const sub = example("subscriber.ts", [url, "--count", "1"]);
    await waitForOutput(sub, "status sensors/sensor-1/status offline (retained)");
    await reap(sub);
  } finally {
    await reap(sensor);
    await b.stop();
  }
});

test("examples/umqtt_port.ts runs the ported umqtt.simple program and prints bytes like MicroPython", async () => {
  const b = await startMosquitto();
  try {
    const r = await example("umqtt_port.ts", ["--count", "2"], { MQTT_URL: `mqtt://127.0.0.1:${b.port}` }).done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.out, "b'umqtt/demo/out' b'hello'\nb'umqtt/demo/out' b'hello'\n");
  } finally {
    await b.stop();
  }
});

test("examples/robust_reconnect.ts rides out a broker restart and gets every message acknowledged", async () => {
  let b = await startMosquitto();
  const port = b.port;
  let p: Proc | undefined;
  try {
    p = example("robust_reconnect.ts", ["--count", "12", "--interval", "100"], {
      MQTT_URL: `mqtt://127.0.0.1:${port}`,
    });
    await waitForOutput(p, "acknowledged 2");
    await b.stop();
    await waitForOutput(p, "connection lost");
    b = await startMosquitto({ port });
    const r = await p.done;
    assert.equal(r.code, 0, r.stderr);
    const lines = r.out.trimEnd().split("\n");
    assert.ok(lines.some((l) => l.startsWith("reconnected")), r.out);
    for (let i = 0; i < 12; i++) assert.ok(lines.includes(`acknowledged ${i}`), `message ${i}: ${r.out}`);
    assert.equal(lines.at(-1), "done: 12 acknowledged");
  } finally {
    await reap(p);
    await b.stop();
  }
});
