// FNV-1a, 64 bit: a stable, dependency-free hash for deterministic ids and change detection.
// Not a security property: never use it where an adversary picks the input to collide.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace ms {

// FNV-1a's offset basis (event fingerprints).
inline constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
// The basis migration checksums and `milestonectl produce`'s generated ids were first made
// with: FNV's, one decimal digit short. Kept on purpose: another basis would make every applied
// migration look edited (the daemon refuses to start) and give re-produced rows new ids
// (stored twice).
inline constexpr uint64_t kFnvLegacyBasis = 1469598103934665603ULL;

inline uint64_t Fnv1a64(std::string_view bytes, uint64_t basis = kFnvOffsetBasis) {
  uint64_t hash = basis;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// Fnv1a64 as 16 lower-case hex digits.
inline std::string Fnv1a64Hex(std::string_view bytes, uint64_t basis = kFnvOffsetBasis) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(Fnv1a64(bytes, basis)));
  return buf;
}

// `bytes` as lower-case hex, two digits per byte (digests, e.g. SHA-256 and HMAC).
inline std::string LowerHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * bytes.size());
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 15]);
  }
  return hex;
}

}  // namespace ms
