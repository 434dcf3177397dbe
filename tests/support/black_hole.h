// A loopback listener that never accepts: connections complete (the kernel queues them) but
// nothing is read or answered, a peer that hangs, so every request to it costs the full timeout.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace accord::testing {

class BlackHole {
 public:
  BlackHole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
             ::listen(fd_, 128) == 0;
    socklen_t length = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~BlackHole() { ::close(fd_); }
  BlackHole(const BlackHole&) = delete;
  BlackHole& operator=(const BlackHole&) = delete;
  // Whether it listens (a test asserts this before relying on it).
  bool listening() const { return bound_; }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  bool bound_ = false;
};

}  // namespace accord::testing
