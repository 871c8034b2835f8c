// Line-command console on the serial port. Commands (one per line):
//   help                      list commands
//   status                    one "# status ..." line
//   wifi <ssid> <password>    store Wi-Fi credentials in Settings and connect;
//                             the password is never printed back
//   upstream <host> <port>    store the broker to forward to (used for new connections)
//   forget                    erase all stored settings
//   reset                     restart the rig (a new H record with seq 0 follows)
// Arguments may be double-quoted ("My Wi-Fi"); \" and \\ escape inside quotes.
// Replies are "# ok ...", "# err ..." or "# status ..." lines.
#pragma once
#include <string>
#include <vector>

#include "tap.h"
#include "tap_io.h"

namespace tap {

/// Split a command line into words; false (with `err`) on an unterminated quote.
bool split_words(const std::string& line, std::vector<std::string>& out, std::string& err);

class Console {
 public:
  Console(Tap& tap, Settings& settings, Platform& platform) : tap_(tap), settings_(settings), platform_(platform) {}
  /// Read pending bytes from the serial port and run complete lines.
  void poll(SerialPort& serial);
  /// Run one command line (without the newline).
  void execute(const std::string& line);
  static const size_t kMaxLine = 256;

 private:
  void reply(const std::string& text);
  Tap& tap_;
  Settings& settings_;
  Platform& platform_;
  std::string line_;
  bool overflow_ = false;
};

/// Apply stored settings (upstream host/port) to a tap config at boot.
void load_settings(Settings& settings, TapConfig& cfg);

}  // namespace tap
