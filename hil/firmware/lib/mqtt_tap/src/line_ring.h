// A byte ring holding whole text lines for the serial link. push() either
// stores a complete line or refuses it, so the serial stream never carries a
// torn record; drain() hands bytes to the serial port as fast as it takes them.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string>
#include <vector>

#include "tap_io.h"

namespace tap {

class LineRing {
 public:
  explicit LineRing(size_t capacity) : buf_(capacity ? capacity : 1) {}
  size_t capacity() const { return buf_.size(); }
  size_t used() const { return used_; }
  size_t free_space() const { return buf_.size() - used_; }
  /// Store the whole line or nothing; returns false when it does not fit.
  bool push(const std::string& line);
  /// Write as much as the serial port accepts now; returns bytes written.
  size_t drain(SerialPort& serial);
  void clear() { head_ = tail_ = used_ = 0; }

 private:
  std::vector<uint8_t> buf_;
  size_t head_ = 0;  // next byte to write out
  size_t tail_ = 0;  // next free slot
  size_t used_ = 0;
};

}  // namespace tap
