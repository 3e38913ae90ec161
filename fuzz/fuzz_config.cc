// Run config JSON (RUN/config.json): rdc::read_json_file + rdc::config_from_json, then the
// round trip config_to_json -> dump -> parse -> config_from_json, which must succeed.
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "rdc/pipeline/run_io.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  rdc_fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Through the file reader the jobs use (embed/predict read RUN/config.json with it).
  const std::string path = rdc_fuzz::write_temp(data, size, "config", ".json");
  nlohmann::json j;
  try {
    j = rdc::read_json_file(path);
  } catch (const rdc::Error&) {
    return 0;
  }
  rdc::RunConfig cfg;
  try {
    cfg = rdc::config_from_json(j);
  } catch (const rdc::Error&) {
    return 0;
  }
  rdc_fuzz::expect_error_only([&] { cfg.validate(); });
  // A config that was read must survive being written and read again.
  const std::string text = rdc::config_to_json(cfg).dump(2);
  rdc::RunConfig back = rdc::config_from_json(nlohmann::json::parse(text));
  if (back.data != cfg.data || back.clusters != cfg.clusters || back.ctx.seed != cfg.ctx.seed ||
      back.protocol != cfg.protocol || back.pretext.name != cfg.pretext.name ||
      back.pretext.input_shape != cfg.pretext.input_shape || back.load.npz_key != cfg.load.npz_key) {
    std::fprintf(stderr, "BUG: config round trip changed the config:\n%s\n", text.c_str());
    std::abort();
  }
  return 0;
}
