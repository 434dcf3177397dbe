// The gateway's HTTP/1.1 server (Boost.Beast on Asio): reads requests within limits and
// timeouts, hands each to the handler as an HttpExchange, and writes the answer, possibly later
// and from another thread; or holds the connection open as a stream (Server-Sent Events).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace accord::gateway {

struct HttpRequest {
  std::string method;                                        // "GET"
  std::string target;                                        // "/v1/accounts?filter=..."
  std::string path;                                          // "/v1/accounts"
  std::string query;                                         // "filter=..." (raw)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string client_address;  // the peer's IP
  bool keep_alive = true;

  // The first header of that (lower-case) name, or "".
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class HttpSession;

// One request and its answer. Respond exactly once, or StartStream then Send... then Close.
class HttpExchange {
 public:
  HttpExchange(std::shared_ptr<HttpSession> session, HttpRequest request);
  ~HttpExchange();
  const HttpRequest& request() const { return request_; }
  // Keeps `resource` alive until the exchange ends (e.g. the client's concurrency slot).
  void Hold(std::shared_ptr<void> resource) { held_.push_back(std::move(resource)); }
  void Respond(HttpResponse response);
  // Writes the status line and headers; the body follows through Send and ends with the
  // connection. `on_client_gone` runs once if the client disconnects first.
  void StartStream(HttpResponse head, std::function<void()> on_client_gone);
  // Writes `data`; `done(false)` when the client is gone. One Send at a time.
  void Send(std::string data, std::function<void(bool ok)> done);
  void Close();
  // Runs `callback` on the connection's strand after `delay` (unless the server stops first).
  void After(std::chrono::milliseconds delay, std::function<void()> callback);

 private:
  std::shared_ptr<HttpSession> session_;
  HttpRequest request_;
  std::vector<std::shared_ptr<void>> held_;
  std::atomic<bool> answered_{false};
};

struct HttpServerOptions {
  std::string address = "127.0.0.1:8080";  // port 0 picks a free one
  int threads = 2;
  size_t max_body_bytes = 1024 * 1024;
  size_t max_header_bytes = 32 * 1024;
  size_t max_headers = 100;
  // The whole request (headers and body) must arrive within this; a slower client is cut off
  // (the connection closed without an answer).
  std::chrono::milliseconds read_timeout{10000};
  // A kept-alive connection with no new request for this long is closed.
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds write_timeout{10000};
};

using HttpHandler = std::function<void(std::shared_ptr<HttpExchange>)>;
// The answer to a request refused before the handler saw it (status 400, 413 or 431).
using HttpRejecter = std::function<HttpResponse(int status)>;

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler, HttpRejecter rejecter);
  ~HttpServer();
  absl::Status Start();
  int port() const { return port_; }
  // Stops accepting, lets requests in flight finish until `deadline`, then closes everything.
  void Stop(std::chrono::milliseconds deadline);
  int open_exchanges() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace accord::gateway
