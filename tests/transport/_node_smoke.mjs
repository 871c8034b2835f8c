// Run by `node` from node_test.ts: import the bundled client and do one
// publish/subscribe round trip per case. Usage:
//   node _node_smoke.mjs <bundle.js> '<json: {cases: [{name, server, options}]}>'
// Prints one JSON line per case: {name, ok, error?}. Exit code 0 even on
// failures: the test asserts the lines.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [bundle, json] = process.argv.slice(2);
const { MQTTClient } = await import(pathToFileURL(bundle).href);
const { cases } = JSON.parse(json);

for (const c of cases) {
  const options = { ...c.options };
  if (options.tls && options.tls.caFile) {
    const { caFile, certFile, keyFile, ...rest } = options.tls;
    options.tls = {
      ...rest,
      caCerts: [readFileSync(caFile, "utf8")],
      ...(certFile ? { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") } : {}),
    };
  }
  const topic = `umqtt/node/${c.name}/${Date.now()}`;
  const payload = new Uint8Array([0, 1, 2, 254, 255]);
  const got = [];
  try {
    const client = new MQTTClient(`node-${c.name}`, c.server, { ...options, callback: (m) => got.push(m) });
    await client.connect({ timeout: 10000 });
    try {
      await client.subscribe(topic, 1);
      await client.publish(topic, payload, { qos: 1 });
      while (got.length === 0) await client.waitMsg();
    } finally {
      await client.disconnect();
    }
    const m = got[0];
    const ok = m.topic === topic && m.qos === 1 && Array.from(m.payload).join() === Array.from(payload).join();
    console.log(
      JSON.stringify({ name: c.name, ok, ...(ok ? {} : { error: `got ${m.topic} ${Array.from(m.payload)}` }) }),
    );
  } catch (e) {
    console.log(JSON.stringify({ name: c.name, ok: false, error: `${e && e.name}: ${e && e.message}` }));
  }
}
