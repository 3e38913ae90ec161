#pragma once
// Crash-safe, checksummed checkpoints of a pretext (+ optimisers, RNG states, JSON metadata).
//
// File layout (one file, written atomically: temp file + fsync + rename):
//   8 bytes  magic "RDCCKPT1"
//   4 bytes  CRC32 (zlib) of the payload, little-endian
//   8 bytes  payload length, little-endian
//   payload  a torch::serialize archive with
//              "meta"            string: JSON (epoch, step, configs, history, ...)
//              "model/<module>.<tensor>"  every parameter and buffer of Pretext::modules()
//              "optim/<name>"    nested archive of each optimiser's state
//              "extra/<name>"    further tensors (RNG states, ...)
// Saving rotates <tag>_last.pt to <tag>_prev.pt first; loading falls back to _prev when _last is
// missing or corrupt (bad magic, length or CRC) and says so.
// Loading is strict (case C01): every expected tensor must be present with the same shape and no
// unexpected tensor may exist; otherwise rdc::CheckpointMismatch lists the first offending names.
#include <torch/torch.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rdc/core/context.h"
#include "rdc/core/error.h"

namespace rdc {

class Pretext;

/// A checkpoint whose tensors do not match the model (names or shapes). Case C01.
class CheckpointMismatch : public Error {
 public:
  using Error::Error;
};

/// Named optimisers to save / restore with a checkpoint.
using NamedOptimizers = std::vector<std::pair<std::string, torch::optim::Optimizer*>>;

/// `<out_dir>/checkpoints/<tag>_<which>.pt`, which = "last" | "prev".
std::string checkpoint_path(const std::string& out_dir, const std::string& tag, const std::string& which);

/// Wraps archive bytes with the magic, CRC32 and length header.
std::string checkpoint_pack(const std::string& payload);
/// Checks the header and CRC of `bytes` (read from `what`) and returns the payload; throws rdc::Error
/// naming `what` and the fault when it is corrupt.
std::string checkpoint_unpack(const std::string& bytes, const std::string& what);

/// Writes a checkpoint of p's modules, the optimisers, `meta` and `extra` tensors to
/// checkpoint_path(out_dir, tag, "last") (the previous one becomes "prev"). Returns the path.
std::string save_checkpoint(const std::string& out_dir, const std::string& tag, Pretext& p,
                            const NamedOptimizers& optims, const nlohmann::json& meta,
                            const std::vector<std::pair<std::string, torch::Tensor>>& extra = {});

struct LoadedCheckpoint {
  std::string path;                           ///< file actually loaded (last or prev)
  nlohmann::json meta;
  std::map<std::string, torch::Tensor> extra;  ///< "extra/<name>" tensors (on the CPU)
  int64_t tensors = 0;                        ///< model tensors loaded (= expected)
};

/// Loads the newest valid checkpoint of `tag` in out_dir into p (strict) and the optimisers.
/// Returns nullopt when neither file exists; throws rdc::Error when files exist but none is valid,
/// CheckpointMismatch when the tensors do not match p.
std::optional<LoadedCheckpoint> load_checkpoint(const std::string& out_dir, const std::string& tag, Pretext& p,
                                                const NamedOptimizers& optims);

/// Loads one checkpoint file into p (strict, optimisers untouched); returns what was loaded.
LoadedCheckpoint load_checkpoint_file(const std::string& path, Pretext& p, const NamedOptimizers& optims = {});

/// Reads only the JSON metadata of a checkpoint file (CRC checked).
nlohmann::json read_checkpoint_meta(const std::string& path);

/// Rebuilds the pretext a checkpoint was saved from (meta "pretext_config" and "n_samples", which
/// Trainer checkpoints carry), on torch_device(ctx), with its weights loaded strictly.
std::unique_ptr<Pretext> load_pretext(const std::string& path, const Context& ctx, nlohmann::json* meta = nullptr);

}  // namespace rdc
