// Errors of the suite. Backend codes (MPI, CUDA, NCCL) become exceptions at the boundary; the CLIs catch
// ccb::Error, print its message on one line and exit non-zero.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace ccb {

// Base of every error the suite reports to a user.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad input from the command line or a file: the user can fix it.
class UsageError : public Error {
 public:
  using Error::Error;
};

// A peer stopped answering: an operation did not complete before its deadline.
class TimeoutError : public Error {
 public:
  using Error::Error;
};

// A backend (MPI, CUDA, NCCL, the OS) returned an error code.
class BackendError : public Error {
 public:
  using Error::Error;
};

// An invariant of the code itself was broken: a bug, never bad input.
class InvariantError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <typename A, typename B>
[[noreturn]] void failCompare(const char* expr, const A& a, const B& b, const char* file, int line) {
  std::ostringstream os;
  os << "internal check failed: " << expr << " (" << a << " vs " << b << ") at " << file << ":" << line;
  throw InvariantError(os.str());
}
[[noreturn]] inline void failCheck(const char* expr, const char* file, int line) {
  std::ostringstream os;
  os << "internal check failed: " << expr << " at " << file << ":" << line;
  throw InvariantError(os.str());
}
}  // namespace detail

}  // namespace ccb

// Invariant checks: always on (not compiled out in release builds), they print both values.
#define CCB_CHECK(cond) \
  do { \
    if (!(cond)) ::ccb::detail::failCheck(#cond, __FILE__, __LINE__); \
  } while (0)
#define CCB_CHECK_OP(a, op, b) \
  do { \
    const auto& ccbA_ = (a); \
    const auto& ccbB_ = (b); \
    if (!(ccbA_ op ccbB_)) ::ccb::detail::failCompare(#a " " #op " " #b, ccbA_, ccbB_, __FILE__, __LINE__); \
  } while (0)
#define CCB_CHECK_EQ(a, b) CCB_CHECK_OP(a, ==, b)
#define CCB_CHECK_LE(a, b) CCB_CHECK_OP(a, <=, b)
#define CCB_CHECK_LT(a, b) CCB_CHECK_OP(a, <, b)
