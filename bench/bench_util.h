#pragma once
// Small helpers shared by the benchmark programs in bench/ (torch-free): a wall clock, this
// process's peak RSS, and "--name value" option parsing with a clear error for unknown names.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>

namespace rdc::bench {

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Peak resident memory of this process in MiB (Linux reports ru_maxrss in kilobytes).
inline double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

/// Parses "--name value" pairs from argv[first..]; each name maps to a setter. Returns false (after
/// printing the offending option to stderr) on an unknown name or a name without a value.
inline bool parse_options(int argc, char** argv, int first,
                          const std::map<std::string, std::function<void(const std::string&)>>& setters) {
  for (int i = first; i < argc; i += 2) {
    const std::string a = argv[i];
    auto it = setters.find(a);
    if (it == setters.end() || i + 1 >= argc) {
      std::fprintf(stderr, "%s option %s\n", it == setters.end() ? "unknown" : "missing value for", a.c_str());
      return false;
    }
    it->second(argv[i + 1]);
  }
  return true;
}

}  // namespace rdc::bench
