// UdpPacer: one thread for the process that sends datagrams when they are due. A stream whose
// source and sink are files or generated signals encodes a few 20 ms frames ahead and wakes once
// for them all; the pacer still puts each packet on the wire at its own frame time, so the peer
// sees the same 20 ms spacing as from a stream woken every frame (RFC 3550 §5.1: the timestamp
// is the sampling instant, and a receiver's jitter is measured against it).
// Thread-safe: JavaScript threads (the phone's and the media worker's) queue and cancel; the
// pacer's thread sends. A socket's descriptor is only used under the queue's lock, and a socket
// leaves the queue (Forget) before its descriptor is closed.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace appel {

/** What the pacer knows of one socket: its descriptor and how its sends went. */
struct PacedSocket {
  int fd = -1;
  /** Datagrams waiting in the queue (under the queue's lock). */
  size_t queued = 0;
  /** Datagrams the kernel refused (counted by the pacer's thread, read under the queue's lock). */
  uint32_t failures = 0;
  int lastError = 0;
};

namespace pacer {

using Clock = std::chrono::steady_clock;

// At most this many datagrams wait, for one socket and for the process: a stream queues one
// batch (at most 30 frames: 500 ms and a margin) at a time, so the bound holds 2,000 such streams;
// more is a bug or a flood, refused in words (the stream then sends at once).
constexpr size_t kMaxPerSocket = 64;
constexpr size_t kMaxQueued = 65536;
// How far ahead a datagram may be queued (ms).
constexpr double kMaxDelayMs = 1000;

/** Queues `bytes` for `socket` to `to`, due `delayMs` from now. Empty string once queued, else why not. */
std::string Queue(const std::shared_ptr<PacedSocket>& socket, const sockaddr_storage& to, socklen_t length,
                  const uint8_t* bytes, size_t size, double delayMs);
/** Drops what waits for `socket`; returns how many datagrams. */
size_t Cancel(PacedSocket* socket);
/** What waits for `socket` goes to `to` instead (the peer moved: re-INVITE, latching). */
void Retarget(const PacedSocket* socket, const sockaddr_storage& to, socklen_t length);
/** Datagrams still waiting for `socket`. */
size_t Pending(const PacedSocket* socket);
/** Drops what waits for `socket` and forgets its descriptor: call before closing it. */
void Forget(PacedSocket* socket);
/** The failures counted since the last call, and the last errno among them. */
std::pair<uint32_t, int> TakeFailures(PacedSocket* socket);

}  // namespace pacer
}  // namespace appel
