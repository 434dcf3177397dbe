// A loopback TCP proxy to one upstream server whose client-to-server bytes can be held and later
// let through: a request that one client sent "before" but that reaches the server "after" what
// other clients (connected directly) did meanwhile, as over a slow network or from a process that
// was paused. Bytes held for a connection whose client has gone are still delivered on Release(),
// as the kernel would deliver a closed socket's unsent data.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace accord::testing {

class HeldLink {
 public:
  explicit HeldLink(int upstream_port) : upstream_port_(upstream_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    ::listen(listener_, 16);
    socklen_t length = sizeof(address);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~HeldLink() {
    stopping_.store(true);
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    std::vector<std::unique_ptr<Pipe>> pipes;
    {
      std::lock_guard lock(mutex_);
      pipes.swap(pipes_);
      changed_.notify_all();
    }
    for (auto& pipe : pipes) pipe->thread.join();
  }
  HeldLink(const HeldLink&) = delete;
  HeldLink& operator=(const HeldLink&) = delete;

  int port() const { return port_; }
  std::string redis_url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  // From now on, bytes from clients wait in the link.
  void Hold() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  // Lets everything held through, in order, and stops holding.
  void Release() {
    std::lock_guard lock(mutex_);
    holding_ = false;
    changed_.notify_all();
  }
  // Bytes waiting in the link now.
  size_t held_bytes() {
    std::lock_guard lock(mutex_);
    size_t total = 0;
    for (const auto& pipe : pipes_) total += pipe->held.size();
    return total;
  }
  // True once every held byte reached the upstream server (at most `timeout`).
  bool AwaitDelivered(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      for (const auto& pipe : pipes_) {
        if (!pipe->held.empty()) return false;
      }
      return true;
    });
  }

 private:
  struct Pipe {
    int client = -1;
    int upstream = -1;
    std::string held;  // client -> upstream, not yet written; guarded by mutex_
    std::thread thread;
  };

  void Accept() {
    while (!stopping_.load()) {
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<uint16_t>(upstream_port_));
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        ::close(client);
        ::close(upstream);
        continue;
      }
      std::lock_guard lock(mutex_);
      auto pipe = std::make_unique<Pipe>();
      pipe->client = client;
      pipe->upstream = upstream;
      Pipe* raw = pipe.get();
      pipe->thread = std::thread([this, raw] { Pump(*raw); });
      pipes_.push_back(std::move(pipe));
    }
  }

  // Moves bytes both ways until either side ends; held bytes are written before the upstream
  // side is closed.
  void Pump(Pipe& pipe) {
    bool client_open = true;
    char buffer[16384];
    while (!stopping_.load()) {
      {
        std::unique_lock lock(mutex_);
        if (!holding_ && !pipe.held.empty()) {
          std::string out;
          out.swap(pipe.held);
          lock.unlock();
          WriteAll(pipe.upstream, out);
          lock.lock();
          changed_.notify_all();
        }
        if (!client_open && pipe.held.empty()) break;
        if (!client_open) {
          changed_.wait_for(lock, std::chrono::milliseconds(10));
          continue;
        }
      }
      pollfd fds[2] = {{pipe.client, POLLIN, 0}, {pipe.upstream, POLLIN, 0}};
      if (::poll(fds, 2, 10) <= 0) continue;
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = ::recv(pipe.client, buffer, sizeof(buffer), 0);
        if (n <= 0) {
          client_open = false;
        } else {
          std::lock_guard lock(mutex_);
          pipe.held.append(buffer, static_cast<size_t>(n));
        }
      }
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = ::recv(pipe.upstream, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        if (client_open) WriteAll(pipe.client, std::string(buffer, static_cast<size_t>(n)));
      }
    }
    ::close(pipe.client);
    ::close(pipe.upstream);
    std::lock_guard lock(mutex_);
    pipe.held.clear();
    changed_.notify_all();
  }

  static void WriteAll(int fd, const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  const int upstream_port_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool holding_ = false;
  std::vector<std::unique_ptr<Pipe>> pipes_;
  std::thread acceptor_;
};

}  // namespace accord::testing
