#pragma once
// Errors: user-facing checks throw rdc::Error with the values involved;
// internal invariants use assert. The library never calls exit()/abort().
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace rdc {

/// The one exception type the library throws for bad input or bad parameters.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

/// Thrown when the user interrupts (SIGINT/SIGTERM) a long computation.
class Interrupted : public Error {
 public:
  explicit Interrupted(const std::string& msg) : Error(msg) {}
};

}  // namespace rdc

/// RDC_CHECK(cond, "fmt {}", args...): throw rdc::Error with a formatted message.
#define RDC_CHECK(cond, ...)                                \
  do {                                                      \
    if (!(cond)) throw ::rdc::Error(fmt::format(__VA_ARGS__)); \
  } while (0)

#define RDC_FAIL(...) throw ::rdc::Error(fmt::format(__VA_ARGS__))
