#pragma once
// Shared helpers for the libFuzzer targets: quiet logging, one temp file per process for
// readers that take a path, and the rule "rdc::Error is the expected outcome of bad input;
// anything else (crash, sanitizer report, other exception) is a bug".
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <spdlog/spdlog.h>

#include "rdc/core/error.h"
#include "rdc/data/dataset.h"
#include "rdc/data/readers.h"

namespace rdc_fuzz {

/// Silences the readers' warnings (they would flood the fuzzer's output).
inline void quiet() { spdlog::set_level(spdlog::level::off); }

/// Folder for the temp files: $RDC_FUZZ_TMP, else /dev/shm (RAM), else /tmp.
inline std::string temp_dir() {
  if (const char* e = std::getenv("RDC_FUZZ_TMP")) return e;
  return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

/// Writes the fuzz input to a per-process file named `<tmp>/rdc-fuzz-<pid>-<tag><ext>`
/// (the same path every iteration) and returns its path. Aborts on I/O failure: that is an
/// environment problem, not a finding.
inline std::string write_temp(const uint8_t* data, size_t size, const std::string& tag, const std::string& ext) {
  static const std::string dir = temp_dir();
  const std::string path = dir + "/rdc-fuzz-" + std::to_string(getpid()) + "-" + tag + ext;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) std::abort();
  size_t done = 0;
  while (done < size) {
    ssize_t w = ::write(fd, data + done, size - done);
    if (w <= 0) std::abort();
    done += static_cast<size_t>(w);
  }
  ::close(fd);
  return path;
}

/// Runs f(); rdc::Error is the expected result of malformed input and is swallowed
/// (printed when $RDC_FUZZ_VERBOSE is set, to check that the seeds are accepted).
template <typename F>
void expect_error_only(F&& f) {
  try {
    f();
  } catch (const rdc::Error& e) {
    static const bool verbose = std::getenv("RDC_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "rdc::Error: %s\n", e.what());
  }
}

/// A reader that returns must return a consistent dataset: Dataset::validate() failing on a
/// reader's own output is a reader bug (reported and aborted so libFuzzer records the input).
inline void check_reader_output(const rdc::Dataset& d) {
  try {
    d.validate();
  } catch (const rdc::Error& e) {
    std::fprintf(stderr, "BUG: reader returned an invalid dataset: %s\n", e.what());
    std::abort();
  }
  (void)rdc::describe(d);
}

}  // namespace rdc_fuzz
