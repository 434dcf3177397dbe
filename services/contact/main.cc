#include <gperftools/malloc_extension.h>

#include <cstdlib>
#include <iostream>
#include <string_view>

#include "contact_fields.h"
#include "contact_service.h"

// GnuTLS is loaded only as a dependency of libpq's LDAP library (libpq's own TLS is OpenSSL's),
// and its constructor initialises it on load, touching about a megabyte of its own and p11-kit's
// pages that this process never uses. GnuTLS asks this exported hook (weak in the library, called
// through its PLT, so the executable's definition wins; exported by the link options in
// CMakeLists.txt) whether to skip that implicit initialisation, as GNUTLS_NO_IMPLICIT_INIT=1 would.
// libldap still initialises GnuTLS itself (gnutls_global_init) should it ever open a TLS session.
extern "C" int _gnutls_global_init_skip() { return 1; }  // NOLINT(bugprone-reserved-identifier)

int main(int argc, char** argv) {
  // libpq's default gssencmode=prefer probes for a Kerberos ticket at every connection, loading
  // and initialising Kerberos (about 0.7 MB of idle RSS) where none is used. Off by default here;
  // a deployment that encrypts through GSSAPI says so in its URL (gssencmode=prefer or require,
  // which wins over this) or in its own PGGSSENCMODE, which is kept.
  setenv("PGGSSENCMODE", "disable", 0);
  // `migrate` and `--help` need only the shared settings: the personal-data keys are read for
  // serving alone, so a migration job never holds them.
  bool keys_needed = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "migrate" || arg == "--help" || arg.rfind("--help=", 0) == 0) keys_needed = false;
  }
  accord::contact::ContactSettings settings;
  if (keys_needed) {
    accord::common::ConfigReader config(1, argv);  // environment only (flags are ServiceMain's)
    auto read = accord::contact::ReadContactSettings(config);
    if (!read.ok()) {
      std::cerr << "accord-contact: " << read.status().message() << "\n";
      return 2;
    }
    settings = std::move(*read);
  }
  // The first phone parsed loads libphonenumber's metadata of every region: the parsed collection
  // is copied region by region and freed, and those freed buffers stay in the parsing thread's
  // cache and tcmalloc's free lists. Handed back once loaded (about 0.3 MB of RSS).
  accord::contact::SetPhoneMetadataLoadedHook([] {
    MallocExtension::instance()->MarkThreadIdle();
    MallocExtension::instance()->ReleaseFreeMemory();
  });
  auto definition = accord::contact::ContactServiceDefinition(std::move(settings));
  // Start-up (migrations, the pools' connections and prepared statements) leaves freed pages in
  // tcmalloc's heap that it keeps for later: handed back to the system once the services are made,
  // so an idle process holds only what it uses (README: idle RSS under 40 MB).
  definition.make_services =
      [make = std::move(definition.make_services)](accord::common::Runtime& runtime) {
        auto services = make(runtime);
        MallocExtension::instance()->ReleaseFreeMemory();
        return services;
      };
  return accord::common::ServiceMain(argc, argv, definition);
}
