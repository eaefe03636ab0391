#include "core/units.h"

#include <array>
#include <cctype>
#include <limits>

#include "core/error.h"

namespace ccb {
namespace {

struct Suffix {
  char letter;
  unsigned shift;  // log2 of the multiple
};
constexpr std::array<Suffix, 4> kSuffixes = {{{'K', 10}, {'M', 20}, {'G', 30}, {'T', 40}}};

[[noreturn]] void badBytes(std::string_view text, std::string_view what, std::string_view why) {
  throw UsageError(std::string(what) + ": '" + std::string(text) + "' " + std::string(why) +
                   " (expected a byte count such as 4096, 64K, 1M, 2G)");
}

char upper(char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); }

}  // namespace

std::uint64_t parseBytes(std::string_view text, std::string_view what) {
  if (text.empty()) badBytes(text, what, "is empty");
  if (text.front() == '-') badBytes(text, what, "is negative");
  std::size_t pos = 0;
  std::uint64_t value = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    const auto digit = static_cast<std::uint64_t>(text[pos] - '0');
    if (value > (kMax - digit) / 10) badBytes(text, what, "is too large");
    value = value * 10 + digit;
    ++pos;
  }
  if (pos == 0) badBytes(text, what, "is not a number");
  // What follows the digits: nothing, "B", or a multiple letter then nothing, "B" or "iB".
  std::string_view rest = text.substr(pos);
  unsigned shift = 0;
  if (!rest.empty()) {
    for (const Suffix& suffix : kSuffixes) {
      if (upper(rest.front()) == suffix.letter) {
        shift = suffix.shift;
        rest.remove_prefix(1);
        if (rest.size() == 2 && rest[0] == 'i' && upper(rest[1]) == 'B') rest.remove_prefix(2);
        break;
      }
    }
    if (rest.size() == 1 && upper(rest[0]) == 'B') rest.remove_prefix(1);
    if (!rest.empty()) badBytes(text, what, "has an unknown unit");
  }
  if (value > (kMax >> shift)) badBytes(text, what, "is too large");
  return value << shift;
}

std::string formatBytes(std::uint64_t bytes) {
  if (bytes != 0) {
    for (auto it = kSuffixes.rbegin(); it != kSuffixes.rend(); ++it) {
      const std::uint64_t unit = std::uint64_t{1} << it->shift;
      if (bytes % unit == 0) return std::to_string(bytes / unit) + it->letter;
    }
  }
  return std::to_string(bytes);
}

double algBwGBps(std::uint64_t bytes, double timeUs) {
  if (timeUs <= 0) return 0;
  // bytes / (timeUs * 1e-6 s) / 1e9 = bytes / timeUs / 1e3
  return static_cast<double>(bytes) / timeUs / 1e3;
}

double allReduceBusFactor(int ranks) {
  CCB_CHECK_LE(1, ranks);
  return 2.0 * (ranks - 1) / ranks;
}

}  // namespace ccb
