// UdpSocket: a non-blocking UDP socket that the media clock reads when it wakes, instead of being
// woken for every datagram. node:dgram wakes the event loop once a datagram (a wake-up, a
// receive, a Buffer and a JavaScript call each); an audio stream plays out only on its 20 ms tick,
// so what arrived in between can wait for that tick without adding delay. The kernel stamps each
// datagram on arrival (SO_TIMESTAMPNS), so its age goes with it and the interarrival jitter
// (RFC 3550 §6.4.1, A.8) is measured at arrival, not at the tick.
// Linux only (recvmmsg, SO_TIMESTAMPNS): binding.gyp builds it there; elsewhere audio streams use
// node:dgram's sockets (main/media/media-native.ts).
// A stream that encodes ahead hands its packets to the pacer (udp-pacer.h) with the time each is due.
// JS: new UdpSocket({ family: 4 | 6 }) .bind(address, port) .localPort() .send(bytes, address, port)
//     .sendAt(bytes, address, port, delayMs) .cancelPaced() .retargetPaced(address, port)
//     .pacedPending() .pacedFailure() .receive() .close()
//     bind/receive errors carry .code (the errno name, 'EADDRINUSE'…)
#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <array>
#include <string>

#include "addon.h"
#include "udp-pacer.h"

namespace appel {
namespace {

// One audio datagram is far smaller (an Opus frame at 510 kbit/s is 1275 bytes); a longer one is
// handed over empty, which the stream counts as malformed.
constexpr size_t kMaxDatagram = 2048;
// Datagrams read by one recvmmsg; receive() repeats while the batch comes back full. A stream
// sending ahead finds 25 waiting at each wake-up (media-stream.ts): one system call reads them.
constexpr unsigned kBatch = 32;
// A receive() reads at most this many (a flood waits in the kernel's buffer, which drops the excess).
constexpr unsigned kMaxPerReceive = 256;
// A datagram's age is the wall clock's now minus its stamp: a step of the wall clock (NTP, a
// resume) between the two would make it anything, so it is kept within this many ms.
constexpr double kMaxAgeMs = 1000;

/** The errno's name, for .code (what node:dgram's errors carry). */
const char* ErrnoName(int err) {
  switch (err) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ENETUNREACH: return "ENETUNREACH";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOBUFS: return "ENOBUFS";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";  // EWOULDBLOCK: the send buffer is full
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    default: return "EIO";
  }
}

[[noreturn]] void ThrowErrno(Napi::Env env, const std::string& what, int err) {
  ThrowCoded(env, ErrnoName(err), what + ": " + strerror(err) + " (" + ErrnoName(err) + ")");
}

/** Per thread (each media worker has its own): the batch read's buffers. */
struct Scratch {
  std::array<std::array<uint8_t, kMaxDatagram>, kBatch> data;
  std::array<sockaddr_storage, kBatch> from;
  struct alignas(cmsghdr) Control {
    uint8_t bytes[CMSG_SPACE(sizeof(timespec))];
  };
  std::array<Control, kBatch> control;
  std::array<iovec, kBatch> iov;
  std::array<mmsghdr, kBatch> msgs;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

/** a − b in ms. */
double MsBetween(const timespec& a, const timespec& b) {
  return static_cast<double>(a.tv_sec - b.tv_sec) * 1e3 + static_cast<double>(a.tv_nsec - b.tv_nsec) / 1e6;
}

class UdpSocket : public Napi::ObjectWrap<UdpSocket> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("UdpSocket", DefineClass(env, "UdpSocket",
                                         {InstanceMethod<&UdpSocket::Bind>("bind"),
                                          InstanceMethod<&UdpSocket::LocalPort>("localPort"),
                                          InstanceMethod<&UdpSocket::Send>("send"),
                                          InstanceMethod<&UdpSocket::SendAt>("sendAt"),
                                          InstanceMethod<&UdpSocket::CancelPaced>("cancelPaced"),
                                          InstanceMethod<&UdpSocket::RetargetPaced>("retargetPaced"),
                                          InstanceMethod<&UdpSocket::PacedPending>("pacedPending"),
                                          InstanceMethod<&UdpSocket::PacedFailure>("pacedFailure"),
                                          InstanceMethod<&UdpSocket::Receive>("receive"),
                                          InstanceMethod<&UdpSocket::Close>("close")}));
  }

  explicit UdpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpSocket>(info) {
    Napi::Env env = info.Env();
    double family = NumberOption(OptionsArg(info), "family", 0);
    if (family != 4 && family != 6) throw Napi::TypeError::New(env, "family must be 4 or 6");
    family_ = family == 6 ? AF_INET6 : AF_INET;
    fd_ = socket(family_, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) ThrowErrno(env, "socket", errno);
    paced_->fd = fd_;
    int on = 1;
    setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);  // arrival times; without them, age 0
  }

  ~UdpSocket() override { Shut(); }

 private:
  void EnsureOpen(Napi::Env env) const {
    if (fd_ < 0) ThrowCoded(env, "EBADF", "the socket is closed");
  }

  /** `address`:`port` as a sockaddr of this socket's family; false when `address` is not an IP literal of it. */
  bool Parse(const Napi::Value& address, const Napi::Value& port, sockaddr_storage& out, socklen_t& length) const {
    if (!address.IsString() || !port.IsNumber()) return false;
    char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
    size_t n = 0;
    napi_get_value_string_utf8(address.Env(), address, text, sizeof text, &n);
    if (n >= sizeof text - 1) return false;
    double p = port.As<Napi::Number>().DoubleValue();
    if (!(p >= 0 && p <= 65535) || p != static_cast<int>(p)) return false;
    out = {};
    if (family_ == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&out);
      a->sin_family = AF_INET;
      a->sin_port = htons(static_cast<uint16_t>(p));
      length = sizeof(sockaddr_in);
      return inet_pton(AF_INET, text, &a->sin_addr) == 1;
    }
    auto* a = reinterpret_cast<sockaddr_in6*>(&out);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(p));
    length = sizeof(sockaddr_in6);
    // A link-local address carries its zone: fe80::1%eth0 (RFC 4007 §11), by name or by index.
    if (char* zone = std::strchr(text, '%')) {
      *zone++ = '\0';
      char* end = nullptr;
      unsigned long index = std::strtoul(zone, &end, 10);
      a->sin6_scope_id = *zone != '\0' && *end == '\0' ? static_cast<uint32_t>(index) : if_nametoindex(zone);
      if (a->sin6_scope_id == 0) return false;
    }
    return inet_pton(AF_INET6, text, &a->sin6_addr) == 1;
  }

  Napi::Value Bind(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    sockaddr_storage at;
    socklen_t length = 0;
    if (!Parse(info[0], info[1], at, length)) throw Napi::TypeError::New(env, "bind(address, port): an IP literal of the socket's family and 0-65535");
    if (bind(fd_, reinterpret_cast<sockaddr*>(&at), length) != 0) {
      int err = errno;
      ThrowErrno(env, "bind " + info[0].As<Napi::String>().Utf8Value() + ":" + std::to_string(info[1].As<Napi::Number>().Int32Value()), err);
    }
    return env.Undefined();
  }

  Napi::Value LocalPort(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    sockaddr_storage at{};
    socklen_t length = sizeof at;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&at), &length) != 0) ThrowErrno(env, "getsockname", errno);
    uint16_t port = at.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&at)->sin6_port : reinterpret_cast<sockaddr_in*>(&at)->sin_port;
    return Napi::Number::New(env, ntohs(port));
  }

  struct Outgoing {
    BytesInput bytes{};
    sockaddr_storage to{};
    socklen_t length = 0;
  };

  /** send's and sendAt's bytes (argument 0) and destination (1, 2); false when that is no address of this family. */
  bool Take(const Napi::CallbackInfo& info, Outgoing& out) const {
    EnsureOpen(info.Env());
    out.bytes = BytesArg(info, 0, "bytes");
    return Parse(info[1], info[2], out.to, out.length);
  }

  Napi::Value NotADestination(Napi::Env env) const {
    return Napi::String::New(env, std::string("send: not an IPv") + (family_ == AF_INET6 ? "6" : "4") + " address and port");
  }

  // send(bytes, address, port): undefined once the kernel took it, else the failure in words (a
  // datagram that cannot leave is no exception on the media path; the caller reports it).
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Outgoing d;
    if (!Take(info, d)) return NotADestination(env);
    ssize_t sent;
    do {
      sent = sendto(fd_, d.bytes.data, d.bytes.length, 0, reinterpret_cast<sockaddr*>(&d.to), d.length);
    } while (sent < 0 && errno == EINTR);
    if (sent >= 0) return env.Undefined();
    int err = errno;
    return Napi::String::New(env, std::string("send: ") + strerror(err) + " (" + ErrnoName(err) + ")");
  }

  // sendAt(bytes, address, port, delayMs): the pacer sends it `delayMs` from now; undefined once
  // queued, else why not (in words). Datagrams due at the same time leave in the order queued.
  Napi::Value SendAt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Outgoing d;
    if (!Take(info, d)) return NotADestination(env);
    if (!info[3].IsNumber()) throw Napi::TypeError::New(env, "delayMs must be a number");
    std::string failed = pacer::Queue(paced_, d.to, d.length, d.bytes.data, d.bytes.length, info[3].As<Napi::Number>().DoubleValue());
    return failed.empty() ? env.Undefined() : static_cast<Napi::Value>(Napi::String::New(env, failed));
  }

  // cancelPaced(): what the pacer still holds for this socket is dropped; how many datagrams.
  Napi::Value CancelPaced(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(pacer::Cancel(paced_.get())));
  }

  // retargetPaced(address, port): what the pacer still holds for this socket goes there instead.
  Napi::Value RetargetPaced(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    sockaddr_storage to;
    socklen_t length = 0;
    if (!Parse(info[0], info[1], to, length)) throw Napi::TypeError::New(env, "retargetPaced(address, port): an IP literal of the socket's family and 0-65535");
    pacer::Retarget(paced_.get(), to, length);
    return env.Undefined();
  }

  Napi::Value PacedPending(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(pacer::Pending(paced_.get())));
  }

  // pacedFailure(): undefined, or the paced sends the kernel refused since the last call, in words.
  Napi::Value PacedFailure(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto [count, err] = pacer::TakeFailures(paced_.get());
    if (count == 0) return env.Undefined();
    return Napi::String::New(env, "send: " + std::to_string(count) + " paced datagram" + (count == 1 ? "" : "s") + " refused: " + strerror(err) + " (" + ErrnoName(err) + ")");
  }

  // receive(): what waits in the socket, as one flat array [bytes, address, port, ageMs, …] (null
  // when nothing waits): each datagram's bytes in a fresh view of the output slab, the sender, and
  // how long ago the kernel received it.
  Napi::Value Receive(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    Scratch& s = ThreadScratch();
    Napi::Array out;
    uint32_t at = 0;
    unsigned total = 0;
    while (total < kMaxPerReceive) {
      for (unsigned i = 0; i < kBatch; i++) {
        s.iov[i] = {s.data[i].data(), kMaxDatagram};
        s.msgs[i].msg_hdr = {};
        s.msgs[i].msg_hdr.msg_name = &s.from[i];
        s.msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        s.msgs[i].msg_hdr.msg_iov = &s.iov[i];
        s.msgs[i].msg_hdr.msg_iovlen = 1;
        s.msgs[i].msg_hdr.msg_control = s.control[i].bytes;
        s.msgs[i].msg_hdr.msg_controllen = sizeof s.control[i].bytes;
        s.msgs[i].msg_len = 0;
      }
      int n = recvmmsg(fd_, s.msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n < 0) {
        int err = errno;
        if (err == EINTR) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) break;
        // What was read is handed over; a lasting error comes back on the next call.
        if (at > 0) break;
        ThrowErrno(env, "receive", err);
      }
      timespec now{};
      clock_gettime(CLOCK_REALTIME, &now);
      if (out.IsEmpty() && n > 0) out = Napi::Array::New(env);
      for (int i = 0; i < n; i++) {
        const msghdr& h = s.msgs[i].msg_hdr;
        bool truncated = (h.msg_flags & MSG_TRUNC) != 0;
        size_t length = truncated ? 0 : s.msgs[i].msg_len;
        double age = 0;
        for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            timespec t;
            std::memcpy(&t, CMSG_DATA(c), sizeof t);
            age = std::clamp(MsBetween(now, t), 0.0, kMaxAgeMs);
          }
        }
        char text[INET6_ADDRSTRLEN] = "";
        uint16_t port = 0;
        if (s.from[i].ss_family == AF_INET6) {
          auto* a = reinterpret_cast<sockaddr_in6*>(&s.from[i]);
          inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
          port = ntohs(a->sin6_port);
        } else {
          auto* a = reinterpret_cast<sockaddr_in*>(&s.from[i]);
          inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
          port = ntohs(a->sin_port);
        }
        out.Set(at++, SlabBytes(env, s.data[i].data(), length));
        out.Set(at++, Napi::String::New(env, text));
        out.Set(at++, Napi::Number::New(env, port));
        out.Set(at++, Napi::Number::New(env, age));
      }
      total += static_cast<unsigned>(n);
      if (static_cast<unsigned>(n) < kBatch) break;
    }
    return out.IsEmpty() ? env.Null() : static_cast<Napi::Value>(out);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shut();
    return info.Env().Undefined();
  }

  void Shut() {
    // Out of the pacer's queue first: its thread sends only under the queue's lock.
    pacer::Forget(paced_.get());
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  int family_ = AF_INET;
  int fd_ = -1;
  std::shared_ptr<PacedSocket> paced_ = std::make_shared<PacedSocket>();
};

}  // namespace

void RegisterUdpSocket(Napi::Env env, Napi::Object exports) { UdpSocket::Register(env, exports); }

}  // namespace appel
