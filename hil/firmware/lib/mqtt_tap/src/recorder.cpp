#include "recorder.h"

#include "crc32.h"

namespace tap {

const char* dir_name(Dir d) { return d == C2S ? "c2s" : "s2c"; }

void append_hex(std::string& out, const uint8_t* bytes, size_t n) {
  static const char digits[] = "0123456789abcdef";
  out.reserve(out.size() + 2 * n);
  for (size_t i = 0; i < n; i++) {
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 15]);
  }
}

void append_u64(std::string& out, uint64_t v) {
  char tmp[24];
  int i = 0;
  do {
    tmp[i++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  while (i) out.push_back(tmp[--i]);
}

void seal_line(std::string& line) {
  uint32_t c = crc32(reinterpret_cast<const uint8_t*>(line.data()), line.size());
  static const char digits[] = "0123456789abcdef";
  line.push_back(' ');
  for (int shift = 28; shift >= 0; shift -= 4) line.push_back(digits[(c >> shift) & 15]);
  line.push_back('\n');
}

bool Recorder::push_with_seq(char type, const std::string& after_seq) {
  std::string line;
  line.reserve(after_seq.size() + 24);
  line.push_back(type);
  line.push_back(' ');
  append_u64(line, seq_++);
  line += after_seq;
  seal_line(line);
  return ring_.push(line);
}

bool Recorder::record(char type, const std::string& after_seq) {
  if (lost_pending_ > 0) {
    // The loss record must come before anything newer, so the host can tell
    // exactly which sequence numbers went missing.
    std::string l = " ";
    append_u64(l, lost_pending_);
    uint32_t saved = seq_;
    if (!push_with_seq('L', l)) {
      seq_ = saved;  // the L record was not written: reuse its number next time
      seq_++;        // ... but the record we were asked to write is lost too
      lost_pending_++;
      lost_total_++;
      return false;
    }
    lost_pending_ = 0;
  }
  if (push_with_seq(type, after_seq)) return true;
  lost_pending_++;
  lost_total_++;
  return false;
}

void Recorder::flush_loss() {
  if (lost_pending_ == 0) return;
  std::string l = " ";
  append_u64(l, lost_pending_);
  uint32_t saved = seq_;
  if (push_with_seq('L', l)) {
    lost_pending_ = 0;
  } else {
    seq_ = saved;
  }
}

bool Recorder::console(const std::string& text) {
  std::string line = "# ";
  line += text;
  line.push_back('\n');
  return ring_.push(line);
}

void Recorder::restart() {
  ring_.clear();
  seq_ = 0;
  lost_pending_ = 0;
  lost_total_ = 0;
}

static std::string head(uint64_t us) {
  std::string s = " ";
  append_u64(s, us);
  return s;
}

bool Recorder::hello(uint64_t us, const std::string& fields) {
  std::string s = head(us);
  s += " ";
  s += fields;
  return record('H', s);
}

bool Recorder::opened(uint64_t us, int conn, const std::string& peer) {
  std::string s = head(us);
  s += " ";
  append_u64(s, static_cast<uint64_t>(conn));
  s += " ";
  s += peer.empty() ? "-" : peer;
  return record('O', s);
}

bool Recorder::upstream_failed(uint64_t us, int conn, const std::string& reason) {
  std::string s = head(us);
  s += " ";
  append_u64(s, static_cast<uint64_t>(conn));
  s += " ";
  for (char ch : reason) s.push_back(ch == ' ' ? '_' : ch);
  return record('U', s);
}

bool Recorder::packet(uint64_t us, int conn, Dir d, size_t len, const uint8_t* bytes, size_t n) {
  std::string s = head(us);
  s += " ";
  append_u64(s, static_cast<uint64_t>(conn));
  s += " ";
  s += dir_name(d);
  s += " ";
  append_u64(s, len);
  s += " ";
  append_hex(s, bytes, n);
  return record('R', s);
}

bool Recorder::malformed(uint64_t us, int conn, Dir d, const char* why, const uint8_t* bytes, size_t n) {
  std::string s = head(us);
  s += " ";
  append_u64(s, static_cast<uint64_t>(conn));
  s += " ";
  s += dir_name(d);
  s += " ";
  s += why;
  s += " ";
  if (n == 0) s += "-";
  append_hex(s, bytes, n);
  return record('M', s);
}

bool Recorder::closed(uint64_t us, int conn, Dir d, const char* how) {
  std::string s = head(us);
  s += " ";
  append_u64(s, static_cast<uint64_t>(conn));
  s += " ";
  s += dir_name(d);
  s += " ";
  s += how;
  return record('C', s);
}

}  // namespace tap
