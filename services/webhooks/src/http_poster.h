// POSTs one delivery to a receiver with libcurl: http and https (OpenSSL; the receiver's
// certificate and name verified against the system's CA certificates or the given CA file), a
// connect and a total timeout, no redirects followed (a receiver that moved answers 3xx and that is
// a failed attempt), at most 64 KiB of the answer read (for the log).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace accord::webhooks {

struct HttpAnswer {
  int status_code = 0;  // 0: no answer (refused, timed out, TLS failed)
  std::string error;    // curl's reason, or the start of a non-2xx answer's body
  std::chrono::microseconds duration{0};
};

class HttpPoster {
 public:
  // `ca_file`: PEM CAs to verify https receivers against; "" for the system's.
  HttpPoster(std::chrono::milliseconds timeout, std::string ca_file);
  HttpAnswer Post(const std::string& url,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string& body) const;

 private:
  std::chrono::milliseconds timeout_;
  std::string ca_file_;
};

}  // namespace accord::webhooks
