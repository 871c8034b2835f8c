// Interfaces the tap core needs from its platform. The core never includes
// Arduino or POSIX headers; the ESP32 glue (src/main.cpp) and the host
// simulator (sim/posix_io.cpp) implement these, and the unit tests script them.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string>

namespace tap {

/// Result codes of Stream::read / Stream::write besides a byte count.
enum IoStatus : int {
  IO_AGAIN = 0,    ///< nothing available right now (read) / nothing accepted (write)
  IO_EOF = -1,     ///< the peer ended the stream with FIN
  IO_RESET = -2,   ///< the stream failed (RST, broken pipe, ...)
};

/// One TCP connection, non-blocking.
class Stream {
 public:
  virtual ~Stream() {}
  /// Read up to `cap` bytes: a count > 0, IO_AGAIN, IO_EOF or IO_RESET.
  virtual int read(uint8_t* buf, size_t cap) = 0;
  /// Write up to `len` bytes: the count accepted (may be partial or 0), or IO_RESET.
  virtual int write(const uint8_t* buf, size_t len) = 0;
  /// Close gracefully (FIN).
  virtual void close() = 0;
  /// Close with RST when the platform can; FIN otherwise.
  virtual void abort() { close(); }
};

/// Accepts downstream clients and opens upstream connections.
class Network {
 public:
  virtual ~Network() {}
  /// A newly accepted client, or nullptr when none is pending. The core owns it
  /// until it passes it to release().
  virtual Stream* accept() = 0;
  /// Open a connection to the upstream broker; nullptr on failure (`err` says why).
  virtual Stream* connect(const std::string& host, uint16_t port, std::string& err) = 0;
  /// Free a stream returned by accept() or connect() (after close()/abort()).
  virtual void release(Stream* s) = 0;
};

/// Monotonic microsecond clock.
class Clock {
 public:
  virtual ~Clock() {}
  virtual uint64_t micros() = 0;
};

/// The serial link to the host (USB UART on the board, stdout/stdin in rig-sim).
class SerialPort {
 public:
  virtual ~SerialPort() {}
  /// How many bytes write() can take now without blocking.
  virtual size_t writable() = 0;
  /// Write bytes; returns how many were taken. Must not block.
  virtual size_t write(const uint8_t* buf, size_t len) = 0;
  /// One received byte, or -1 when none is pending.
  virtual int read() = 0;
};

/// Persistent key/value settings (NVS "Preferences" on the board).
class Settings {
 public:
  virtual ~Settings() {}
  virtual bool get(const char* key, std::string& out) = 0;
  virtual bool put(const char* key, const std::string& value) = 0;
  virtual bool clear() = 0;
};

/// Board services the console can ask for.
class Platform {
 public:
  virtual ~Platform() {}
  /// Start (or restart) Wi-Fi with these credentials.
  virtual void wifi_begin(const std::string& ssid, const std::string& pass) = 0;
  /// e.g. "connected ip=192.168.1.50 rssi=-60" or "disconnected".
  virtual std::string wifi_status() = 0;
  /// Reboot the rig (ESP.restart() on the board).
  virtual void restart() = 0;
};

}  // namespace tap
