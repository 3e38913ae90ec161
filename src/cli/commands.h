#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "rdc/pipeline/pipeline.h"

namespace rdc::cli {

struct CommonOptions {
  std::string log_level = "info";
  bool quiet = false;
};

/// Adds every subcommand to `app`; each stores its action for run_selected().
void register_commands(CLI::App& app, CommonOptions& common);
void setup_logging(const CommonOptions& common);
/// Runs the parsed subcommand; returns the process exit code.
int run_selected(CLI::App& app, const CommonOptions& common);

}  // namespace rdc::cli
