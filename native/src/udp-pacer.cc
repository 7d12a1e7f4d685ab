// The pacer's queue and thread: see udp-pacer.h.
#include "udp-pacer.h"

#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <system_error>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace appel {
namespace pacer {
namespace {

struct Entry {
  Clock::time_point due;
  uint64_t order;  // equal due times leave in the order queued
  std::shared_ptr<PacedSocket> socket;
  sockaddr_storage to;
  socklen_t length;
  std::vector<uint8_t> bytes;
};

/** std heap order: the entry due last is "smallest", so the front is the one due first. */
bool Later(const Entry& a, const Entry& b) {
  return a.due != b.due ? a.due > b.due : a.order > b.order;
}

class Pacer {
 public:
  std::string Queue(const std::shared_ptr<PacedSocket>& socket, const sockaddr_storage& to, socklen_t length,
                    const uint8_t* bytes, size_t size, double delayMs) {
    delayMs = std::isfinite(delayMs) ? std::clamp(delayMs, 0.0, kMaxDelayMs) : 0.0;
    auto due = Clock::now() + std::chrono::microseconds(static_cast<int64_t>(delayMs * 1000));
    std::lock_guard<std::mutex> lock(mutex_);
    if (socket->fd < 0) return "send: the socket is closed";
    if (!started_) {
      try {
        // Lives as long as the process (the addon is never unloaded); it touches no JavaScript.
        std::thread([this] { Run(); }).detach();
        started_ = true;
      } catch (const std::system_error&) {
        return "send: the pacer's thread could not start";
      }
    }
    if (heap_.size() >= kMaxQueued) return "send: the pacer's queue is full";
    if (socket->queued >= kMaxPerSocket) return "send: this socket's paced queue is full";
    socket->queued++;
    uint64_t order = next_++;
    heap_.push_back(Entry{due, order, socket, to, length, std::vector<uint8_t>(bytes, bytes + size)});
    std::push_heap(heap_.begin(), heap_.end(), Later);
    // The thread sleeps until the first due; only a new first one changes that (a batch of a
    // stream's frames, queued in due order, wakes it once at most).
    if (heap_.front().order == order) wake_.notify_one();
    return std::string();
  }

  size_t Cancel(PacedSocket* socket) {
    std::lock_guard<std::mutex> lock(mutex_);
    return RemoveLocked(socket);
  }

  void Retarget(const PacedSocket* socket, const sockaddr_storage& to, socklen_t length) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (socket->queued == 0) return;
    for (Entry& e : heap_) {
      if (e.socket.get() != socket) continue;
      e.to = to;
      e.length = length;
    }
  }

  size_t Pending(const PacedSocket* socket) {
    std::lock_guard<std::mutex> lock(mutex_);
    return socket->queued;
  }

  void Forget(PacedSocket* socket) {
    std::lock_guard<std::mutex> lock(mutex_);
    RemoveLocked(socket);
    socket->fd = -1;
  }

  std::pair<uint32_t, int> TakeFailures(PacedSocket* socket) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::pair<uint32_t, int> out{socket->failures, socket->lastError};
    socket->failures = 0;
    return out;
  }

 private:
  size_t RemoveLocked(PacedSocket* socket) {
    if (socket->queued == 0) return 0;
    size_t before = heap_.size();
    heap_.erase(std::remove_if(heap_.begin(), heap_.end(), [socket](const Entry& e) { return e.socket.get() == socket; }), heap_.end());
    std::make_heap(heap_.begin(), heap_.end(), Later);
    socket->queued = 0;
    return before - heap_.size();
  }

  void Run() {
    // Its own name in /proc (a thread takes its creator's: the JavaScript thread's).
    pthread_setname_np(pthread_self(), "appel-pacer");
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (heap_.empty()) {
        wake_.wait(lock);
        continue;
      }
      Clock::time_point due = heap_.front().due;
      if (Clock::now() < due) {
        // A datagram queued meanwhile for sooner wakes this wait early.
        wake_.wait_until(lock, due);
        continue;
      }
      std::pop_heap(heap_.begin(), heap_.end(), Later);
      Entry e = std::move(heap_.back());
      heap_.pop_back();
      // Under the lock: Forget cannot close the descriptor in between. A non-blocking send is
      // a few microseconds; nothing else waits on this lock for long.
      PacedSocket& s = *e.socket;
      s.queued--;
      if (s.fd < 0) continue;
      ssize_t sent;
      do {
        sent = sendto(s.fd, e.bytes.data(), e.bytes.size(), 0, reinterpret_cast<const sockaddr*>(&e.to), e.length);
      } while (sent < 0 && errno == EINTR);
      if (sent < 0) {
        s.failures++;
        s.lastError = errno;
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Entry> heap_;
  uint64_t next_ = 0;
  bool started_ = false;
};

Pacer& Instance() {
  // Never destroyed: its thread may still wait on it while the process exits.
  static Pacer* pacer = new Pacer();
  return *pacer;
}

}  // namespace

std::string Queue(const std::shared_ptr<PacedSocket>& socket, const sockaddr_storage& to, socklen_t length,
                  const uint8_t* bytes, size_t size, double delayMs) {
  return Instance().Queue(socket, to, length, bytes, size, delayMs);
}
size_t Cancel(PacedSocket* socket) { return Instance().Cancel(socket); }
void Retarget(const PacedSocket* socket, const sockaddr_storage& to, socklen_t length) { Instance().Retarget(socket, to, length); }
size_t Pending(const PacedSocket* socket) { return Instance().Pending(socket); }
void Forget(PacedSocket* socket) { Instance().Forget(socket); }
std::pair<uint32_t, int> TakeFailures(PacedSocket* socket) { return Instance().TakeFailures(socket); }

}  // namespace pacer
}  // namespace appel
