// rdc command-line interface: a thin layer over the library (src/rdc).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "rdc/core/error.h"

namespace {

// OpenMP (libgomp, used by libtorch, faiss and OpenBLAS) reads OMP_WAIT_POLICY once, when it loads,
// before main. Its default spins idle threads, which made training steps up to 10x slower when another
// process shared the cores (docs/method.md, lesson 7). Unless the user chose a policy, rdc re-executes
// itself once with OMP_WAIT_POLICY=PASSIVE; if that fails it simply goes on.
void default_omp_wait_policy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  if (setenv("OMP_WAIT_POLICY", "PASSIVE", 0) != 0) return;
  execv("/proc/self/exe", argv);
}

}  // namespace

int main(int argc, char** argv) {
  default_omp_wait_policy(argv);
  CLI::App app{"rdc: deep clustering by self-supervision (R-DC)"};
  app.require_subcommand(1);
  app.fallthrough(true);  // global options (-q, --log-level) are accepted after the command too
  app.set_version_flag("--version", std::string("rdc ") + RDC_VERSION);
  rdc::cli::CommonOptions common;
  rdc::cli::register_commands(app, common);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // an unknown command word reads better than CLI11's "A subcommand is required"
    if (argc > 1 && argv[1][0] != '-' && app.get_subcommands().empty()) {
      std::vector<std::string> names;
      for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
      std::fprintf(stderr, "unknown command '%s'; commands: %s (rdc --help)\n", argv[1],
                   fmt::format("{}", fmt::join(names, ", ")).c_str());
      return e.get_exit_code();
    }
    return app.exit(e);
  }
  try {
    rdc::cli::setup_logging(common);
    return rdc::cli::run_selected(app, common);
  } catch (const rdc::Interrupted& e) {
    spdlog::warn("{}", e.what());
    return 130;
  } catch (const rdc::Error& e) {
    spdlog::error("{}", e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::error("unexpected error: {}", e.what());
    return 2;
  }
}
