#include "sim/json_fields.h"

#include <cmath>

#include "core/error.h"

namespace ccb::sim {

using nlohmann::json;

std::string fieldPath(std::string_view where, std::string_view key) {
  return std::string(where) + "." + std::string(key);
}

namespace {

[[noreturn]] void badValue(std::string_view where, std::string_view key, std::string_view expected,
                           const json& value) {
  std::string shown = value.dump();
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  throw UsageError("field \"" + fieldPath(where, key) + "\" must be " + std::string(expected) + ", got " + shown);
}

}  // namespace

const json* optionalField(const json& j, std::string_view where, std::string_view key) {
  if (!j.is_object()) throw UsageError("\"" + std::string(where) + "\" must be a JSON object");
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

const json& requireField(const json& j, std::string_view where, std::string_view key) {
  const json* value = optionalField(j, where, key);
  if (value == nullptr) throw UsageError("missing field \"" + fieldPath(where, key) + "\"");
  return *value;
}

namespace {

double numberValue(const json& value, std::string_view where, std::string_view key) {
  if (!value.is_number()) badValue(where, key, "a number", value);
  const double x = value.get<double>();
  if (!std::isfinite(x)) badValue(where, key, "a finite number", value);
  return x;
}

}  // namespace

double requireNumber(const json& j, std::string_view where, std::string_view key) {
  return numberValue(requireField(j, where, key), where, key);
}

std::optional<double> optionalNumber(const json& j, std::string_view where, std::string_view key) {
  const json* value = optionalField(j, where, key);
  if (value == nullptr) return std::nullopt;
  return numberValue(*value, where, key);
}

double requirePositive(const json& j, std::string_view where, std::string_view key) {
  const double x = requireNumber(j, where, key);
  if (!(x > 0)) badValue(where, key, "greater than zero", requireField(j, where, key));
  return x;
}

double requireNonNegative(const json& j, std::string_view where, std::string_view key) {
  const double x = requireNumber(j, where, key);
  if (x < 0) badValue(where, key, "zero or more", requireField(j, where, key));
  return x;
}

long long requireInteger(const json& j, std::string_view where, std::string_view key, long long lo, long long hi) {
  const json& value = requireField(j, where, key);
  if (!value.is_number_integer()) badValue(where, key, "an integer", value);
  if (value.is_number_unsigned() && value.get<unsigned long long>() > static_cast<unsigned long long>(hi)) {
    badValue(where, key, "at most " + std::to_string(hi), value);
  }
  const long long x = value.get<long long>();
  if (x < lo || x > hi) {
    badValue(where, key, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", value);
  }
  return x;
}

std::string requireString(const json& j, std::string_view where, std::string_view key) {
  const json& value = requireField(j, where, key);
  if (!value.is_string()) badValue(where, key, "a string", value);
  return value.get<std::string>();
}

}  // namespace ccb::sim
