// rig-sim: the tap core on POSIX sockets. Records go to stdout exactly as the
// board writes them to its USB serial port; console commands are read from
// stdin. Run it inside a pty (socat) to emulate the board's serial device.
//
//   rig-sim --upstream HOST:PORT [--listen PORT]
//   (or --upstream-host HOST --upstream-port PORT, handy inside socat's EXEC:
//   which treats ':' as a separator) [--ring BYTES] [--cap BYTES]
//           [--baud BPS] [--fault KIND@SEQ]... [--no-boot-noise]
//
// --listen 0 (default) picks a free port; the H record names it.
// --baud limits stdout throughput like a UART (10 bits per byte); 0 = unlimited.
// --fault injects a serial-link fault at the record with that seq:
//   corrupt@N  flip one hex digit of record N (its CRC no longer matches)
//   drop@N     never send record N
//   noise@N    send garbage bytes before record N
//   reset@N    reboot the rig right after record N (boot noise, new H seq 0)
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "mqtt_tap.h"

namespace {

uint64_t mono_us() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

struct PosixClock : tap::Clock {
  uint64_t start = mono_us();
  uint64_t micros() override { return mono_us() - start; }
};

void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

struct PosixStream : tap::Stream {
  int fd;
  explicit PosixStream(int f) : fd(f) {
    set_nonblock(fd);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~PosixStream() override {
    if (fd >= 0) ::close(fd);
  }
  int read(uint8_t* buf, size_t cap) override {
    ssize_t n = ::recv(fd, buf, cap, 0);
    if (n > 0) return static_cast<int>(n);
    if (n == 0) return tap::IO_EOF;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return tap::IO_AGAIN;
    return tap::IO_RESET;
  }
  int write(const uint8_t* buf, size_t len) override {
    ssize_t n = ::send(fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    return tap::IO_RESET;
  }
  void close() override {
    if (fd >= 0) {
      // Flush is done by the kernel; a plain close sends FIN.
      ::close(fd);
      fd = -1;
    }
  }
  void abort() override {
    if (fd >= 0) {
      struct linger lg = {1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      ::close(fd);
      fd = -1;
    }
  }
};

struct PosixNetwork : tap::Network {
  int listen_fd = -1;
  uint16_t port = 0;
  std::vector<PosixStream*> live;
  bool listen_on(uint16_t p, std::string& err) {
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(p);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listen_fd, 8) != 0) {
      err = std::string("cannot listen on 127.0.0.1:") + std::to_string(p) + ": " + strerror(errno);
      return false;
    }
    socklen_t len = sizeof a;
    getsockname(listen_fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    set_nonblock(listen_fd);
    return true;
  }
  tap::Stream* accept() override {
    int fd = ::accept(listen_fd, nullptr, nullptr);
    if (fd < 0) return nullptr;
    PosixStream* s = new PosixStream(fd);
    live.push_back(s);
    return s;
  }
  tap::Stream* connect(const std::string& host, uint16_t p, std::string& err) override {
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), std::to_string(p).c_str(), &hints, &res);
    if (rc != 0 || !res) {
      err = std::string("cannot resolve ") + host + ": " + gai_strerror(rc);
      return nullptr;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
      err = std::string("cannot connect to ") + host + ":" + std::to_string(p) + ": " + strerror(errno);
      ::close(fd);
      freeaddrinfo(res);
      return nullptr;
    }
    freeaddrinfo(res);
    PosixStream* s = new PosixStream(fd);
    live.push_back(s);
    return s;
  }
  void release(tap::Stream* s) override {
    for (size_t i = 0; i < live.size(); i++) {
      if (live[i] == s) {
        live.erase(live.begin() + static_cast<long>(i));
        break;
      }
    }
    delete static_cast<PosixStream*>(s);
  }
};

struct Fault {
  std::string kind;
  uint32_t seq;
  int session;  // faults apply to the first session only
};

// stdout as the board's UART: optional baud limit, serial-link fault injection.
struct StdioSerial : tap::SerialPort {
  uint64_t baud = 0;
  uint64_t last_us = mono_us();
  double tokens = 128;  // like a UART FIFO: a small burst, then the line rate
  std::vector<Fault> faults;
  std::string line;          // the line being assembled for fault handling
  bool want_reset = false;
  int session = 0;
  std::string out;           // bytes accepted but not yet written to fd 1
  size_t writable() override {
    if (out.size() > 65536) return 0;
    if (baud == 0) return 65536;
    uint64_t now = mono_us();
    tokens += static_cast<double>(now - last_us) * static_cast<double>(baud) / 10.0 / 1e6;
    last_us = now;
    if (tokens > 128) tokens = 128;
    return static_cast<size_t>(tokens);
  }
  size_t write(const uint8_t* b, size_t n) override {
    if (baud) tokens -= static_cast<double>(n);
    for (size_t i = 0; i < n; i++) {
      line.push_back(static_cast<char>(b[i]));
      if (b[i] == '\n') emit_line();
    }
    flush();
    return n;
  }
  void emit_line() {
    std::string l;
    l.swap(line);
    uint32_t seq = 0;
    bool is_record = l.size() > 2 && l[0] != '#' && l[1] == ' ';
    if (is_record) seq = static_cast<uint32_t>(strtoul(l.c_str() + 2, nullptr, 10));
    bool drop = false;
    for (const Fault& f : faults) {
      if (!is_record || f.seq != seq || f.session != session) continue;
      if (f.kind == "corrupt") {
        // flip a hex digit inside the record body (not the CRC)
        size_t sp = l.rfind(' ');
        size_t pos = sp > 4 ? sp - 1 : 2;
        l[pos] = l[pos] == '0' ? '1' : '0';
      } else if (f.kind == "drop") {
        drop = true;
      } else if (f.kind == "noise") {
        out += "\xfe\x07garbage\x00\xff on the line";
        out.push_back('\n');
      } else if (f.kind == "reset") {
        want_reset = true;
      }
    }
    if (!drop) out += l;
  }
  void flush() {
    while (!out.empty()) {
      ssize_t w = ::write(1, out.data(), out.size());
      if (w <= 0) break;
      out.erase(0, static_cast<size_t>(w));
    }
  }
  int read() override {
    unsigned char c;
    ssize_t n = ::read(0, &c, 1);
    if (n == 1) return c;
    if (n == 0) stdin_eof = true;
    return -1;
  }
  bool stdin_eof = false;
};

struct MemorySettings : tap::Settings {
  std::vector<std::pair<std::string, std::string>> kv;
  bool get(const char* k, std::string& out) override {
    for (auto& p : kv)
      if (p.first == k) {
        out = p.second;
        return true;
      }
    return false;
  }
  bool put(const char* k, const std::string& v) override {
    for (auto& p : kv)
      if (p.first == k) {
        p.second = v;
        return true;
      }
    kv.push_back({k, v});
    return true;
  }
  bool clear() override {
    kv.clear();
    return true;
  }
};

struct SimPlatform : tap::Platform {
  bool restart_requested = false;
  std::string ssid;
  void wifi_begin(const std::string& s, const std::string&) override { ssid = s; }
  std::string wifi_status() override { return ssid.empty() ? "none(sim)" : "sim ssid=" + ssid; }
  void restart() override { restart_requested = true; }
};

void boot_noise(StdioSerial& serial, bool with_noise) {
  if (!with_noise) return;
  // What an ESP32 prints at power-up (ROM bootloader at 115200 baud), preceded
  // by the kind of garbage a port opened mid-reset shows.
  serial.out += std::string("\xe0\x00\xfc\x1c", 4);
  serial.out +=
      "ets Jun  8 2016 00:22:57\r\n\r\n"
      "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
      "configsip: 0, SPIWP:0xee\r\n"
      "clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00\r\n"
      "mode:DIO, clock div:2\r\n"
      "load:0x3fff0030,len:1184\r\n"
      "entry 0x400805e4\r\n"
      "R not-a-record: rig-sim boot\r\n";
  serial.flush();
}

int usage(const char* msg) {
  fprintf(stderr, "rig-sim: %s\nusage: rig-sim --upstream HOST:PORT | --upstream-host HOST --upstream-port PORT [--listen PORT] [--ring BYTES] [--cap BYTES] [--baud BPS] [--fault corrupt|drop|noise|reset@SEQ]... [--no-boot-noise]\n", msg);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  tap::TapConfig cfg;
  cfg.ring_capacity = 1 << 20;
  cfg.packet_cap = 1 << 20;
  cfg.max_connections = 16;
  cfg.ip = "127.0.0.1";
  uint16_t listen_port = 0;
  bool noise = true;
  StdioSerial serial;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&](const char* what) -> const char* {
      if (i + 1 >= argc) {
        usage((std::string("missing value for ") + what).c_str());
        exit(2);
      }
      return argv[++i];
    };
    if (a == "--upstream") {
      std::string v = next("--upstream");
      size_t c = v.rfind(':');
      if (c == std::string::npos) return usage("--upstream must be HOST:PORT");
      cfg.upstream_host = v.substr(0, c);
      cfg.upstream_port = static_cast<uint16_t>(atoi(v.c_str() + c + 1));
    } else if (a == "--upstream-host") {
      cfg.upstream_host = next("--upstream-host");
    } else if (a == "--upstream-port") {
      cfg.upstream_port = static_cast<uint16_t>(atoi(next("--upstream-port")));
    } else if (a == "--listen") {
      listen_port = static_cast<uint16_t>(atoi(next("--listen")));
    } else if (a == "--ring") {
      cfg.ring_capacity = static_cast<size_t>(atol(next("--ring")));
    } else if (a == "--cap") {
      cfg.packet_cap = static_cast<size_t>(atol(next("--cap")));
    } else if (a == "--baud") {
      serial.baud = static_cast<uint64_t>(atol(next("--baud")));
    } else if (a == "--no-boot-noise") {
      noise = false;
    } else if (a == "--fault") {
      std::string v = next("--fault");
      size_t at = v.find('@');
      if (at == std::string::npos) return usage("--fault must be KIND@SEQ");
      std::string kind = v.substr(0, at);
      if (kind != "corrupt" && kind != "drop" && kind != "noise" && kind != "reset")
        return usage(("unknown fault kind \"" + kind + "\"").c_str());
      serial.faults.push_back({kind, static_cast<uint32_t>(atol(v.c_str() + at + 1)), 0});
    } else {
      return usage(("unknown argument \"" + a + "\"").c_str());
    }
  }
  if (cfg.upstream_host.empty()) return usage("--upstream (or --upstream-host/--upstream-port) is required");
  set_nonblock(0);
  set_nonblock(1);
  PosixNetwork net;
  std::string err;
  if (!net.listen_on(listen_port, err)) {
    fprintf(stderr, "rig-sim: %s\n", err.c_str());
    return 1;
  }
  cfg.listen_port = net.port;
  PosixClock clock;
  MemorySettings settings;
  SimPlatform platform;
  boot_noise(serial, noise);
  tap::Tap t(net, clock, serial, cfg);
  tap::Console console(t, settings, platform);
  t.begin();
  for (;;) {
    bool moved = t.poll();
    console.poll(serial);
    serial.flush();
    if (serial.want_reset || platform.restart_requested) {
      serial.want_reset = false;
      platform.restart_requested = false;
      t.poll();  // let the console reply out
      serial.session++;
      boot_noise(serial, true);
      t.restart();
      continue;
    }
    if (serial.stdin_eof) break;
    if (!moved) {
      std::vector<struct pollfd> fds;
      fds.push_back({net.listen_fd, POLLIN, 0});
      fds.push_back({0, POLLIN, 0});
      for (PosixStream* s : net.live)
        if (s->fd >= 0) fds.push_back({s->fd, POLLIN, 0});
      int timeout = (t.recorder().ring().used() || !serial.out.empty()) ? 1 : 20;
      poll(fds.data(), fds.size(), timeout);
    }
  }
  return 0;
}
