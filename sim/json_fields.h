// Typed access to fields of parsed JSON for the simulator's readers (cluster files, nccl-tests and Google
// Benchmark documents). Every failure is a UsageError that names the field as "<where>.<key>".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ccb::sim {

// The object `j` must be an object holding `key`; returns the value. `where` names `j` in messages.
const nlohmann::json& requireField(const nlohmann::json& j, std::string_view where, std::string_view key);
// nullptr when `j` is an object without `key`; throws when `j` is not an object.
const nlohmann::json* optionalField(const nlohmann::json& j, std::string_view where, std::string_view key);

// A finite number.
double requireNumber(const nlohmann::json& j, std::string_view where, std::string_view key);
std::optional<double> optionalNumber(const nlohmann::json& j, std::string_view where, std::string_view key);
// A finite number > 0 (bandwidths, rates, latencies that must not vanish use this).
double requirePositive(const nlohmann::json& j, std::string_view where, std::string_view key);
// A finite number >= 0.
double requireNonNegative(const nlohmann::json& j, std::string_view where, std::string_view key);
// An integer in [lo, hi].
long long requireInteger(const nlohmann::json& j, std::string_view where, std::string_view key, long long lo,
                         long long hi);
std::string requireString(const nlohmann::json& j, std::string_view where, std::string_view key);

// "<where>.<key>"
std::string fieldPath(std::string_view where, std::string_view key);

}  // namespace ccb::sim
