// accord-bench-h2load: closed-loop unary load with a different request per call, at h2load's cost.
// One thread, one epoll loop, one libnghttp2 client session per TCP connection, gRPC frames
// encoded up front (get) or into reused buffers (update). Prints one JSON object on stdout. See
// --help.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "accord/account/v1/account.pb.h"
#include "bench_args.h"
#include "bench_report.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = accord::account::v1;

constexpr const char* kUsage =
    R"(usage: accord-bench-h2load --mode=MODE --target=HOST:PORT --token=JWT [options]

Closed-loop GetAccount or UpdateAccount load with a different request per call, which h2load
(one fixed body) cannot send, at h2load's cost: one thread, epoll, libnghttp2, gRPC messages
encoded up front. Prints one JSON object on stdout.

Modes:
  update   UpdateAccount (display_name) on the accounts in --names-file, round robin; the etag
           sent for the k-th request is k / N + 1, so every account must start at version 1 and
           N must be much larger than the calls in flight (connections x streams).
  get      GetAccount cycling through --names-file (distinct keys, e.g. for cold-cache reads).
           With --once every name is requested exactly once and the run ends there.

Options:
  --connections=C  separate HTTP/2 connections (default 4)
  --streams=M      calls in flight per connection (default 8)
  --duration=S     seconds measured (default 10)   --warmup=S  seconds not measured (default 1)
  --names-file=F   one account name per line
  --method=/S/M    get: send the same GetAccountRequests to this method instead (raw bytes, e.g.
                   a no-op server's method, to measure what this client and path cost alone)
  --once           get: request each name once, then stop (ignores --duration)
  --template=F     get: a gRPC frame (as accord-grpc-frame writes it) each request starts from;
                   the name is then set in --name-field (protobuf merges the two), so any method
                   whose request names a resource can be sent, e.g. CreateSale from a quote
  --name-field=P   get: the field path the name fills, field numbers joined by dots (default 1,
                   GetAccountRequest.name; CreateSaleRequest.sale.quote is 1.3)
  --latency-file=F also write every measured OK call's latency (microseconds, one per line) to F,
                   so the latencies of several runs can be summarised together
  --timeout=S      per-call deadline (default 10; sent as grpc-timeout, and a call still open
                   after it is cancelled and counted as DEADLINE_EXCEEDED)

A connection that fails is not reopened: its calls in flight count as UNAVAILABLE and its
streams stop, so a run against a server that goes away ends early (see codes and first_error).
)";

using accord::bench::CodeIndex;
using accord::bench::JsonEscape;
using accord::bench::kCodeCount;
using accord::bench::kCodeNames;
using accord::bench::LatencyJson;
using accord::bench::ReadLines;
constexpr int kOk = 0, kUnknown = accord::bench::kUnknownCode, kDeadlineExceeded = 4,
              kUnimplemented = 12, kInternal = 13, kUnavailable = 14, kPermissionDenied = 7,
              kUnauthenticated = 16;

// gRPC's mapping of a non-200 HTTP status (doc/http-grpc-status-mapping.md).
int CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
      return kInternal;
    case 401:
      return kUnauthenticated;
    case 403:
      return kPermissionDenied;
    case 404:
      return kUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return kUnavailable;
    default:
      return kUnknown;
  }
}

// grpc-message is percent-encoded (gRPC's PROTOCOL-HTTP2.md).
std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned value = 0;
    if (text[i] == '%' && i + 2 < text.size() &&
        std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr ==
            text.data() + i + 3) {
      out += static_cast<char>(value);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The 5-byte gRPC message prefix: not compressed, 4-byte big-endian length.
void WritePrefix(char* out, size_t length) {
  out[0] = 0;
  out[1] = static_cast<char>((length >> 24) & 0xff);
  out[2] = static_cast<char>((length >> 16) & 0xff);
  out[3] = static_cast<char>((length >> 8) & 0xff);
  out[4] = static_cast<char>(length & 0xff);
}

nghttp2_nv Header(const std::string& name, const std::string& value) {
  // The strings live as long as the Load that owns them, longer than every session.
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
}

class Load;
struct Connection;

// One closed-loop caller bound to one connection: its next call starts when its call finishes.
struct Slot {
  Connection* connection = nullptr;
  int32_t stream_id = 0;  // > 0 while a call is in flight
  Clock::time_point started;
  const char* body = nullptr;
  size_t body_size = 0;
  size_t body_sent = 0;
  int http_status = 0;
  int grpc_status = -1;     // -1: none received
  bool cancelled = false;   // reset by us at its deadline
  std::string message;      // grpc-message of the call, kept only while first_error is empty
  std::string update_body;  // update: this slot's encoded request, buffer reused
  v1::UpdateAccountRequest update;
};

struct Connection {
  Load* load = nullptr;
  int index = 0;
  int fd = -1;
  nghttp2_session* session = nullptr;
  std::vector<Slot> slots;
  std::string out;  // produced by nghttp2, not yet written
  size_t out_offset = 0;
  bool epollout = false;
  bool dirty = false;  // has something for nghttp2_session_mem_send
  bool dead = false;
};

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

// The protobuf encoding of `value` in the string field at `path` (outer field first), nested
// messages length-delimited: appended to a message, it sets that field.
std::string NameField(const std::vector<uint32_t>& path, const std::string& value) {
  std::string encoded = value;
  for (auto field = path.rbegin(); field != path.rend(); ++field) {
    std::string wrapped;
    AppendVarint(wrapped, (static_cast<uint64_t>(*field) << 3) | 2);
    AppendVarint(wrapped, encoded.size());
    wrapped += encoded;
    encoded = std::move(wrapped);
  }
  return encoded;
}

class Load {
 public:
  Load(std::string mode, std::string target, std::string host, std::string port,
       std::vector<std::string> names, const std::string& token, double timeout_s, bool once,
       const std::string& method, const std::string& request_template,
       const std::vector<uint32_t>& name_field)
      : mode_(std::move(mode)),
        target_(std::move(target)),
        host_(std::move(host)),
        port_(std::move(port)),
        once_(once),
        update_(mode_ == "update"),
        names_(std::move(names)),
        timeout_(std::chrono::microseconds(static_cast<int64_t>(timeout_s * 1e6))) {
    path_ = !method.empty() ? method
            : update_       ? "/accord.account.v1.AccountService/UpdateAccount"
                            : "/accord.account.v1.AccountService/GetAccount";
    bearer_ = "Bearer " + token;
    // grpc-timeout allows at most 8 digits: milliseconds up to ~27 hours.
    const int64_t timeout_ms = std::max<int64_t>(1, static_cast<int64_t>(timeout_s * 1000 + 0.5));
    grpc_timeout_ = std::to_string(std::min<int64_t>(timeout_ms, 99999999)) + "m";
    static const std::string kMethod = ":method", kPost = "POST", kScheme = ":scheme",
                             kHttp = "http", kPath = ":path", kAuthority = ":authority",
                             kContentType = "content-type", kGrpc = "application/grpc", kTe = "te",
                             kTrailers = "trailers", kAuthorization = "authorization",
                             kGrpcTimeout = "grpc-timeout";
    headers_ = {Header(kMethod, kPost),
                Header(kScheme, kHttp),
                Header(kPath, path_),
                Header(kAuthority, target_),
                Header(kContentType, kGrpc),
                Header(kTe, kTrailers),
                Header(kAuthorization, bearer_),
                Header(kGrpcTimeout, grpc_timeout_)};
    if (!update_) {
      // Every request frame, back to back; offsets_[i]..offsets_[i + 1] is name i's: the
      // template, then the name in its field (a GetAccountRequest by default).
      offsets_.reserve(names_.size() + 1);
      for (const auto& name : names_) {
        const std::string message = request_template + NameField(name_field, name);
        const size_t at = frames_.size();
        offsets_.push_back(at);
        frames_.resize(at + 5 + message.size());
        WritePrefix(frames_.data() + at, message.size());
        std::memcpy(frames_.data() + at + 5, message.data(), message.size());
      }
      offsets_.push_back(frames_.size());
    }
  }

  ~Load() {
    for (auto& connection : connections_) {
      if (connection->session != nullptr) nghttp2_session_del(connection->session);
      if (connection->fd >= 0) close(connection->fd);
    }
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  // Opens every connection; false (with *error) when one cannot be opened.
  bool Connect(int connections, int streams, std::string* error) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) {
      *error = std::string("epoll_create1: ") + std::strerror(errno);
      return false;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* addresses = nullptr;
    if (int rc = getaddrinfo(host_.c_str(), port_.c_str(), &hints, &addresses); rc != 0) {
      *error = "cannot resolve " + host_ + ": " + gai_strerror(rc);
      return false;
    }
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(addresses, freeaddrinfo);

    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, OnStreamClose);
    std::unique_ptr<nghttp2_session_callbacks, decltype(&nghttp2_session_callbacks_del)>
        owned_callbacks(callbacks, nghttp2_session_callbacks_del);

    for (int c = 0; c < connections; ++c) {
      // Owned by connections_ from here on, so that the destructor closes what an error leaves.
      Connection* connection = connections_.emplace_back(std::make_unique<Connection>()).get();
      connection->load = this;
      connection->index = c;
      connection->slots.resize(static_cast<size_t>(streams));
      for (auto& slot : connection->slots) {
        slot.connection = connection;
        if (update_) {
          slot.update.mutable_update_mask()->add_paths("display_name");
          slot.update.mutable_account()->mutable_display_name()->reserve(40);
        }
      }
      std::string reason;
      for (addrinfo* a = addresses; a != nullptr && connection->fd < 0; a = a->ai_next) {
        connection->fd = ConnectOne(a, &reason);
      }
      if (connection->fd < 0) {
        *error = "cannot connect to " + target_ + ": " + reason;
        return false;
      }
      if (nghttp2_session_client_new(&connection->session, callbacks, connection) != 0) {
        *error = "nghttp2_session_client_new failed";
        return false;
      }
      // Large windows, as h2load's defaults (-w 30 -W 30): responses never wait for WINDOW_UPDATE.
      const nghttp2_settings_entry settings[] = {
          {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
          {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, (1U << 30) - 1}};
      int rc = nghttp2_submit_settings(connection->session, NGHTTP2_FLAG_NONE, settings, 2);
      if (rc == 0) {
        rc = nghttp2_session_set_local_window_size(connection->session, NGHTTP2_FLAG_NONE, 0,
                                                   (1 << 30) - 1);
      }
      if (rc != 0) {
        *error = std::string("nghttp2 settings: ") + nghttp2_strerror(rc);
        return false;
      }
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.ptr = connection;
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, connection->fd, &event) != 0) {
        *error = std::string("epoll_ctl: ") + std::strerror(errno);
        return false;
      }
    }
    return true;
  }

  std::string Run(int connections, int streams, double warmup_s, double duration_s) {
    start_ = Clock::now();
    measure_from_ = start_ + std::chrono::microseconds(static_cast<int64_t>(warmup_s * 1e6));
    stop_at_ =
        once_ ? Clock::time_point::max()
              : measure_from_ + std::chrono::microseconds(static_cast<int64_t>(duration_s * 1e6));
    const auto check_every = std::clamp<Clock::duration>(
        timeout_ / 20, std::chrono::milliseconds(1), std::chrono::milliseconds(50));
    next_check_ = start_ + check_every;

    active_ = connections * streams;
    for (auto& connection : connections_) {
      connection->dirty = true;
      for (auto& slot : connection->slots) {
        if (!Issue(&slot)) --active_;
      }
    }
    epoll_event events[64];
    while (active_ > 0) {
      FlushDirty();
      if (active_ == 0) break;
      const auto now = Clock::now();
      const int wait_ms = static_cast<int>(std::max<int64_t>(
          0, std::chrono::ceil<std::chrono::milliseconds>(next_check_ - now).count()));
      const int n = epoll_wait(epoll_fd_, events, 64, wait_ms);
      if (n < 0 && errno != EINTR) {
        std::cerr << "accord-bench-h2load: epoll_wait: " << std::strerror(errno) << "\n";
        break;
      }
      for (int i = 0; i < n; ++i) {
        auto* connection = static_cast<Connection*>(events[i].data.ptr);
        if (connection->dead) continue;
        if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) Receive(connection);
        if (!connection->dead && (events[i].events & EPOLLOUT)) connection->dirty = true;
      }
      if (Clock::now() >= next_check_) {
        CheckDeadlines();
        next_check_ = Clock::now() + check_every;
      }
    }

    const double measured_s =
        std::chrono::duration<double>(std::min(last_completion_, stop_at_) - measure_from_).count();
    std::ostringstream out;
    out << "{\"mode\":\"" << mode_ << "\",\"connections\":" << connections
        << ",\"streams\":" << streams << ",\"calls_total\":" << total_
        << ",\"measured_calls\":" << measured_total_ << ",\"measured_ok\":" << measured_ok_
        << ",\"measured_seconds\":" << measured_s
        << ",\"qps\":" << (measured_s > 0 ? static_cast<double>(measured_ok_) / measured_s : 0)
        << ",\"codes\":{";
    std::map<std::string, int64_t> codes;  // by name, as accord-bench-load prints them
    for (int i = 0; i < kCodeCount; ++i) {
      if (codes_[i] > 0) codes[kCodeNames[i]] = codes_[i];
    }
    bool first = true;
    for (const auto& [code, count] : codes) {
      out << (first ? "" : ",") << "\"" << code << "\":" << count;
      first = false;
    }
    out << "},\"first_error\":\"" << JsonEscape(first_error_)
        << "\",\"latency_us\":" << LatencyJson(latencies_us_) << "}";
    return out.str();
  }

  // The measured OK calls' latencies, one per line, in completion order.
  bool WriteLatencies(const std::string& path) const {
    std::ofstream file(path);
    for (int64_t latency : latencies_us_) file << latency << '\n';
    file.flush();
    return static_cast<bool>(file);
  }

 private:
  static int ConnectOne(const addrinfo* address, std::string* reason) {
    int fd = socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    address->ai_protocol);
    if (fd < 0) {
      *reason = std::strerror(errno);
      return -1;
    }
    int rc = connect(fd, address->ai_addr, address->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, 5000);
      int error = 0;
      socklen_t length = sizeof error;
      if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0) {
        rc = 0;
      } else {
        errno = rc == 0 ? ETIMEDOUT : (error != 0 ? error : errno);
        rc = -1;
      }
    }
    if (rc != 0) {
      *reason = std::strerror(errno);
      close(fd);
      return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
  }

  // Starts the slot's next call; false when it has no more calls to make.
  bool Issue(Slot* slot) {
    Connection* connection = slot->connection;
    if (connection->dead || !nghttp2_session_check_request_allowed(connection->session)) {
      return false;
    }
    const uint64_t k = next_;
    if (once_ && k >= names_.size()) return false;
    ++next_;
    const size_t index = static_cast<size_t>(k % names_.size());
    if (update_) {
      v1::Account* account = slot->update.mutable_account();
      account->set_name(names_[index]);
      char digits[24];
      std::string* display_name = account->mutable_display_name();
      display_name->assign("Bench Updated ");
      display_name->append(digits, std::to_chars(digits, digits + sizeof digits, k).ptr);
      std::string* etag = slot->update.mutable_etag();
      etag->assign(digits,
                   std::to_chars(digits, digits + sizeof digits, k / names_.size() + 1).ptr);
      const size_t size = slot->update.ByteSizeLong();
      slot->update_body.resize(5 + size);
      WritePrefix(slot->update_body.data(), size);
      slot->update.SerializeWithCachedSizesToArray(
          reinterpret_cast<uint8_t*>(slot->update_body.data() + 5));
      slot->body = slot->update_body.data();
      slot->body_size = slot->update_body.size();
    } else {
      slot->body = frames_.data() + offsets_[index];
      slot->body_size = offsets_[index + 1] - offsets_[index];
    }
    slot->body_sent = 0;
    slot->http_status = 0;
    slot->grpc_status = -1;
    slot->cancelled = false;
    slot->message.clear();
    nghttp2_data_provider provider;
    provider.source.ptr = slot;
    provider.read_callback = ReadBody;
    slot->started = Clock::now();
    const int32_t stream_id = nghttp2_submit_request(connection->session, nullptr, headers_.data(),
                                                     headers_.size(), &provider, slot);
    if (stream_id < 0) {
      // Not a call the server saw; counted so that it shows, and the slot stops.
      Record(slot, kUnavailable, std::string("cannot submit: ") + nghttp2_strerror(stream_id),
             Clock::now());
      return false;
    }
    slot->stream_id = stream_id;
    connection->dirty = true;
    return true;
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                          uint32_t* data_flags, nghttp2_data_source* source, void*) {
    auto* slot = static_cast<Slot*>(source->ptr);
    const size_t n = std::min(length, slot->body_size - slot->body_sent);
    std::memcpy(buffer, slot->body + slot->body_sent, n);
    slot->body_sent += n;
    if (slot->body_sent == slot->body_size) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    auto* slot =
        static_cast<Slot*>(nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
    if (slot == nullptr) return 0;
    const std::string_view key(reinterpret_cast<const char*>(name), name_length);
    const char* text = reinterpret_cast<const char*>(value);
    if (key == ":status") {
      int status = 0;
      std::from_chars(text, text + value_length, status);
      slot->http_status = status;
    } else if (key == "grpc-status") {
      long status = 0;
      auto [end, error] = std::from_chars(text, text + value_length, status);
      slot->grpc_status = error == std::errc() && end == text + value_length && value_length > 0
                              ? CodeIndex(status)
                              : kUnknown;
    } else if (key == "grpc-message" && value_length > 0 &&
               static_cast<Connection*>(user_data)->load->first_error_.empty()) {
      slot->message.assign(text, value_length);
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t error_code,
                           void* user_data) {
    auto* slot = static_cast<Slot*>(nghttp2_session_get_stream_user_data(session, stream_id));
    if (slot == nullptr || slot->stream_id != stream_id) return 0;
    static_cast<Connection*>(user_data)->load->Closed(slot, error_code);
    return 0;
  }

  void Closed(Slot* slot, uint32_t error_code) {
    const auto now = Clock::now();
    slot->stream_id = 0;
    if (slot->cancelled) {
      Record(slot, kDeadlineExceeded, "Deadline Exceeded", now);
    } else if (error_code != NGHTTP2_NO_ERROR) {
      Record(slot, kUnavailable,
             std::string("stream closed with ") + nghttp2_http2_strerror(error_code), now);
    } else if (slot->http_status != 200) {
      Record(slot, CodeForHttpStatus(slot->http_status),
             "HTTP status " + std::to_string(slot->http_status), now);
    } else if (slot->grpc_status < 0) {
      Record(slot, kUnknown, "no grpc-status in the response", now);
    } else {
      Record(slot, slot->grpc_status, slot->message, now);
    }
    if (now < stop_at_ && Issue(slot)) return;
    --active_;
  }

  void Record(Slot* slot, int code, const std::string& message, Clock::time_point now) {
    ++total_;
    ++codes_[code];
    if (code != kOk && first_error_.empty()) {
      first_error_ = std::string(kCodeNames[code]) + ": " + PercentDecode(message);
    }
    if (slot->started >= measure_from_ && now <= stop_at_) {
      ++measured_total_;
      if (code == kOk) {
        ++measured_ok_;
        latencies_us_.push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(now - slot->started).count());
      }
    }
    last_completion_ = std::max(last_completion_, now);
  }

  void Receive(Connection* connection) {
    const ssize_t n = read(connection->fd, buffer_, sizeof buffer_);
    if (n > 0) {
      const ssize_t used = nghttp2_session_mem_recv(
          connection->session, reinterpret_cast<const uint8_t*>(buffer_), static_cast<size_t>(n));
      if (used < 0) {
        Fail(connection, std::string("HTTP/2 error: ") + nghttp2_strerror(static_cast<int>(used)));
      } else {
        connection->dirty = true;
      }
    } else if (n == 0) {
      Fail(connection, "connection closed by the server");
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      Fail(connection, std::string("read: ") + std::strerror(errno));
    }
  }

  void FlushDirty() {
    for (auto& owned : connections_) {
      Connection* connection = owned.get();
      if (!connection->dirty || connection->dead) continue;
      connection->dirty = false;
      for (;;) {
        const uint8_t* data = nullptr;
        const ssize_t n = nghttp2_session_mem_send(connection->session, &data);
        if (n < 0) {
          Fail(connection, std::string("HTTP/2 error: ") + nghttp2_strerror(static_cast<int>(n)));
          break;
        }
        if (n == 0) break;
        connection->out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
      }
      if (connection->dead) continue;
      Write(connection);
    }
  }

  void Write(Connection* connection) {
    while (connection->out_offset < connection->out.size()) {
      const ssize_t n = send(connection->fd, connection->out.data() + connection->out_offset,
                             connection->out.size() - connection->out_offset, MSG_NOSIGNAL);
      if (n > 0) {
        connection->out_offset += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        SetEpollOut(connection, true);
        return;
      }
      Fail(connection, std::string("write: ") + std::strerror(errno));
      return;
    }
    connection->out.clear();
    connection->out_offset = 0;
    SetEpollOut(connection, false);
  }

  void SetEpollOut(Connection* connection, bool on) {
    if (connection->epollout == on) return;
    connection->epollout = on;
    epoll_event event{};
    event.events = on ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    event.data.ptr = connection;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, connection->fd, &event);
  }

  // Cancels the calls past their deadline (nghttp2 closes the stream once the RST_STREAM is
  // produced, and Closed counts it as DEADLINE_EXCEEDED). A call still open well after that means
  // the connection is stuck: it is failed.
  void CheckDeadlines() {
    const auto now = Clock::now();
    for (auto& connection : connections_) {
      if (connection->dead) continue;
      for (auto& slot : connection->slots) {
        if (slot.stream_id <= 0 || now - slot.started < timeout_) continue;
        if (!slot.cancelled) {
          slot.cancelled = true;
          nghttp2_submit_rst_stream(connection->session, NGHTTP2_FLAG_NONE, slot.stream_id,
                                    NGHTTP2_CANCEL);
          connection->dirty = true;
        } else if (now - slot.started > timeout_ + std::chrono::seconds(1)) {
          Fail(connection.get(), "a cancelled call did not end");
          break;
        }
      }
    }
  }

  // Closes a connection that failed; its calls in flight end as UNAVAILABLE and its slots stop.
  void Fail(Connection* connection, const std::string& reason) {
    if (connection->dead) return;
    connection->dead = true;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, connection->fd, nullptr);
    close(connection->fd);
    connection->fd = -1;
    nghttp2_session_del(connection->session);  // calls no callbacks
    connection->session = nullptr;
    const auto now = Clock::now();
    int in_flight = 0;
    for (auto& slot : connection->slots) {
      if (slot.stream_id <= 0) continue;
      slot.stream_id = 0;
      ++in_flight;
      if (slot.cancelled) {
        Record(&slot, kDeadlineExceeded, "Deadline Exceeded", now);
      } else {
        Record(&slot, kUnavailable, reason, now);
      }
      --active_;
    }
    // Slots without a call in flight have already stopped; a note for the operator on stderr.
    std::cerr << "accord-bench-h2load: connection " << connection->index << ": " << reason << " ("
              << std::chrono::duration<double>(now - start_).count() << " s into the run, "
              << in_flight << " calls in flight)\n";
  }

  const std::string mode_;
  const std::string target_, host_, port_;
  const bool once_;
  const bool update_;
  const std::vector<std::string> names_;
  const Clock::duration timeout_;
  std::string path_, bearer_, grpc_timeout_;
  std::vector<nghttp2_nv> headers_;
  std::string frames_;           // get: every request's frame
  std::vector<size_t> offsets_;  // get: frame i is frames_[offsets_[i], offsets_[i + 1])

  int epoll_fd_ = -1;
  std::vector<std::unique_ptr<Connection>> connections_;
  char buffer_[65536];

  uint64_t next_ = 0;
  int active_ = 0;
  Clock::time_point start_, measure_from_, stop_at_, last_completion_{}, next_check_;
  int64_t codes_[kCodeCount] = {};  // all calls, warm-up included
  int64_t total_ = 0, measured_total_ = 0, measured_ok_ = 0;
  std::vector<int64_t> latencies_us_;
  std::string first_error_;
};

}  // namespace

int main(int argc, char** argv) {
  accord::bench::Flags flags(argc, argv, kUsage);
  const std::string mode = flags.Required("mode");
  const std::string target = flags.Required("target");
  const std::string token = flags.Required("token");
  const long long connections = flags.Int("connections", 4);
  const long long streams = flags.Int("streams", 8);
  const double duration = flags.Double("duration", 10);
  const double warmup = flags.Double("warmup", 1);
  const double timeout = flags.Double("timeout", 10);
  const std::string names_file = flags.Get("names-file");
  const bool once = flags.Has("once");
  const std::string method = flags.Get("method");
  const std::string latency_file = flags.Get("latency-file");
  const std::string template_file = flags.Get("template");
  const std::string name_field_text = flags.Get("name-field", "1");
  flags.Finish();

  if (mode != "get" && mode != "update") {
    flags.Fail("unknown --mode " + mode + " (get or update; events: use accord-bench-load)");
  }
  if (connections < 1 || connections > 10000) flags.Fail("--connections must be 1..10000");
  if (streams < 1 || streams > 10000) flags.Fail("--streams must be 1..10000");
  if (!(duration >= 0) || !(warmup >= 0)) flags.Fail("--duration and --warmup must be >= 0");
  if (!(timeout > 0) || timeout > 1e6) flags.Fail("--timeout must be > 0 seconds");
  if (!method.empty() && mode != "get") flags.Fail("--method applies to --mode=get only");
  if (!method.empty() && method[0] != '/')
    flags.Fail("--method must look like /package.Service/Method");
  if (names_file.empty()) flags.Fail("--names-file is required for --mode=" + mode);
  if ((!template_file.empty() || flags.Has("name-field")) && mode != "get") {
    flags.Fail("--template and --name-field apply to --mode=get only");
  }
  std::vector<uint32_t> name_field;
  for (std::string_view rest = name_field_text; !rest.empty();) {
    const size_t dot = std::min(rest.find('.'), rest.size());
    uint32_t number = 0;
    const auto parsed = std::from_chars(rest.data(), rest.data() + dot, number);
    if (parsed.ptr != rest.data() + dot || number < 1 || number > 536870911) {
      flags.Fail("--name-field must be field numbers joined by dots, e.g. 1.3");
    }
    name_field.push_back(number);
    rest.remove_prefix(dot == rest.size() ? dot : dot + 1);
  }
  if (name_field.empty()) flags.Fail("--name-field must not be empty");
  std::string request_template;
  if (!template_file.empty()) {
    std::ifstream in(template_file, std::ios::binary);
    const std::string frame((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(frame[i]); };
    if (!in.good() && !in.eof()) flags.Fail("cannot read " + template_file);
    if (frame.size() < 5 || frame[0] != 0 ||
        ((size_t{byte(1)} << 24) | (size_t{byte(2)} << 16) | (size_t{byte(3)} << 8) | byte(4)) !=
            frame.size() - 5) {
      flags.Fail(template_file + " is not one uncompressed gRPC frame");
    }
    request_template = frame.substr(5);
  }
  // HOST:PORT, HOST may be [IPv6].
  const size_t colon = target.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == target.size()) {
    flags.Fail("--target must be HOST:PORT");
  }
  std::string host = target.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto names = ReadLines(names_file);
  if (names.empty()) flags.Fail(names_file + " has no names");

  signal(SIGPIPE, SIG_IGN);
  Load load(mode, target, host, target.substr(colon + 1), std::move(names), token, timeout, once,
            method, request_template, name_field);
  std::string error;
  if (!load.Connect(static_cast<int>(connections), static_cast<int>(streams), &error)) {
    std::cerr << "accord-bench-h2load: " << error << "\n";
    return 1;
  }
  std::cout << load.Run(static_cast<int>(connections), static_cast<int>(streams), warmup, duration)
            << std::endl;
  if (!latency_file.empty() && !load.WriteLatencies(latency_file)) {
    std::cerr << "accord-bench-h2load: cannot write " << latency_file << "\n";
    return 1;
  }
  return 0;
}
