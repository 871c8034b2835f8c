#include "tap.h"

namespace tap {

namespace {
class DirSink : public PacketSink {
 public:
  DirSink(Recorder& r, int conn, Dir d) : rec_(r), conn_(conn), dir_(d) {}
  void on_packet(uint64_t us, size_t len, const uint8_t* b, size_t n) override {
    rec_.packet(us, conn_, dir_, len, b, n);
  }
  void on_malformed(uint64_t us, const char* why, const uint8_t* b, size_t n) override {
    rec_.malformed(us, conn_, dir_, why, b, n);
  }

 private:
  Recorder& rec_;
  int conn_;
  Dir dir_;
};
}  // namespace

struct Tap::Conn {
  Conn(int i, Stream* c, Stream* u, size_t cap) : index(i), client(c), upstream(u), framer{PacketAssembler(cap), PacketAssembler(cap)} {}
  int index;
  Stream* client;
  Stream* upstream;
  PacketAssembler framer[2];
  std::vector<uint8_t> pending[2];  // read from the source, not yet accepted by the destination
  bool done = false;
  Stream* src(Dir d) { return d == C2S ? client : upstream; }
  Stream* dst(Dir d) { return d == C2S ? upstream : client; }
};

Tap::Tap(Network& net, Clock& clock, SerialPort& serial, const TapConfig& cfg)
    : net_(net), clock_(clock), serial_(serial), cfg_(cfg), rec_(cfg.ring_capacity) {}

Tap::~Tap() { close_all(); }

void Tap::begin() {
  std::string f = "mqtt-tap/" MQTT_TAP_VERSION " listen=";
  append_u64(f, cfg_.listen_port);
  f += " ip=" + cfg_.ip + " upstream=" + (cfg_.upstream_host.empty() ? "-" : cfg_.upstream_host) + ":";
  append_u64(f, cfg_.upstream_port);
  f += " ring=";
  append_u64(f, cfg_.ring_capacity);
  f += " cap=";
  append_u64(f, cfg_.packet_cap);
  rec_.hello(clock_.micros(), f);
}

void Tap::set_upstream(const std::string& host, uint16_t port) {
  cfg_.upstream_host = host;
  cfg_.upstream_port = port;
}

size_t Tap::open_connections() const { return conns_.size(); }

void Tap::close_all() {
  for (Conn* c : conns_) {
    c->client->abort();
    c->upstream->abort();
    net_.release(c->client);
    net_.release(c->upstream);
    delete c;
  }
  conns_.clear();
}

void Tap::restart() {
  close_all();
  rec_.restart();
  next_conn_ = 0;
  begin();
}

// Move bytes from one side to the other. Returns true if anything moved.
bool Tap::pump(Conn& c, Dir d) {
  bool moved = false;
  std::vector<uint8_t>& pend = c.pending[d];
  if (!pend.empty()) {
    int w = c.dst(d)->write(pend.data(), pend.size());
    if (w == IO_RESET) {
      end(c, d == C2S ? S2C : C2S, "reset");
      return true;
    }
    if (w > 0) {
      pend.erase(pend.begin(), pend.begin() + w);
      moved = true;
    }
  }
  if (pend.size() >= cfg_.pending_limit) return moved;  // TCP back-pressure, not serial
  uint8_t buf[1460];
  int n = c.src(d)->read(buf, sizeof buf);
  if (n > 0) {
    uint64_t now = clock_.micros();
    DirSink sink(rec_, c.index, d);
    c.framer[d].feed(buf, static_cast<size_t>(n), now, sink);
    pend.insert(pend.end(), buf, buf + n);
    int w = c.dst(d)->write(pend.data(), pend.size());
    if (w == IO_RESET) {
      end(c, d == C2S ? S2C : C2S, "reset");
      return true;
    }
    if (w > 0) pend.erase(pend.begin(), pend.begin() + w);
    return true;
  }
  if (n == IO_EOF) {
    end(c, d, "eof");
    return true;
  }
  if (n == IO_RESET) {
    end(c, d, "reset");
    return true;
  }
  return moved;
}

// Direction `first` ended. Like the reference recording proxy: forward what is
// still pending, then close the other side the same way (FIN after FIN, RST after RST).
void Tap::end(Conn& c, Dir first, const char* how) {
  if (c.done) return;
  c.done = true;
  uint64_t now = clock_.micros();
  Dir other = first == C2S ? S2C : C2S;
  // Collect what the other side already sent, so its packets are not lost.
  for (int spins = 0; spins < 8; spins++) {
    uint8_t buf[1460];
    int n = c.src(other)->read(buf, sizeof buf);
    if (n <= 0) break;
    DirSink sink(rec_, c.index, other);
    c.framer[other].feed(buf, static_cast<size_t>(n), clock_.micros(), sink);
    c.pending[other].insert(c.pending[other].end(), buf, buf + n);
  }
  for (int d = 0; d < 2; d++) {
    if (!c.pending[d].empty()) c.dst(static_cast<Dir>(d))->write(c.pending[d].data(), c.pending[d].size());
    c.pending[d].clear();
  }
  rec_.closed(now, c.index, first, how);
  for (int d = 0; d < 2; d++) {
    DirSink sink(rec_, c.index, static_cast<Dir>(d));
    c.framer[d].finish(now, sink);
  }
  bool rst = how[0] == 'r';
  Stream* a = c.src(first);
  Stream* b = c.dst(first);
  if (rst) {
    b->abort();
    a->abort();
  } else {
    b->close();
    a->close();
  }
}

bool Tap::poll() {
  bool moved = false;
  if (conns_.size() < cfg_.max_connections) {
    Stream* s = net_.accept();
    if (s) {
      moved = true;
      int index = static_cast<int>(next_conn_++);
      std::string err;
      Stream* up = nullptr;
      if (cfg_.upstream_host.empty()) {
        err = "no upstream configured (use: upstream <host> <port>)";
      } else {
        up = net_.connect(cfg_.upstream_host, cfg_.upstream_port, err);
      }
      if (!up) {
        rec_.upstream_failed(clock_.micros(), index, err.empty() ? "connect failed" : err);
        s->abort();
        net_.release(s);
      } else {
        std::string peer = cfg_.upstream_host + ":";
        append_u64(peer, cfg_.upstream_port);
        rec_.opened(clock_.micros(), index, peer);
        conns_.push_back(new Conn(index, s, up, cfg_.packet_cap));
      }
    }
  }
  for (Conn* c : conns_) {
    if (!c->done) moved |= pump(*c, C2S);
    if (!c->done) moved |= pump(*c, S2C);
  }
  for (size_t i = 0; i < conns_.size();) {
    Conn* c = conns_[i];
    if (c->done) {
      net_.release(c->client);
      net_.release(c->upstream);
      delete c;
      conns_.erase(conns_.begin() + static_cast<long>(i));
    } else {
      i++;
    }
  }
  if (rec_.ring().drain(serial_) > 0) moved = true;
  if (rec_.lost_pending()) {
    rec_.flush_loss();
    if (rec_.ring().drain(serial_) > 0) moved = true;
  }
  return moved;
}

}  // namespace tap
