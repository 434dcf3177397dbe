#include "contact_settings.h"

#include <fstream>
#include <sstream>

#include "contact_fields.h"

namespace accord::contact {
namespace {

// The value of `name`, or the contents of the file named by `name`_FILE (a mounted secret).
std::string SecretSetting(common::ConfigReader& config, const std::string& name,
                          const std::string& help) {
  std::string value = config.String(name, "", help);
  const std::string file = config.String(name + "_FILE", "", "file holding " + name);
  if (!file.empty()) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      config.AddError(name + "_FILE: cannot read " + file);
    } else {
      value = text.str();
    }
  }
  return value;
}

}  // namespace

absl::StatusOr<ContactSettings> ReadContactSettings(common::ConfigReader& config) {
  ContactSettings settings;
  const std::string keys = SecretSetting(
      config, "ACCORD_CONTACT_PII_KEYS",
      "keys sealing personal data: `id:BASE64(32 bytes)` items, comma or line separated; the "
      "first seals new writes, the others still open old rows");
  const std::string blind = SecretSetting(config, "ACCORD_CONTACT_BLIND_INDEX_KEY",
                                          "BASE64 of 32 bytes: key of the email/phone lookup hash");
  settings.default_region = config.String("ACCORD_CONTACT_DEFAULT_REGION", settings.default_region,
                                          "ISO 3166 region for phones without a country code");
  if (!IsPhoneRegion(settings.default_region)) {
    config.AddError("ACCORD_CONTACT_DEFAULT_REGION: `" + settings.default_region +
                    "` is not a region code such as US or GB");
  }
  settings.access_cache_ttl =
      config.Millis("ACCORD_CONTACT_ACCESS_CACHE_TTL", settings.access_cache_ttl,
                    "how long an answer of the account service about ownership and teams is "
                    "reused (the staleness bound of account_manager access)");
  settings.call_list.slice = config.Millis(
      "ACCORD_CONTACT_CALL_LIST_SLICE", settings.call_list.slice,
      "how long one BuildCallList call works before it answers BUILDING (the next call goes on)");
  settings.call_list.first_batch =
      config.Int("ACCORD_CONTACT_CALL_LIST_BATCH", settings.call_list.first_batch, 1, 20000,
                 "contacts judged by the first statement of a BuildCallList call");
  settings.account = common::ReadServiceClientOptions(config, "account", "dns:///127.0.0.1:50051");
  settings.pricing =
      common::ReadServiceClientOptions(config, "pricing-terms", "dns:///127.0.0.1:50053");
  if (keys.empty()) {
    config.AddError("ACCORD_CONTACT_PII_KEYS (or ACCORD_CONTACT_PII_KEYS_FILE) is required");
  }
  if (blind.empty()) {
    config.AddError(
        "ACCORD_CONTACT_BLIND_INDEX_KEY (or ACCORD_CONTACT_BLIND_INDEX_KEY_FILE) is required");
  }
  if (!keys.empty() && !blind.empty()) {
    auto parsed = ParsePiiKeys(keys, blind);
    if (!parsed.ok()) {
      for (const auto& violation : common::FieldViolationsOf(parsed.status())) {
        config.AddError("ACCORD_CONTACT_" + violation.field + ": " + violation.description);
      }
      if (common::FieldViolationsOf(parsed.status()).empty()) {
        config.AddError(std::string(parsed.status().message()));
      }
    } else {
      settings.keys = std::move(*parsed);
    }
  }
  ACCORD_RETURN_IF_ERROR(config.Finish());
  return settings;
}

}  // namespace accord::contact
