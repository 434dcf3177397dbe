#include "accord/common/ids.h"

#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <stdexcept>

namespace accord::common {
namespace {

// Random bits come from OpenSSL's CSPRNG in blocks, one buffer per thread: a call of
// RAND_bytes costs about a microsecond and takes a lock, which every request paid (twice: request
// and trace ids) when ids drew their randomness one by one.
class RandomBuffer {
 public:
  uint64_t NextU64() {
    if (position_ + 8 > sizeof(bytes_)) Refill();
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8) | bytes_[position_++];
    return value;
  }

 private:
  void Refill() {
    // An id generator that silently degrades to a predictable source is worse than a crash.
    if (RAND_bytes(bytes_, sizeof(bytes_)) != 1) throw std::runtime_error("RAND_bytes failed");
    position_ = 0;
  }
  unsigned char bytes_[512];
  size_t position_ = sizeof(bytes_);
};

uint64_t RandomU64() {
  thread_local RandomBuffer buffer;
  return buffer.NextU64();
}

// RFC 9562 method 3 ("monotonic random"): within one millisecond the 74 random bits (12 of
// rand_a, 62 of rand_b) act as a counter that grows by a random step, so ids from one thread
// sort in creation order and stay unguessable. One generator per thread, so no lock: ids made
// concurrently on two threads have no order to keep beyond their millisecond.
class Generator {
 public:
  std::array<unsigned char, 16> Next() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const uint64_t wall_ms =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());

    if (wall_ms > last_ms_) {
      last_ms_ = wall_ms;
      // Top bit of rand_a left clear so the counter has room to grow before it overflows.
      hi_ = static_cast<uint16_t>(RandomU64() & 0x7FF);
      lo_ = RandomU64() & kLoMask;
    } else {
      // Same millisecond, or the clock stepped back: keep counting from the last id.
      const uint64_t step = (RandomU64() & 0xFFFFFFFF) + 1;
      lo_ += step;
      if (lo_ > kLoMask) {
        lo_ &= kLoMask;
        if (++hi_ > 0xFFF) {
          // Counter exhausted: borrow the next millisecond.
          ++last_ms_;
          hi_ = static_cast<uint16_t>(RandomU64() & 0x7FF);
          lo_ = RandomU64() & kLoMask;
        }
      }
    }

    std::array<unsigned char, 16> out{};
    const uint64_t ms = last_ms_ & 0xFFFFFFFFFFFFULL;
    for (int i = 0; i < 6; ++i) out[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
    out[6] = static_cast<unsigned char>(0x70 | ((hi_ >> 8) & 0x0F));
    out[7] = static_cast<unsigned char>(hi_ & 0xFF);
    out[8] = static_cast<unsigned char>(0x80 | ((lo_ >> 56) & 0x3F));
    for (int i = 9; i < 16; ++i) out[i] = static_cast<unsigned char>(lo_ >> (8 * (15 - i)));
    return out;
  }

 private:
  static constexpr uint64_t kLoMask = (uint64_t{1} << 62) - 1;
  uint64_t last_ms_ = 0;
  uint16_t hi_ = 0;  // 12 bits (rand_a)
  uint64_t lo_ = 0;  // 62 bits (rand_b)
};

Generator& ThisThreadsGenerator() {
  thread_local Generator generator;
  return generator;
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

std::string NewUuidV7() {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto bytes = ThisThreadsGenerator().Next();
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0F]);
  }
  return out;
}

// Lower-case only: ids are compared as text, so one spelling per id.
bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
    } else if (!IsLowerHex(text[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace accord::common
