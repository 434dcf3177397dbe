// Certificates made by the openssl command for one test: a CA, and a server and a client
// certificate it signed (the server's for localhost and 127.0.0.1); another CA that signed nothing
// of these. Removed with the object.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace accord::testing {

inline void RunOpenssl(const std::string& command) {
  ASSERT_EQ(std::system((command + " >/dev/null 2>&1").c_str()), 0) << command;
}

class Certificates {
 public:
  Certificates()
      : dir_(std::filesystem::temp_directory_path() /
             ("accord-tls-" + std::to_string(getpid()) + "-" + std::to_string(++made_))) {
    std::filesystem::create_directories(dir_);
    for (const char* ca : {"ca", "other-ca"}) {
      RunOpenssl(
          "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "
          "/CN=" +
          std::string(ca) + " -keyout " + Path(std::string(ca) + ".key") + " -out " +
          Path(std::string(ca) + ".pem"));
    }
    Issue("server", "subjectAltName=DNS:localhost,IP:127.0.0.1");
    Issue("client", "extendedKeyUsage=clientAuth");
  }
  ~Certificates() { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Read(const std::string& name) const {
    std::ifstream in(Path(name));
    return {std::istreambuf_iterator<char>(in), {}};
  }

 private:
  void Issue(const std::string& name, const std::string& extension) {
    std::ofstream(Path(name + ".ext")) << extension << "\n";
    RunOpenssl("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" + name +
               " -keyout " + Path(name + ".key") + " -out " + Path(name + ".csr"));
    RunOpenssl("openssl x509 -req -in " + Path(name + ".csr") + " -CA " + Path("ca.pem") +
               " -CAkey " + Path("ca.key") + " -CAcreateserial -days 1 -extfile " +
               Path(name + ".ext") + " -out " + Path(name + ".pem"));
  }

  static inline int made_ = 0;
  std::filesystem::path dir_;
};

}  // namespace accord::testing
