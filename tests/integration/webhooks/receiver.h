// A tiny HTTP/1.1 receiver on loopback for the webhooks' integration tests: it answers each POST
// as its behaviour says (a status, or hanging past the sender's timeout) and records every
// request it read. Header-only: the test binaries compile only *_test.cc.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace accord::webhooks::testing {

struct ReceivedRequest {
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  int answered = 0;  // the status sent back; 0 when the receiver hung up instead
};

class Receiver {
 public:
  // The status to answer the n-th request (0-based) with; 0 hangs for `hang` and then closes.
  using Behaviour = std::function<int(int n, const ReceivedRequest& request)>;

  explicit Receiver(Behaviour behaviour, std::chrono::milliseconds hang = std::chrono::seconds(2));
  ~Receiver();

  std::string url() const;
  std::vector<ReceivedRequest> requests() const;
  // Waits until `done(requests)` holds or `timeout` passes; returns whether it held.
  bool WaitFor(const std::function<bool(const std::vector<ReceivedRequest>&)>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 private:
  void Serve(int connection);

  Behaviour behaviour_;
  std::chrono::milliseconds hang_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<ReceivedRequest> requests_;
  int count_ = 0;
  std::thread accept_;
  std::vector<std::thread> connections_;
};

namespace receiver_detail {

inline std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

inline bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace receiver_detail

inline Receiver::Receiver(Behaviour behaviour, std::chrono::milliseconds hang)
    : behaviour_(std::move(behaviour)), hang_(hang) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int on = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener_, 64) != 0) {
    throw std::runtime_error("receiver: cannot listen on loopback");
  }
  socklen_t length = sizeof(address);
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  accept_ = std::thread([this] {
    while (!stopping_) {
      pollfd ready{listener_, POLLIN, 0};
      if (::poll(&ready, 1, 50) <= 0) continue;
      const int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) continue;
      std::lock_guard lock(mutex_);
      connections_.emplace_back([this, connection] { Serve(connection); });
    }
  });
}

inline Receiver::~Receiver() {
  stopping_ = true;
  accept_.join();
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (auto& thread : connections) thread.join();
  ::close(listener_);
}

inline std::string Receiver::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/hook";
}

inline std::vector<ReceivedRequest> Receiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

inline bool Receiver::WaitFor(const std::function<bool(const std::vector<ReceivedRequest>&)>& done,
                              std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return done(requests_); });
}

// One connection, keep-alive: requests until the client closes it or the receiver stops.
inline void Receiver::Serve(int connection) {
  std::string buffer;
  char chunk[16384];
  auto read_more = [&]() {
    while (!stopping_) {
      pollfd ready{connection, POLLIN, 0};
      const int polled = ::poll(&ready, 1, 50);
      if (polled == 0) continue;
      if (polled < 0) return false;
      const ssize_t n = ::recv(connection, chunk, sizeof(chunk), 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<size_t>(n));
      return true;
    }
    return false;
  };
  while (!stopping_) {
    size_t end = buffer.find("\r\n\r\n");
    while (end == std::string::npos) {
      if (!read_more()) {
        ::close(connection);
        return;
      }
      end = buffer.find("\r\n\r\n");
    }
    ReceivedRequest request;
    size_t line_start = buffer.find("\r\n") + 2;
    while (line_start < end) {
      const size_t line_end = buffer.find("\r\n", line_start);
      const std::string line = buffer.substr(line_start, line_end - line_start);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        size_t value = colon + 1;
        while (value < line.size() && line[value] == ' ') ++value;
        request.headers[receiver_detail::Lower(line.substr(0, colon))] = line.substr(value);
      }
      line_start = line_end + 2;
    }
    const size_t length =
        std::stoul(request.headers.count("content-length") > 0 ? request.headers["content-length"]
                                                               : std::string("0"));
    while (buffer.size() < end + 4 + length) {
      if (!read_more()) {
        ::close(connection);
        return;
      }
    }
    request.body = buffer.substr(end + 4, length);
    buffer.erase(0, end + 4 + length);
    int n = 0;
    {
      std::lock_guard lock(mutex_);
      n = count_++;
    }
    const int status = behaviour_(n, request);
    request.answered = status;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    changed_.notify_all();
    if (status == 0) {
      const auto until = std::chrono::steady_clock::now() + hang_;
      while (!stopping_ && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      ::close(connection);
      return;
    }
    const std::string reply = "HTTP/1.1 " + std::to_string(status) +
                              " X\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
    if (!receiver_detail::SendAll(connection, reply)) {
      ::close(connection);
      return;
    }
  }
  ::close(connection);
}

}  // namespace accord::webhooks::testing
