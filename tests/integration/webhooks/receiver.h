// A tiny HTTP/1.1 receiver on loopback for the webhooks' integration tests: it answers each POST
// as its behaviour says (a status, or hanging past the sender's timeout) and records every
// request it read; over TLS (OpenSSL) when given a certificate and its key, then reached at an
// https URL. Header-only: the test binaries compile only *_test.cc.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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

// PEM files of the receiver's certificate (with 127.0.0.1 among its names) and its key.
struct ReceiverTls {
  std::string certificate_file;
  std::string key_file;
};

class Receiver {
 public:
  // The status to answer the n-th request (0-based) with; 0 hangs for `hang` and then closes.
  using Behaviour = std::function<int(int n, const ReceivedRequest& request)>;

  explicit Receiver(Behaviour behaviour, std::chrono::milliseconds hang = std::chrono::seconds(2),
                    std::optional<ReceiverTls> tls = std::nullopt);
  ~Receiver();

  std::string url() const;
  // Connections whose TLS handshake failed (the sender refused the certificate, say).
  int failed_handshakes() const { return failed_handshakes_.load(); }
  std::vector<ReceivedRequest> requests() const;
  // Waits until `done(requests)` holds or `timeout` passes; returns whether it held.
  bool WaitFor(const std::function<bool(const std::vector<ReceivedRequest>&)>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 private:
  void Serve(int fd);

  Behaviour behaviour_;
  std::chrono::milliseconds hang_;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> tls_{nullptr, SSL_CTX_free};
  std::atomic<int> failed_handshakes_{0};
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

// One accepted connection, plain or TLS.
class Connection {
 public:
  Connection(int fd, SSL_CTX* tls) : fd_(fd) {
    if (tls != nullptr) {
      ssl_ = SSL_new(tls);
      SSL_set_fd(ssl_, fd_);
    }
  }
  ~Connection() {
    if (ssl_ != nullptr) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    ::close(fd_);
  }
  // The TLS handshake (nothing to do in plain text); false when the client gave up on it.
  bool Handshake() { return ssl_ == nullptr || SSL_accept(ssl_) == 1; }
  int fd() const { return fd_; }
  // Bytes already decrypted and waiting: poll() on the socket does not see them.
  bool Pending() const { return ssl_ != nullptr && SSL_pending(ssl_) > 0; }
  ssize_t Read(char* data, size_t size) {
    if (ssl_ == nullptr) return ::recv(fd_, data, size, 0);
    return SSL_read(ssl_, data, static_cast<int>(size));
  }
  bool SendAll(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n =
          ssl_ == nullptr
              ? ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL)
              : SSL_write(ssl_, data.data() + sent, static_cast<int>(data.size() - sent));
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

 private:
  int fd_;
  SSL* ssl_ = nullptr;
};

}  // namespace receiver_detail

inline Receiver::Receiver(Behaviour behaviour, std::chrono::milliseconds hang,
                          std::optional<ReceiverTls> tls)
    : behaviour_(std::move(behaviour)), hang_(hang) {
  if (tls) {
    ::signal(SIGPIPE, SIG_IGN);  // SSL_write to a client that hung up
    tls_.reset(SSL_CTX_new(TLS_server_method()));
    if (!tls_ ||
        SSL_CTX_use_certificate_chain_file(tls_.get(), tls->certificate_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls_.get(), tls->key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      throw std::runtime_error("receiver: cannot load the TLS certificate and key");
    }
  }
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
  return (tls_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_) + "/hook";
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
inline void Receiver::Serve(int fd) {
  receiver_detail::Connection connection(fd, tls_.get());
  if (!connection.Handshake()) {
    ++failed_handshakes_;
    changed_.notify_all();
    return;
  }
  std::string buffer;
  char chunk[16384];
  auto read_more = [&]() {
    while (!stopping_) {
      if (!connection.Pending()) {
        pollfd ready{connection.fd(), POLLIN, 0};
        const int polled = ::poll(&ready, 1, 50);
        if (polled == 0) continue;
        if (polled < 0) return false;
      }
      const ssize_t n = connection.Read(chunk, sizeof(chunk));
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<size_t>(n));
      return true;
    }
    return false;
  };
  while (!stopping_) {
    size_t end = buffer.find("\r\n\r\n");
    while (end == std::string::npos) {
      if (!read_more()) return;
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
      if (!read_more()) return;
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
      return;
    }
    const std::string reply = "HTTP/1.1 " + std::to_string(status) +
                              " X\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
    if (!connection.SendAll(reply)) return;
  }
}

}  // namespace accord::webhooks::testing
