#include "sealed_contact.h"

#include "absl/strings/numbers.h"

namespace accord::contact {

int64_t SealedContact::cache_version() const {
  int64_t version = 0;
  if (!columns[kColumns - 1] || !absl::SimpleAtoi(*columns[kColumns - 1], &version)) return 0;
  return version;
}

std::string SealedContact::Encode() const {
  std::string out;
  for (const auto& column : columns) {
    out += column ? '\1' : '\0';
    const uint32_t size = column ? static_cast<uint32_t>(column->size()) : 0;
    for (int shift = 0; shift < 32; shift += 8) out += static_cast<char>((size >> shift) & 0xff);
    if (column) out += *column;
  }
  return out;
}

std::optional<SealedContact> SealedContact::Decode(std::string_view bytes) {
  SealedContact sealed;
  for (auto& column : sealed.columns) {
    if (bytes.size() < 5) return std::nullopt;
    const bool present = bytes[0] == '\1';
    uint32_t size = 0;
    for (int i = 0; i < 4; ++i)
      size |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[1 + i])) << (8 * i);
    bytes.remove_prefix(5);
    if (bytes.size() < size) return std::nullopt;
    if (present) column = std::string(bytes.substr(0, size));
    bytes.remove_prefix(size);
  }
  if (!bytes.empty()) return std::nullopt;
  return sealed;
}

}  // namespace accord::contact
