// Scripted fakes for the tap core: sockets fed from a script, a manual clock,
// a serial port with a settable write budget, in-memory settings.
#pragma once
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "mqtt_tap.h"

namespace fake {

struct FakeStream : tap::Stream {
  std::deque<std::vector<uint8_t>> incoming;  // chunks read() returns, one per call
  int end_status = 0;                          // after incoming is empty: 0 = nothing, IO_EOF, IO_RESET
  std::vector<uint8_t> written;
  size_t write_budget = SIZE_MAX;              // bytes write() accepts before returning 0
  bool write_fails = false;
  bool closed = false, aborted = false;
  int read(uint8_t* buf, size_t cap) override {
    if (closed) return tap::IO_RESET;
    if (incoming.empty()) return end_status;
    std::vector<uint8_t>& c = incoming.front();
    size_t n = c.size() < cap ? c.size() : cap;
    std::copy(c.begin(), c.begin() + static_cast<long>(n), buf);
    c.erase(c.begin(), c.begin() + static_cast<long>(n));
    if (c.empty()) incoming.pop_front();
    return static_cast<int>(n);
  }
  int write(const uint8_t* buf, size_t len) override {
    if (write_fails || closed) return tap::IO_RESET;
    size_t n = len < write_budget ? len : write_budget;
    if (write_budget != SIZE_MAX) write_budget -= n;
    written.insert(written.end(), buf, buf + n);
    return static_cast<int>(n);
  }
  void close() override { closed = true; }
  void abort() override { closed = aborted = true; }
  void push(const std::vector<uint8_t>& chunk) { incoming.push_back(chunk); }
};

struct FakeNetwork : tap::Network {
  std::deque<FakeStream*> to_accept;
  std::vector<FakeStream*> upstreams;  // created by connect(), in order
  bool refuse = false;
  std::string last_host;
  uint16_t last_port = 0;
  int released = 0;
  tap::Stream* accept() override {
    if (to_accept.empty()) return nullptr;
    FakeStream* s = to_accept.front();
    to_accept.pop_front();
    return s;
  }
  tap::Stream* connect(const std::string& host, uint16_t port, std::string& err) override {
    last_host = host;
    last_port = port;
    if (refuse) {
      err = "connection refused";
      return nullptr;
    }
    FakeStream* s = new FakeStream();
    upstreams.push_back(s);
    return s;
  }
  void release(tap::Stream*) override { released++; }  // the test owns the fakes
  ~FakeNetwork() {
    for (FakeStream* s : upstreams) delete s;
  }
};

struct FakeClock : tap::Clock {
  uint64_t now = 1000;
  uint64_t micros() override { return now; }
};

struct FakeSerial : tap::SerialPort {
  std::string out;
  size_t budget = SIZE_MAX;  // bytes writable() reports
  std::string in;
  size_t writable() override { return budget; }
  size_t write(const uint8_t* b, size_t n) override {
    size_t k = n < budget ? n : budget;
    if (budget != SIZE_MAX) budget -= k;
    out.append(reinterpret_cast<const char*>(b), k);
    return k;
  }
  int read() override {
    if (in.empty()) return -1;
    int c = static_cast<unsigned char>(in[0]);
    in.erase(0, 1);
    return c;
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    size_t s = 0;
    for (size_t i = 0; i < out.size(); i++) {
      if (out[i] == '\n') {
        v.push_back(out.substr(s, i - s));
        s = i + 1;
      }
    }
    return v;
  }
};

struct FakeSettings : tap::Settings {
  std::map<std::string, std::string> kv;
  bool get(const char* k, std::string& out) override {
    auto it = kv.find(k);
    if (it == kv.end()) return false;
    out = it->second;
    return true;
  }
  bool put(const char* k, const std::string& v) override {
    kv[k] = v;
    return true;
  }
  bool clear() override {
    kv.clear();
    return true;
  }
};

struct FakePlatform : tap::Platform {
  std::string ssid, pass;
  int restarts = 0;
  void wifi_begin(const std::string& s, const std::string& p) override {
    ssid = s;
    pass = p;
  }
  std::string wifi_status() override { return ssid.empty() ? "disconnected" : "connected ip=10.0.0.2"; }
  void restart() override { restarts++; }
};

inline std::vector<uint8_t> unhex(const std::string& h) {
  std::vector<uint8_t> v;
  for (size_t i = 0; i + 1 < h.size(); i += 2) v.push_back(static_cast<uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
  return v;
}

}  // namespace fake
