// Incremental MQTT packet framer for one direction of one connection.
// Boundaries come only from the fixed header: first byte, Remaining Length
// varint (1-4 bytes), then that many bytes. TCP read sizes never matter.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <vector>

namespace tap {

/// Receives what the assembler finds.
class PacketSink {
 public:
  virtual ~PacketSink() {}
  /// A whole packet of `len` bytes; `bytes`/`n` hold it, or its first `n` bytes
  /// when len exceeds the cap. `us` is the arrival time of its first byte.
  virtual void on_packet(uint64_t us, size_t len, const uint8_t* bytes, size_t n) = 0;
  /// Bytes that are not a valid packet: why = "bad-length" (a 5th Remaining
  /// Length byte), "after-bad-length" (everything after that, the framing is
  /// lost for good), or "truncated-at-close" (stream ended mid-packet).
  virtual void on_malformed(uint64_t us, const char* why, const uint8_t* bytes, size_t n) = 0;
};

class PacketAssembler {
 public:
  /// `cap` = most bytes kept per packet; longer packets are reported with their
  /// true length and their first `cap` bytes.
  explicit PacketAssembler(size_t cap = 65536 + 5) : cap_(cap < 5 ? 5 : cap) {}
  /// Feed bytes that arrived at time `us`.
  void feed(const uint8_t* data, size_t n, uint64_t us, PacketSink& sink);
  /// The stream ended: report a partial packet, if any.
  void finish(uint64_t us, PacketSink& sink);
  bool lost_framing() const { return state_ == RAW; }
  bool idle() const { return state_ == FIRST; }

 private:
  enum State { FIRST, LENGTH, BODY, RAW };
  void complete(PacketSink& sink);
  size_t cap_;
  State state_ = FIRST;
  std::vector<uint8_t> buf_;
  uint64_t start_us_ = 0;
  uint32_t remaining_ = 0;   // Remaining Length value being decoded / body bytes still due
  uint32_t multiplier_ = 1;
  int length_bytes_ = 0;
  size_t total_ = 0;         // whole packet length once the header is known
  size_t seen_ = 0;          // bytes of this packet seen so far (may exceed buf_.size())
};

}  // namespace tap
