#include "packet_assembler.h"

namespace tap {

void PacketAssembler::complete(PacketSink& sink) {
  sink.on_packet(start_us_, total_, buf_.data(), buf_.size());
  buf_.clear();
  state_ = FIRST;
  seen_ = 0;
}

void PacketAssembler::feed(const uint8_t* data, size_t n, uint64_t us, PacketSink& sink) {
  size_t i = 0;
  if (state_ == RAW) {
    if (n) sink.on_malformed(us, "after-bad-length", data, n);
    return;
  }
  while (i < n) {
    switch (state_) {
      case FIRST:
        buf_.clear();
        start_us_ = us;
        buf_.push_back(data[i++]);
        seen_ = 1;
        remaining_ = 0;
        multiplier_ = 1;
        length_bytes_ = 0;
        state_ = LENGTH;
        break;
      case LENGTH: {
        uint8_t b = data[i++];
        buf_.push_back(b);
        seen_++;
        length_bytes_++;
        remaining_ += static_cast<uint32_t>(b & 0x7F) * multiplier_;
        multiplier_ *= 128;
        if (b & 0x80) {
          if (length_bytes_ == 4) {
            // [MQTT-2.2.3] allows at most four Remaining Length bytes.
            sink.on_malformed(start_us_, "bad-length", buf_.data(), buf_.size());
            buf_.clear();
            state_ = RAW;
            if (i < n) sink.on_malformed(us, "after-bad-length", data + i, n - i);
            return;
          }
        } else {
          total_ = 1 + static_cast<size_t>(length_bytes_) + remaining_;
          if (remaining_ == 0) {
            complete(sink);
          } else {
            state_ = BODY;
          }
        }
        break;
      }
      case BODY: {
        size_t want = remaining_;
        size_t take = n - i < want ? n - i : want;
        size_t room = buf_.size() < cap_ ? cap_ - buf_.size() : 0;
        size_t keep = take < room ? take : room;
        buf_.insert(buf_.end(), data + i, data + i + keep);
        i += take;
        seen_ += take;
        remaining_ -= static_cast<uint32_t>(take);
        if (remaining_ == 0) complete(sink);
        break;
      }
      case RAW:
        return;
    }
  }
}

void PacketAssembler::finish(uint64_t us, PacketSink& sink) {
  (void)us;
  if (state_ == LENGTH || state_ == BODY) {
    sink.on_malformed(start_us_, "truncated-at-close", buf_.data(), buf_.size());
  }
  buf_.clear();
  state_ = FIRST;
  seen_ = 0;
}

}  // namespace tap
