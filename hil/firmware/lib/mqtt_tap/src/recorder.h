// Formats serial records, numbers them and queues them in the LineRing.
//
// Record lines (one per line, '\n' terminated, fields separated by one space):
//   H <seq> <us> <key=value>...            rig (re)started a capture session; seq restarts at 0
//   O <seq> <us> <conn> <peer>             client connection <conn> accepted and upstream connected
//   U <seq> <us> <conn> <reason>           upstream connect failed; the client was closed
//   R <seq> <us> <conn> <dir> <len> <hex>  one whole MQTT packet; len = packet length in bytes;
//                                          hex holds all of it, or only the first bytes when the
//                                          packet was longer than the rig's packet cap
//   M <seq> <us> <conn> <dir> <why> <hex>  bytes that do not form a valid packet
//                                          why = bad-length | after-bad-length | truncated-at-close
//   C <seq> <us> <conn> <dir> <how>        direction <dir> ended first: eof | reset; the tap then
//                                          closed both sides of the connection
//   L <seq> <count>                        <count> records (seq-count .. seq-1) were dropped
//                                          because the ring was full
// Every record ends with " <crc>": CRC-32 of the line text before that space,
// 8 lowercase hex digits. <dir> is c2s (client to broker) or s2c.
// Console replies are lines starting with "# " and carry no seq or crc.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string>

#include "line_ring.h"

namespace tap {

enum Dir { C2S = 0, S2C = 1 };
const char* dir_name(Dir d);

class Recorder {
 public:
  explicit Recorder(size_t ring_capacity) : ring_(ring_capacity) {}
  LineRing& ring() { return ring_; }
  uint32_t next_seq() const { return seq_; }
  uint32_t lost_total() const { return lost_total_; }
  uint32_t lost_pending() const { return lost_pending_; }

  /// Queue one record (body without seq and crc: "<type>" + " <us> ..." parts are
  /// built by the helpers below). Returns false when it was dropped.
  bool record(char type, const std::string& after_seq);
  /// Queue a console line ("# " prefix added); dropped silently when the ring is full.
  bool console(const std::string& text);
  /// If records were dropped and the ring has room now, write the L record.
  void flush_loss();
  /// Restart numbering (rig reset): clears the ring and counters.
  void restart();

  bool hello(uint64_t us, const std::string& fields);
  bool opened(uint64_t us, int conn, const std::string& peer);
  bool upstream_failed(uint64_t us, int conn, const std::string& reason);
  bool packet(uint64_t us, int conn, Dir d, size_t len, const uint8_t* bytes, size_t n);
  bool malformed(uint64_t us, int conn, Dir d, const char* why, const uint8_t* bytes, size_t n);
  bool closed(uint64_t us, int conn, Dir d, const char* how);

 private:
  bool push_with_seq(char type, const std::string& after_seq);
  LineRing ring_;
  uint32_t seq_ = 0;
  uint32_t lost_pending_ = 0;
  uint32_t lost_total_ = 0;
};

/// Append `n` bytes as lowercase hex.
void append_hex(std::string& out, const uint8_t* bytes, size_t n);
/// Append a decimal number.
void append_u64(std::string& out, uint64_t v);
/// Finish a record line: append " <crc32 hex>\n".
void seal_line(std::string& line);

}  // namespace tap
