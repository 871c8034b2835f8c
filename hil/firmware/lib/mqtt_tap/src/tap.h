// The MQTT tap: forwards every accepted client to the upstream broker, frames
// both directions into packets and records them. poll() never blocks and never
// waits for the serial port: records that do not fit the ring are dropped and
// counted (an L record follows), forwarding goes on.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string>
#include <vector>

#include "packet_assembler.h"
#include "recorder.h"
#include "tap_io.h"

namespace tap {

#define MQTT_TAP_VERSION "1.0.0"

struct TapConfig {
  std::string upstream_host = "";
  uint16_t upstream_port = 1883;
  uint16_t listen_port = 1883;
  std::string ip = "-";            ///< shown in the H record (the board's IP address)
  size_t ring_capacity = 32768;    ///< serial ring size in bytes
  size_t packet_cap = 16384;       ///< most bytes recorded per packet
  size_t max_connections = 4;
  size_t pending_limit = 4096;     ///< stop reading a side while this much is unsent to the other
};

class Tap {
 public:
  Tap(Network& net, Clock& clock, SerialPort& serial, const TapConfig& cfg);
  ~Tap();
  /// Start a capture session: H record with seq 0.
  void begin();
  /// One step: accept, forward, frame, drain the ring to serial. Returns true if
  /// anything moved.
  bool poll();
  /// Close every connection (abort) and start over with seq 0 (rig reset).
  void restart();
  void set_upstream(const std::string& host, uint16_t port);
  const TapConfig& config() const { return cfg_; }
  Recorder& recorder() { return rec_; }
  size_t open_connections() const;
  uint32_t connections_seen() const { return next_conn_; }
  void set_ip(const std::string& ip) { cfg_.ip = ip; }

 private:
  struct Conn;
  bool pump(Conn& c, Dir d);
  void end(Conn& c, Dir first, const char* how);
  void close_all();
  Network& net_;
  Clock& clock_;
  SerialPort& serial_;
  TapConfig cfg_;
  Recorder rec_;
  std::vector<Conn*> conns_;
  uint32_t next_conn_ = 0;
};

}  // namespace tap
