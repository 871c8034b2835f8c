// ESP32 Arduino glue for the MQTT tap. Everything that matters is in
// lib/mqtt_tap; this file only adapts WiFiServer/WiFiClient, Serial,
// Preferences (NVS) and esp_timer to the core's interfaces.
//
// NOTE: this file cannot be compiled in the project's CI (no ESP32 toolchain).
// It has been written against arduino-esp32 2.x/3.x APIs but not built or run.
#include <Arduino.h>
#include <Preferences.h>
#include <WiFi.h>
#include <esp_timer.h>
#include <lwip/sockets.h>

#include <string>

#include "mqtt_tap.h"

#ifndef TAP_SERIAL_BAUD
#define TAP_SERIAL_BAUD 921600
#endif
#ifndef TAP_LISTEN_PORT
#define TAP_LISTEN_PORT 1883
#endif

namespace {

class WiFiStream : public tap::Stream {
 public:
  explicit WiFiStream(const WiFiClient& c) : client_(c) { client_.setNoDelay(true); }
  int read(uint8_t* buf, size_t cap) override {
    int avail = client_.available();
    if (avail > 0) {
      int n = client_.read(buf, cap < static_cast<size_t>(avail) ? cap : static_cast<size_t>(avail));
      return n > 0 ? n : tap::IO_AGAIN;
    }
    if (!client_.connected()) return tap::IO_EOF;  // WiFiClient cannot tell FIN from RST
    return tap::IO_AGAIN;
  }
  int write(const uint8_t* buf, size_t len) override {
    if (!client_.connected()) return tap::IO_RESET;
    size_t n = client_.write(buf, len);
    if (n == 0 && len > 0 && !client_.connected()) return tap::IO_RESET;
    return static_cast<int>(n);
  }
  void close() override { client_.stop(); }
  void abort() override {
    int fd = client_.fd();
    if (fd >= 0) {
      struct linger lg = {1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    client_.stop();
  }

 private:
  WiFiClient client_;
};

class WiFiNetwork : public tap::Network {
 public:
  explicit WiFiNetwork(WiFiServer& s) : server_(s) {}
  tap::Stream* accept() override {
    WiFiClient c = server_.accept();
    if (!c) return nullptr;
    return new WiFiStream(c);
  }
  tap::Stream* connect(const std::string& host, uint16_t port, std::string& err) override {
    if (WiFi.status() != WL_CONNECTED) {
      err = "wifi not connected";
      return nullptr;
    }
    WiFiClient c;
    if (!c.connect(host.c_str(), port, 3000)) {
      err = "cannot connect to " + host + ":" + std::to_string(port);
      return nullptr;
    }
    return new WiFiStream(c);
  }
  void release(tap::Stream* s) override { delete s; }

 private:
  WiFiServer& server_;
};

class EspClock : public tap::Clock {
 public:
  uint64_t micros() override { return static_cast<uint64_t>(esp_timer_get_time()); }
};

class UsbSerial : public tap::SerialPort {
 public:
  size_t writable() override {
    int n = Serial.availableForWrite();
    return n > 0 ? static_cast<size_t>(n) : 0;
  }
  size_t write(const uint8_t* b, size_t n) override { return Serial.write(b, n); }
  int read() override { return Serial.available() > 0 ? Serial.read() : -1; }
};

class NvsSettings : public tap::Settings {
 public:
  void begin() { prefs_.begin("mqtt-tap", false); }
  bool get(const char* k, std::string& out) override {
    if (!prefs_.isKey(k)) return false;
    out = prefs_.getString(k, "").c_str();
    return true;
  }
  bool put(const char* k, const std::string& v) override { return prefs_.putString(k, v.c_str()) == v.size(); }
  bool clear() override { return prefs_.clear(); }

 private:
  Preferences prefs_;
};

class EspPlatform : public tap::Platform {
 public:
  void wifi_begin(const std::string& ssid, const std::string& pass) override {
    WiFi.disconnect();
    WiFi.mode(WIFI_STA);
    WiFi.setSleep(false);  // modem sleep adds 100+ ms latency to forwarded packets
    WiFi.begin(ssid.c_str(), pass.c_str());
  }
  std::string wifi_status() override {
    if (WiFi.status() != WL_CONNECTED) return "disconnected";
    return std::string("connected ip=") + WiFi.localIP().toString().c_str() + " rssi=" + std::to_string(WiFi.RSSI());
  }
  void restart() override {
    Serial.flush();
    delay(50);
    ESP.restart();
  }
};

WiFiServer server(TAP_LISTEN_PORT);
WiFiNetwork net(server);
EspClock clk;
UsbSerial serial_port;
NvsSettings settings;
EspPlatform platform;
tap::Tap* tap_core = nullptr;
tap::Console* console = nullptr;
bool was_connected = false;

}  // namespace

void setup() {
  Serial.setTxBufferSize(8192);  // must precede begin()
  Serial.setRxBufferSize(512);
  Serial.begin(TAP_SERIAL_BAUD);
  settings.begin();
  tap::TapConfig cfg;
  cfg.listen_port = TAP_LISTEN_PORT;
  cfg.ring_capacity = 48 * 1024;
  cfg.packet_cap = 24 * 1024;  // n10 sends a 16388-byte SUBSCRIBE; its hex line (33 KB) still fits the ring
  cfg.max_connections = 4;
  tap::load_settings(settings, cfg);
  std::string ssid, pass;
  if (settings.get("ssid", ssid) && settings.get("pass", pass)) platform.wifi_begin(ssid, pass);
  server.setNoDelay(true);
  server.begin();
  tap_core = new tap::Tap(net, clk, serial_port, cfg);
  console = new tap::Console(*tap_core, settings, platform);
  tap_core->begin();
  if (ssid.empty()) tap_core->recorder().console("no wifi credentials stored; use: wifi <ssid> <password>");
}

void loop() {
  bool connected = WiFi.status() == WL_CONNECTED;
  if (connected != was_connected) {
    was_connected = connected;
    std::string ip = connected ? WiFi.localIP().toString().c_str() : "-";
    tap_core->set_ip(ip);
    tap_core->recorder().console(connected ? "wifi connected ip=" + ip : std::string("wifi disconnected"));
  }
  console->poll(serial_port);
  if (!tap_core->poll()) delay(1);
}
