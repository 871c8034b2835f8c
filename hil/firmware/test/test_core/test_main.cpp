// Unit tests of the portable tap core with scripted fakes (no sockets, no sleeps).
#include <cstdio>
#include <string>
#include <vector>

#include "fakes.h"
#include "mini_test.h"
#include "mqtt_tap.h"

using fake::FakeClock;
using fake::FakeNetwork;
using fake::FakePlatform;
using fake::FakeSerial;
using fake::FakeSettings;
using fake::FakeStream;
using fake::unhex;

namespace {

struct Collect : tap::PacketSink {
  std::vector<std::string> events;
  void on_packet(uint64_t us, size_t len, const uint8_t* b, size_t n) override {
    std::string h;
    tap::append_hex(h, b, n);
    events.push_back("P " + std::to_string(us) + " " + std::to_string(len) + " " + h);
  }
  void on_malformed(uint64_t us, const char* why, const uint8_t* b, size_t n) override {
    std::string h;
    tap::append_hex(h, b, n);
    events.push_back("M " + std::to_string(us) + " " + why + " " + h);
  }
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += x + "\n";
  return s;
}

// Check the CRC of a record line the way the host does.
bool crc_ok(const std::string& line) {
  size_t sp = line.rfind(' ');
  if (sp == std::string::npos || line.size() - sp != 9) return false;
  uint32_t c = tap::crc32(reinterpret_cast<const uint8_t*>(line.data()), sp);
  char want[9];
  std::snprintf(want, sizeof want, "%08x", c);
  return line.substr(sp + 1) == want;
}

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::string err;
  tap::split_words(line, out, err);
  return out;
}

// Records of a type, crc checked.
std::vector<std::vector<std::string>> records(const FakeSerial& s, char type) {
  std::vector<std::vector<std::string>> out;
  for (auto& l : s.lines()) {
    if (!l.empty() && l[0] == type && crc_ok(l)) out.push_back(fields(l));
  }
  return out;
}

const char* kConnect = "101400044d515454040200000008756d7174742d6131";
const char* kConnack = "20020000";
const char* kPublishQ1 = "3212000a756d7174742f66312f74000171312d61";
const char* kDisconnect = "e000";

tap::TapConfig cfg(size_t ring = 65536) {
  tap::TapConfig c;
  c.upstream_host = "broker.local";
  c.upstream_port = 1883;
  c.ring_capacity = ring;
  c.packet_cap = 4096;
  return c;
}

void run(tap::Tap& t, int n = 20) {
  for (int i = 0; i < n; i++) t.poll();
}

}  // namespace

TEST("crc32() matches the IEEE check value for \"123456789\"") {
  const char* s = "123456789";
  CHECK_EQ(tap::crc32(reinterpret_cast<const uint8_t*>(s), 9), 0xCBF43926u);
  CHECK_EQ(tap::crc32(nullptr, 0), 0u);
  // incremental use gives the same result
  uint32_t part = tap::crc32(reinterpret_cast<const uint8_t*>(s), 4);
  CHECK_EQ(tap::crc32(reinterpret_cast<const uint8_t*>(s) + 4, 5, part), 0xCBF43926u);
}

TEST("PacketAssembler yields the same packets for every split point of a stream") {
  std::vector<uint8_t> stream = unhex(std::string(kConnect) + kPublishQ1 + "c000" + kDisconnect);
  Collect whole;
  tap::PacketAssembler a;
  a.feed(stream.data(), stream.size(), 7, whole);
  CHECK_EQ(whole.events.size(), 4u);
  CHECK_EQ(whole.events[0], std::string("P 7 22 ") + kConnect);
  CHECK_EQ(whole.events[2], std::string("P 7 2 c000"));
  for (size_t cut = 1; cut < stream.size(); cut++) {
    Collect c;
    tap::PacketAssembler b;
    b.feed(stream.data(), cut, 7, c);
    b.feed(stream.data() + cut, stream.size() - cut, 7, c);
    CHECK_EQ(join(c.events), join(whole.events));
  }
  // and byte by byte
  Collect c1;
  tap::PacketAssembler b1;
  for (size_t i = 0; i < stream.size(); i++) b1.feed(&stream[i], 1, 7, c1);
  CHECK_EQ(join(c1.events), join(whole.events));
}

TEST("PacketAssembler stamps a packet with the arrival time of its first byte") {
  std::vector<uint8_t> p = unhex(kPublishQ1);
  Collect c;
  tap::PacketAssembler a;
  a.feed(p.data(), 3, 100, c);
  a.feed(p.data() + 3, p.size() - 3, 250, c);
  CHECK_EQ(c.events.size(), 1u);
  CHECK_EQ(c.events[0], std::string("P 100 20 ") + kPublishQ1);
}

TEST("PacketAssembler decodes 1-4 byte Remaining Lengths (127, 128, 16383, 16384, 2097152)") {
  const uint32_t lens[] = {0, 127, 128, 16383, 16384, 2097152};
  for (uint32_t rl : lens) {
    std::vector<uint8_t> p;
    p.push_back(0x30);
    uint32_t v = rl;
    do {
      uint8_t b = v % 128;
      v /= 128;
      if (v) b |= 0x80;
      p.push_back(b);
    } while (v);
    size_t header = p.size();
    p.resize(header + rl, 0xAB);
    Collect c;
    tap::PacketAssembler a(64);
    for (size_t off = 0; off < p.size(); off += 1000) {
      size_t n = p.size() - off < 1000 ? p.size() - off : 1000;
      a.feed(p.data() + off, n, 1, c);
    }
    CHECK_EQ(c.events.size(), 1u);
    if (c.events.size() == 1) {
      std::vector<std::string> f = fields(c.events[0]);
      CHECK_EQ(f[2], std::to_string(header + rl));
      // at most `cap` (64) bytes are kept for a long packet
      CHECK_EQ(f[3].size(), 2 * (header + rl < 64 ? header + rl : 64));
    }
    CHECK(a.idle());
  }
}

TEST("PacketAssembler flags a 5-byte Remaining Length as bad-length and reports the rest raw") {
  std::vector<uint8_t> bad = unhex("30ffffffff7f0102");
  Collect c;
  tap::PacketAssembler a;
  a.feed(bad.data(), bad.size(), 5, c);
  std::vector<uint8_t> more = unhex("e000");
  a.feed(more.data(), more.size(), 6, c);
  CHECK_EQ(c.events.size(), 3u);
  CHECK_EQ(c.events[0], std::string("M 5 bad-length 30ffffffff"));
  CHECK_EQ(c.events[1], std::string("M 5 after-bad-length 7f0102"));
  CHECK_EQ(c.events[2], std::string("M 6 after-bad-length e000"));
  CHECK(a.lost_framing());
}

TEST("PacketAssembler::finish() reports a packet cut short by the end of the stream") {
  std::vector<uint8_t> p = unhex(kPublishQ1);
  Collect c;
  tap::PacketAssembler a;
  a.feed(p.data(), 5, 9, c);
  a.finish(10, c);
  CHECK_EQ(c.events.size(), 1u);
  CHECK_EQ(c.events[0], std::string("M 9 truncated-at-close 3212000a75"));
  Collect idle;
  a.finish(11, idle);
  CHECK(idle.events.empty());
}

TEST("Tap forwards both directions byte-exactly and records one R line per packet") {
  FakeNetwork net;
  FakeClock clock;
  FakeSerial serial;
  FakeStream client;
  net.to_accept.push_back(&client);
  tap::Tap t(net, clock, serial, cfg());
  t.begin();
  // CONNECT split across three reads at awkward places, then PUBLISH + DISCONNECT in one read.
  std::vector<uint8_t> conn = unhex(kConnect);
  client.push(std::vector<uint8_t>(conn.begin(), conn.begin() + 1));
  client.push(std::vector<uint8_t>(conn.begin() + 1, conn.begin() + 13));
  client.push(std::vector<uint8_t>(conn.begin() + 13, conn.end()));
  t.poll();  // accept + first read
  CHECK_EQ(net.upstreams.size(), 1u);
  CHECK_EQ(net.last_host, std::string("broker.local"));
  FakeStream* up = net.upstreams[0];
  clock.now = 2000;
  run(t, 3);
  up->push(unhex(kConnack));
  clock.now = 3000;
  run(t, 3);
  client.push(unhex(std::string(kPublishQ1) + kDisconnect));
  run(t, 3);
  client.end_status = tap::IO_EOF;
  run(t, 3);
  CHECK(up->written == unhex(std::string(kConnect) + kPublishQ1 + kDisconnect));
  CHECK(client.written == unhex(kConnack));
  auto r = records(serial, 'R');
  CHECK_EQ(r.size(), 4u);
  if (r.size() == 4) {
    CHECK_EQ(r[0][2], std::string("1000"));  // first byte arrived at t=1000
    CHECK_EQ(r[0][3], std::string("0"));
    CHECK_EQ(r[0][4], std::string("c2s"));
    CHECK_EQ(r[0][5], std::string("22"));
    CHECK_EQ(r[0][6], std::string(kConnect));
    CHECK_EQ(r[1][4], std::string("s2c"));
    CHECK_EQ(r[1][6], std::string(kConnack));
    CHECK_EQ(r[3][6], std::string(kDisconnect));
  }
  auto h = records(serial, 'H');
  CHECK_EQ(h.size(), 1u);
  CHECK_EQ(h[0][1], std::string("0"));
  auto cl = records(serial, 'C');
  CHECK_EQ(cl.size(), 1u);
  if (cl.size() == 1) {
    CHECK_EQ(cl[0][4], std::string("c2s"));
    CHECK_EQ(cl[0][5], std::string("eof"));
  }
  CHECK(up->closed && !up->aborted);  // FIN after FIN
  CHECK_EQ(t.open_connections(), 0u);
  // every line is a record with a valid CRC and consecutive sequence numbers
  uint32_t expect = 0;
  for (auto& l : serial.lines()) {
    CHECK(crc_ok(l));
    CHECK_EQ(fields(l)[1], std::to_string(expect++));
  }
}

TEST("Tap closes the client with RST when the broker resets, and reports who ended first") {
  FakeNetwork net;
  FakeClock clock;
  FakeSerial serial;
  FakeStream client;
  net.to_accept.push_back(&client);
  tap::Tap t(net, clock, serial, cfg());
  t.begin();
  client.push(unhex(kConnect));
  run(t, 2);
  net.upstreams[0]->end_status = tap::IO_RESET;
  run(t, 2);
  auto cl = records(serial, 'C');
  CHECK_EQ(cl.size(), 1u);
  if (cl.size() == 1) {
    CHECK_EQ(cl[0][4], std::string("s2c"));
    CHECK_EQ(cl[0][5], std::string("reset"));
  }
  CHECK(client.aborted);
}

TEST("Tap keeps bytes the destination did not accept and sends them later, in order") {
  FakeNetwork net;
  FakeClock clock;
  FakeSerial serial;
  FakeStream client;
  net.to_accept.push_back(&client);
  tap::Tap t(net, clock, serial, cfg());
  t.begin();
  t.poll();
  FakeStream* up = net.upstreams[0];
  up->write_budget = 5;
  client.push(unhex(kConnect));
  client.push(unhex(kPublishQ1));
  run(t, 4);
  CHECK_EQ(up->written.size(), 5u);
  up->write_budget = SIZE_MAX;
  run(t, 4);
  CHECK(up->written == unhex(std::string(kConnect) + kPublishQ1));
  CHECK_EQ(records(serial, 'R').size(), 2u);
}

TEST("Tap records a trailing partial packet as M truncated-at-close") {
  FakeNetwork net;
  FakeClock clock;
  FakeSerial serial;
  FakeStream client;
  net.to_accept.push_back(&client);
  tap::Tap t(net, clock, serial, cfg());
  t.begin();
  client.push(unhex("3212000a75"));
  client.end_status = tap::IO_EOF;
  run(t, 4);
  auto m = records(serial, 'M');
  CHECK_EQ(m.size(), 1u);
  if (m.size() == 1) {
    CHECK_EQ(m[0][5], std::string("truncated-at-close"));
    CHECK_EQ(m[0][6], std::string("3212000a75"));
  }
}

TEST("Tap keeps forwarding after a malformed Remaining Length") {
  FakeNetwork net;
  FakeClock clock;
  FakeSerial serial;
  FakeStream client;
  net.to_accept.push_back(&client);
  tap::Tap t(net, clock, serial, cfg());
  t.begin();
  client.push(unhex("30ffffffff7f"));
  client.push(unhex("c000"));
  run(t, 4);
  CHECK(net.upstreams[0]->written == unhex("30ffffffff7fc000"));
  auto m = records(serial, 'M');
  CHECK_EQ(m.size(), 3u);
  if (m.size() == 3) {
    CHECK_EQ(m[0][5], std::string("bad-length"));
    CHECK_EQ(m[0][6], std::string("30ffffffff"));
    CHECK_EQ(m[1][5], std::string("after-bad-length"));
    CHECK_EQ(m[1][6], std::string("7f"));
    CHECK_EQ(m[2][6], std::string("c000"));
  }
  // the s2c direction still frames normally
  net.upstreams[0]->push(unhex(kConnack));
  run(t, 2);
  CHECK_EQ(records(serial, 'R').size(), 1u);
}

TEST("Tap never stalls forwarding when the serial port is stuck; an L record counts the loss") {
  FakeNetwork net;
  FakeClock clock;
  FakeSerial serial;
  serial.budget = 0;  // host not reading at all
  FakeStream client;
  net.to_accept.push_back(&client);
  tap::Tap t(net, clock, serial, cfg(300));
  t.begin();
  std::string all;
  for (int i = 0; i < 20; i++) {
    client.push(unhex(kPublishQ1));
    all += kPublishQ1;
    run(t, 1);
  }
  run(t, 3);
  CHECK(net.upstreams[0]->written == unhex(all));  // forwarding went on
  CHECK(t.recorder().lost_total() > 0u);
  uint32_t lost = t.recorder().lost_total();
  serial.budget = SIZE_MAX;  // the host reads again
  run(t, 2);                 // the ring drains and the loss is reported without new traffic
  CHECK_EQ(t.recorder().lost_pending(), 0u);
  client.push(unhex(kDisconnect));
  run(t, 3);
  auto lines = serial.lines();
  // seq numbers: consecutive, except a gap that the L record right after it explains
  uint32_t expect = 0;
  uint32_t explained = 0;
  for (auto& l : lines) {
    CHECK(crc_ok(l));
    auto f = fields(l);
    uint32_t seq = static_cast<uint32_t>(std::stoul(f[1]));
    if (f[0] == "L") {
      uint32_t count = static_cast<uint32_t>(std::stoul(f[2]));
      CHECK_EQ(seq, expect + count);
      explained += count;
      expect = seq + 1;
      continue;
    }
    CHECK_EQ(seq, expect);
    expect = seq + 1;
  }
  CHECK_EQ(explained, lost);
  CHECK(!records(serial, 'L').empty());
  // the newest packet made it after the loss record
  auto r = records(serial, 'R');
  CHECK(!r.empty() && r.back()[6] == kDisconnect);
}

TEST("Tap drains the ring as far as a slow serial port allows, never tearing a line") {
  FakeNetwork net;
  FakeClock clock;
  FakeSerial serial;
  FakeStream client;
  net.to_accept.push_back(&client);
  tap::Tap t(net, clock, serial, cfg());
  t.begin();
  client.push(unhex(std::string(kConnect) + kPublishQ1));
  for (int i = 0; i < 200; i++) {
    serial.budget = 7;  // 7 bytes per poll
    t.poll();
  }
  auto lines = serial.lines();
  CHECK_EQ(lines.size(), 4u);  // H, O, R, R
  for (auto& l : lines) CHECK(crc_ok(l));
  CHECK_EQ(t.recorder().lost_total(), 0u);
}

TEST("Tap reports a refused upstream with a U record and closes the client") {
  FakeNetwork net;
  net.refuse = true;
  FakeClock clock;
  FakeSerial serial;
  FakeStream client;
  net.to_accept.push_back(&client);
  tap::Tap t(net, clock, serial, cfg());
  t.begin();
  run(t, 2);
  auto u = records(serial, 'U');
  CHECK_EQ(u.size(), 1u);
  if (u.size() == 1) CHECK_EQ(u[0][4], std::string("connection_refused"));
  CHECK(client.aborted);
  CHECK_EQ(t.open_connections(), 0u);
}

TEST("Tap numbers connections and restart() starts a new session at seq 0") {
  FakeNetwork net;
  FakeClock clock;
  FakeSerial serial;
  FakeStream a, b;
  net.to_accept.push_back(&a);
  net.to_accept.push_back(&b);
  tap::Tap t(net, clock, serial, cfg());
  t.begin();
  run(t, 3);
  auto o = records(serial, 'O');
  CHECK_EQ(o.size(), 2u);
  if (o.size() == 2) {
    CHECK_EQ(o[0][3], std::string("0"));
    CHECK_EQ(o[1][3], std::string("1"));
    CHECK_EQ(o[1][4], std::string("broker.local:1883"));
  }
  t.restart();
  run(t, 1);
  CHECK(a.aborted && b.aborted);
  auto h = records(serial, 'H');
  CHECK_EQ(h.size(), 2u);
  if (h.size() == 2) CHECK_EQ(h[1][1], std::string("0"));
}

TEST("split_words() handles quotes, escapes and blanks") {
  std::vector<std::string> w;
  std::string err;
  CHECK(tap::split_words("  wifi \"My Net\"  \"p\\\"a ss\" ", w, err));
  CHECK_EQ(w.size(), 3u);
  if (w.size() == 3) {
    CHECK_EQ(w[1], std::string("My Net"));
    CHECK_EQ(w[2], std::string("p\"a ss"));
  }
  CHECK(tap::split_words("", w, err) && w.empty());
  CHECK(!tap::split_words("wifi \"open", w, err));
  CHECK_EQ(err, std::string("unterminated quote"));
}

namespace {
struct ConsoleRig {
  FakeNetwork net;
  FakeClock clock;
  FakeSerial serial;
  FakeSettings settings;
  FakePlatform platform;
  tap::Tap tap{net, clock, serial, cfg()};
  tap::Console console{tap, settings, platform};
  std::vector<std::string> say(const std::string& input) {
    serial.out.clear();
    serial.in += input;
    console.poll(serial);
    tap.poll();
    std::vector<std::string> replies;
    for (auto& l : serial.lines())
      if (l.rfind("# ", 0) == 0) replies.push_back(l);
    return replies;
  }
};
}  // namespace

TEST("Console wifi stores credentials, connects, and never echoes the password") {
  ConsoleRig r;
  auto rep = r.say("wifi \"Lab Net\" s3cr3t-pw\r\n");
  CHECK_EQ(rep.size(), 1u);
  if (rep.size() == 1) CHECK_EQ(rep[0], std::string("# ok wifi ssid=\"Lab Net\" password stored (not shown)"));
  CHECK_EQ(r.settings.kv["ssid"], std::string("Lab Net"));
  CHECK_EQ(r.settings.kv["pass"], std::string("s3cr3t-pw"));
  CHECK_EQ(r.platform.pass, std::string("s3cr3t-pw"));
  CHECK(r.serial.out.find("s3cr3t") == std::string::npos);
  auto st = r.say("status\n");
  CHECK(st.size() == 1 && st[0].find("s3cr3t") == std::string::npos);
  CHECK(st.size() == 1 && st[0].find("wifi=connected,ip=10.0.0.2") != std::string::npos);
  auto bad = r.say("wifi onlyssid\n");
  CHECK(bad.size() == 1 && bad[0].rfind("# err usage: wifi", 0) == 0);
}

TEST("Console upstream validates the port and applies to the next connection") {
  ConsoleRig r;
  auto rep = r.say("upstream 10.1.2.3 1884\n");
  CHECK(rep.size() == 1 && rep[0] == "# ok upstream 10.1.2.3:1884 (new connections)");
  CHECK_EQ(r.tap.config().upstream_port, 1884);
  CHECK_EQ(r.settings.kv["up_host"], std::string("10.1.2.3"));
  auto bad = r.say("upstream host 70000\n");
  CHECK(bad.size() == 1 && bad[0] == "# err upstream port \"70000\" must be a number from 1 to 65535");
  auto bad2 = r.say("upstream host 18x3\n");
  CHECK(bad2.size() == 1 && bad2[0].find("\"18x3\"") != std::string::npos);
  CHECK_EQ(r.tap.config().upstream_port, 1884);
  FakeStream client;
  r.net.to_accept.push_back(&client);
  r.tap.poll();
  CHECK_EQ(r.net.last_host, std::string("10.1.2.3"));
  CHECK_EQ(r.net.last_port, 1884);
  // stored settings are applied at boot
  tap::TapConfig boot;
  tap::load_settings(r.settings, boot);
  CHECK_EQ(boot.upstream_host, std::string("10.1.2.3"));
  CHECK_EQ(boot.upstream_port, 1884);
}

TEST("Console rejects unknown commands and over-long lines, and handles reset/forget/help") {
  ConsoleRig r;
  auto u = r.say("frobnicate now\n");
  CHECK(u.size() == 1 && u[0] == "# err unknown command \"frobnicate\"; try \"help\"");
  auto l = r.say(std::string(300, 'x') + "\nstatus\n");
  CHECK_EQ(l.size(), 2u);
  if (l.size() == 2) {
    CHECK(l[0].rfind("# err line too long", 0) == 0);
    CHECK(l[1].rfind("# status ", 0) == 0);
  }
  r.say("reset\n");
  CHECK_EQ(r.platform.restarts, 1);
  r.settings.kv["x"] = "y";
  auto f = r.say("forget\n");
  CHECK(f.size() == 1 && r.settings.kv.empty());
  auto h = r.say("help\n");
  CHECK(h.size() == 1 && h[0].find("upstream <host> <port>") != std::string::npos);
  auto q = r.say("wifi \"unterminated\n");
  CHECK(q.size() == 1 && q[0] == "# err cannot parse command: unterminated quote");
  // blank lines and CRLF produce nothing
  CHECK(r.say("\r\n\n").empty());
}

int main() { return mini::run_all(); }
