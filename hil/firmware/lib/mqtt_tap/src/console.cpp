#include "console.h"

namespace tap {

bool split_words(const std::string& line, std::vector<std::string>& out, std::string& err) {
  out.clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i >= line.size()) break;
    std::string word;
    if (line[i] == '"') {
      i++;
      bool closed = false;
      while (i < line.size()) {
        char ch = line[i++];
        if (ch == '\\' && i < line.size()) {
          word.push_back(line[i++]);
        } else if (ch == '"') {
          closed = true;
          break;
        } else {
          word.push_back(ch);
        }
      }
      if (!closed) {
        err = "unterminated quote";
        return false;
      }
    } else {
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') word.push_back(line[i++]);
    }
    out.push_back(word);
  }
  return true;
}

static bool parse_port(const std::string& s, uint16_t& port) {
  if (s.empty() || s.size() > 5) return false;
  unsigned long v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + static_cast<unsigned long>(ch - '0');
  }
  if (v < 1 || v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

void load_settings(Settings& settings, TapConfig& cfg) {
  std::string host, port;
  uint16_t p = 0;
  if (settings.get("up_host", host) && !host.empty()) cfg.upstream_host = host;
  if (settings.get("up_port", port) && parse_port(port, p)) cfg.upstream_port = p;
}

void Console::reply(const std::string& text) { tap_.recorder().console(text); }

void Console::poll(SerialPort& serial) {
  for (int budget = 0; budget < 512; budget++) {
    int ch = serial.read();
    if (ch < 0) return;
    if (ch == '\r' || ch == '\n') {
      if (overflow_) {
        reply("err line too long (max 256 bytes); ignored");
      } else if (!line_.empty()) {
        execute(line_);
      }
      line_.clear();
      overflow_ = false;
      continue;
    }
    if (line_.size() >= kMaxLine) {
      overflow_ = true;
      continue;
    }
    line_.push_back(static_cast<char>(ch));
  }
}

void Console::execute(const std::string& line) {
  std::vector<std::string> w;
  std::string err;
  if (!split_words(line, w, err)) {
    reply("err cannot parse command: " + err);
    return;
  }
  if (w.empty()) return;
  const std::string& cmd = w[0];
  if (cmd == "help") {
    reply("ok commands: help | status | wifi <ssid> <password> | upstream <host> <port> | forget | reset");
  } else if (cmd == "status") {
    const TapConfig& c = tap_.config();
    std::string s = "status version=" MQTT_TAP_VERSION " wifi=";
    std::string ws = platform_.wifi_status();
    for (char& ch : ws) if (ch == ' ') ch = ',';
    s += ws;
    s += " listen=";
    append_u64(s, c.listen_port);
    s += " upstream=" + (c.upstream_host.empty() ? std::string("-") : c.upstream_host) + ":";
    append_u64(s, c.upstream_port);
    s += " conns=";
    append_u64(s, tap_.open_connections());
    s += " seen=";
    append_u64(s, tap_.connections_seen());
    s += " seq=";
    append_u64(s, tap_.recorder().next_seq());
    s += " lost=";
    append_u64(s, tap_.recorder().lost_total());
    s += " ring=";
    append_u64(s, tap_.recorder().ring().used());
    s += "/";
    append_u64(s, tap_.recorder().ring().capacity());
    reply(s);
  } else if (cmd == "wifi") {
    if (w.size() != 3) {
      reply("err usage: wifi <ssid> <password> (quote names with spaces)");
      return;
    }
    if (w[1].empty() || w[1].size() > 32) {
      reply("err wifi ssid must be 1-32 bytes");
      return;
    }
    if (w[2].size() > 63) {
      reply("err wifi password must be at most 63 bytes");
      return;
    }
    if (!settings_.put("ssid", w[1]) || !settings_.put("pass", w[2])) {
      reply("err cannot store wifi credentials");
      return;
    }
    platform_.wifi_begin(w[1], w[2]);
    reply("ok wifi ssid=\"" + w[1] + "\" password stored (not shown)");
  } else if (cmd == "upstream") {
    uint16_t port = 0;
    if (w.size() != 3) {
      reply("err usage: upstream <host> <port>");
      return;
    }
    if (!parse_port(w[2], port)) {
      reply("err upstream port \"" + w[2] + "\" must be a number from 1 to 65535");
      return;
    }
    if (!settings_.put("up_host", w[1]) || !settings_.put("up_port", w[2])) {
      reply("err cannot store upstream");
      return;
    }
    tap_.set_upstream(w[1], port);
    reply("ok upstream " + w[1] + ":" + w[2] + " (new connections)");
  } else if (cmd == "forget") {
    if (!settings_.clear()) {
      reply("err cannot erase settings");
      return;
    }
    reply("ok settings erased");
  } else if (cmd == "reset") {
    reply("ok restarting");
    platform_.restart();
  } else {
    reply("err unknown command \"" + cmd + "\"; try \"help\"");
  }
}

}  // namespace tap
