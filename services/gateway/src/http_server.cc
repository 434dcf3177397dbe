#include "http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

#include "accord/common/log.h"
#include "accord/common/thread_name.h"

namespace accord::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  HttpRejecter rejecter;
  // One event loop per thread, each connection on one of them for its whole life: a connection's
  // handlers run on one thread without a strand, and the threads share no queue (a strand per
  // connection on one shared loop cost a lock and a hand-over per read and per write).
  std::vector<std::unique_ptr<net::io_context>> loops;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  std::atomic<size_t> next_loop{0};
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<int> exchanges{0};
  std::mutex mutex;
  std::condition_variable idle;
  std::atomic<bool> stopping{false};
  // Open sessions, to close them at the end of a drain.
  std::mutex sessions_mutex;
  std::vector<std::weak_ptr<HttpSession>> sessions;

  void Accept();
  void ExchangeEnded() {
    if (exchanges.fetch_sub(1) == 1) {
      std::lock_guard lock(mutex);
      idle.notify_all();
    }
  }
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {
    beast::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) client_ = endpoint.address().to_string();
  }

  void Run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(true); });
  }

  void Read(bool first) {
    if (server_.stopping.load()) return Shutdown();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_.options.max_header_bytes));
    parser_->body_limit(server_.options.max_body_bytes);
    // A kept-alive connection may idle; once a request starts it must arrive in time. Beast
    // times the whole read, so the first request gets the read timeout and later ones the idle
    // one (a client slow within a request is cut off at the latest by the idle timeout).
    stream_.expires_after(first ? server_.options.read_timeout : server_.options.idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      return Shutdown();
    }
    // A client too slow to send its request (or idle too long) is cut off: the timed-out
    // stream is already closed, so there is no answer to write.
    if (ec == beast::error::timeout) return Shutdown();
    if (ec == http::error::body_limit) return Reject(413);
    if (ec == http::error::header_limit) return Reject(431);
    if (ec) return Reject(400);
    auto& message = parser_->get();
    size_t header_count = 0;
    for (auto it = message.begin(); it != message.end(); ++it) ++header_count;
    if (header_count > server_.options.max_headers) return Reject(431);

    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    const size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.client_address = client_;
    request.keep_alive = message.keep_alive();
    stream_.expires_never();
    server_.exchanges.fetch_add(1);
    auto exchange = std::make_shared<HttpExchange>(shared_from_this(), std::move(request));
    try {
      server_.handler(std::move(exchange));
    } catch (const std::exception& error) {
      common::log::Error("http handler threw", {{"error", error.what()}});
    }
  }

  // Called on any thread.
  void Write(HttpResponse response, bool keep_alive) {
    net::post(stream_.get_executor(),
              [self = shared_from_this(), response = std::move(response), keep_alive]() mutable {
                self->DoWrite(std::move(response), keep_alive && !self->server_.stopping.load());
              });
  }

  void DoWrite(HttpResponse response, bool keep_alive) {
    auto message = std::make_shared<http::response<http::string_body>>();
    message->version(11);
    message->result(static_cast<unsigned>(response.status));
    for (auto& [name, value] : response.headers) message->set(name, value);
    message->body() = std::move(response.body);
    message->keep_alive(keep_alive);
    message->prepare_payload();
    stream_.expires_after(server_.options.write_timeout);
    http::async_write(
        stream_, *message,
        [self = shared_from_this(), message, keep_alive](beast::error_code ec, size_t) {
          if (ec || !keep_alive) return self->Shutdown();
          self->Read(false);
        });
  }

  void Reject(int status) {
    HttpResponse response = server_.rejecter(status);
    DoWrite(std::move(response), false);
  }

  void StartStream(HttpResponse head, std::function<void()> on_client_gone) {
    net::post(stream_.get_executor(), [self = shared_from_this(), head = std::move(head),
                                       gone = std::move(on_client_gone)]() mutable {
      self->on_gone_ = std::move(gone);
      std::string text =
          "HTTP/1.1 " + std::to_string(head.status) + " " +
          std::string(http::obsolete_reason(static_cast<http::status>(head.status))) + "\r\n";
      for (auto& [name, value] : head.headers) text += name + ": " + value + "\r\n";
      text += "Connection: close\r\n\r\n";
      self->streaming_ = true;
      self->stream_.expires_never();
      self->WatchForClose();
      self->DoSend(std::move(text), [](bool) {});
    });
  }

  void Send(std::string data, std::function<void(bool)> done) {
    net::post(stream_.get_executor(), [self = shared_from_this(), data = std::move(data),
                                       done = std::move(done)]() mutable {
      self->DoSend(std::move(data), std::move(done));
    });
  }

  // Writes go out one at a time, in the order sent.
  void DoSend(std::string data, std::function<void(bool)> done) {
    if (closed_) return done(false);
    pending_.emplace_back(std::move(data), std::move(done));
    if (pending_.size() == 1) WriteNext();
  }

  void WriteNext() {
    if (pending_.empty()) return;
    if (closed_) {
      auto waiting = std::move(pending_);
      pending_.clear();
      for (auto& [data, done] : waiting) done(false);
      return;
    }
    net::async_write(stream_.socket(), net::buffer(pending_.front().first),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       auto done = std::move(self->pending_.front().second);
                       self->pending_.pop_front();
                       if (ec) self->Shutdown();
                       done(!ec);
                       self->WriteNext();
                     });
  }

  void CloseStream() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Shutdown(); });
  }

  void Shutdown() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    ClientGone();
  }

  // From any thread, at the end of a drain.
  void ForceClose() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Shutdown(); });
  }

  HttpServer::Impl& server() { return server_; }

  void After(std::chrono::milliseconds delay, std::function<void()> callback) {
    auto timer = std::make_shared<net::steady_timer>(stream_.get_executor(), delay);
    timer->async_wait([timer, callback = std::move(callback)](beast::error_code ec) {
      if (!ec) callback();
    });
  }

 private:
  // A streaming client sends nothing more; a read that ends means it went away.
  void WatchForClose() {
    stream_.socket().async_read_some(net::buffer(scratch_),
                                     [self = shared_from_this()](beast::error_code ec, size_t) {
                                       if (ec) return self->ClientGone();
                                       self->WatchForClose();
                                     });
  }

  void ClientGone() {
    if (!on_gone_) return;
    auto gone = std::move(on_gone_);
    on_gone_ = nullptr;
    gone();
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string client_;
  bool streaming_ = false;
  bool closed_ = false;
  std::function<void()> on_gone_;
  char scratch_[256];
  std::deque<std::pair<std::string, std::function<void(bool)>>> pending_;
};

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

HttpExchange::HttpExchange(std::shared_ptr<HttpSession> session, HttpRequest request)
    : session_(std::move(session)), request_(std::move(request)) {}

HttpExchange::~HttpExchange() {
  if (!answered_.load()) {
    // A handler that dropped the exchange without answering: the client still gets one.
    session_->Write(HttpResponse{500,
                                 {{"Content-Type", "application/json"}},
                                 R"({"code":13,"message":"internal error","details":[]})"},
                    false);
  }
  held_.clear();
  session_->server().ExchangeEnded();
}

void HttpExchange::Respond(HttpResponse response) {
  if (answered_.exchange(true)) return;
  // What the exchange held (the client's concurrency slot) is free once the answer is on its
  // way, before the client can send its next request.
  held_.clear();
  session_->Write(std::move(response), request_.keep_alive);
}

void HttpExchange::StartStream(HttpResponse head, std::function<void()> on_client_gone) {
  if (answered_.exchange(true)) return;
  session_->StartStream(std::move(head), std::move(on_client_gone));
}

void HttpExchange::Send(std::string data, std::function<void(bool)> done) {
  session_->Send(std::move(data), std::move(done));
}

void HttpExchange::Close() { session_->CloseStream(); }

void HttpExchange::After(std::chrono::milliseconds delay, std::function<void()> callback) {
  session_->After(delay, std::move(callback));
}

void HttpServer::Impl::Accept() {
  net::io_context& loop = *loops[next_loop.fetch_add(1) % loops.size()];
  acceptor->async_accept(loop, [this](beast::error_code ec, tcp::socket socket) {
    if (stopping.load()) return;
    if (!ec) {
      auto session = std::make_shared<HttpSession>(std::move(socket), *this);
      {
        std::lock_guard lock(sessions_mutex);
        std::erase_if(sessions, [](const auto& weak) { return weak.expired(); });
        sessions.push_back(session);
      }
      session->Run();
    }
    Accept();
  });
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler, HttpRejecter rejecter)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
  impl_->rejecter = std::move(rejecter);
}

HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

absl::Status HttpServer::Start() {
  const std::string& address = impl_->options.address;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("bad address " + address);
  std::string host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  auto ip = net::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError("bad address " + address);
  int port = 0;
  try {
    port = std::stoi(address.substr(colon + 1));
  } catch (...) {
    return absl::InvalidArgumentError("bad address " + address);
  }
  tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
  const int threads = std::max(1, impl_->options.threads);
  for (int i = 0; i < threads; ++i) {
    impl_->loops.push_back(std::make_unique<net::io_context>(1));
    impl_->work.push_back(net::make_work_guard(*impl_->loops.back()));
  }
  impl_->acceptor.emplace(*impl_->loops.front());
  impl_->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(endpoint, ec);
  if (!ec) impl_->acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError("cannot listen on " + address + ": " + ec.message());
  port_ = impl_->acceptor->local_endpoint().port();
  impl_->Accept();
  for (int i = 0; i < threads; ++i) {
    impl_->threads.emplace_back([this, i] {
      common::NameCurrentThread("http-" + std::to_string(i));
      impl_->loops[static_cast<size_t>(i)]->run();
    });
  }
  return absl::OkStatus();
}

int HttpServer::open_exchanges() const { return impl_->exchanges.load(); }

void HttpServer::Stop(std::chrono::milliseconds deadline) {
  if (impl_->threads.empty()) return;
  impl_->stopping = true;
  net::post(*impl_->loops.front(), [this] {
    beast::error_code ec;
    if (impl_->acceptor) impl_->acceptor->close(ec);
  });
  {
    std::unique_lock lock(impl_->mutex);
    impl_->idle.wait_for(lock, deadline, [this] { return impl_->exchanges.load() == 0; });
  }
  {
    std::lock_guard lock(impl_->sessions_mutex);
    for (auto& weak : impl_->sessions) {
      if (auto session = weak.lock()) session->ForceClose();
    }
  }
  impl_->work.clear();
  // Closing the sockets lets every pending operation finish; give them a moment, then stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (auto& loop : impl_->loops) loop->stop();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

}  // namespace accord::gateway
