#include "line_ring.h"

namespace tap {

bool LineRing::push(const std::string& line) {
  if (line.size() > free_space()) return false;
  for (size_t i = 0; i < line.size(); i++) {
    buf_[tail_] = static_cast<uint8_t>(line[i]);
    tail_ = (tail_ + 1) % buf_.size();
  }
  used_ += line.size();
  return true;
}

size_t LineRing::drain(SerialPort& serial) {
  size_t total = 0;
  while (used_ > 0) {
    size_t room = serial.writable();
    if (room == 0) break;
    size_t contiguous = (head_ < tail_) ? (tail_ - head_) : (buf_.size() - head_);
    if (contiguous > used_) contiguous = used_;
    size_t n = contiguous < room ? contiguous : room;
    size_t w = serial.write(&buf_[head_], n);
    if (w == 0) break;
    head_ = (head_ + w) % buf_.size();
    used_ -= w;
    total += w;
    if (w < n) break;
  }
  return total;
}

}  // namespace tap
