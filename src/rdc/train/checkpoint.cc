#include "rdc/train/checkpoint.h"

#include <spdlog/spdlog.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>

#include "rdc/core/fs.h"
#include "rdc/pretext/pretext.h"

namespace rdc {

namespace {

constexpr char kMagic[9] = "RDCCKPT1";
constexpr size_t kHeader = 8 + 4 + 8;

uint32_t crc_of(const char* data, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

void put_le(std::string& s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_le(const std::string& s, size_t off, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(s[off + i])) << (8 * i);
  return v;
}

/// Every parameter and buffer of the pretext's modules, as "<module>.<name>" -> tensor.
std::vector<std::pair<std::string, torch::Tensor>> model_tensors(Pretext& p) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& [mname, mod] : p.modules()) {
    for (auto& kv : mod->named_parameters(true)) out.emplace_back(mname + "." + kv.key(), kv.value());
    for (auto& kv : mod->named_buffers(true)) out.emplace_back(mname + "." + kv.key(), kv.value());
  }
  return out;
}

torch::Device model_device(Pretext& p) {
  for (auto& kv : model_tensors(p)) return kv.second.device();
  return torch::Device(torch::kCPU);
}

std::string first_names(const std::vector<std::string>& v, size_t k = 5) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < k; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > k) s += ", ...";
  return s;
}

std::string sizes_str(const torch::Tensor& t) { return fmt::format("[{}]", fmt::join(t.sizes(), ", ")); }

/// Strict load of the model tensors (case C01). Returns the number of tensors loaded.
int64_t load_model_strict(torch::serialize::InputArchive& ar, Pretext& p, const std::string& path) {
  const auto expected = model_tensors(p);
  std::set<std::string> present;
  for (const auto& k : ar.keys())
    if (k.rfind("model/", 0) == 0) present.insert(k.substr(6));
  std::vector<std::string> missing, unexpected, mismatched;
  std::set<std::string> expected_names;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // (dst, src)
  for (const auto& [name, dst] : expected) {
    expected_names.insert(name);
    if (!present.count(name)) {
      missing.push_back(name);
      continue;
    }
    torch::Tensor src;
    ar.read("model/" + name, src);
    if (!src.sizes().equals(dst.sizes()) || src.scalar_type() != dst.scalar_type()) {
      mismatched.push_back(fmt::format("{} {} {} vs model {} {}", name, sizes_str(src), c10::toString(src.scalar_type()),
                                       sizes_str(dst), c10::toString(dst.scalar_type())));
      continue;
    }
    copies.emplace_back(dst, src);
  }
  for (const auto& name : present)
    if (!expected_names.count(name)) unexpected.push_back(name);
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::string hint;
    // An extra prefix (e.g. "module." from a wrapped/parallel model): every unexpected name ends with a missing one.
    std::set<std::string> prefixes;
    for (const auto& u : unexpected)
      for (const auto& m : missing)
        if (u.size() > m.size() && u.compare(u.size() - m.size(), m.size(), m) == 0) prefixes.insert(u.substr(0, u.size() - m.size()));
    if (!unexpected.empty() && prefixes.size() == 1)
      hint = fmt::format(" The saved names carry an extra prefix '{}' (e.g. a checkpoint saved from a wrapped or "
                         "parallel model); strip it and save again.",
                         *prefixes.begin());
    throw CheckpointMismatch(fmt::format(
        "checkpoint '{}' does not match the {} model: loaded 0 of {} expected tensors; {} missing{}{}; {} unexpected{}{}; "
        "{} with another shape or type{}{}.{}",
        path, p.name(), expected.size(), missing.size(), missing.empty() ? "" : " (first: ", missing.empty() ? "" : first_names(missing) + ")",
        unexpected.size(), unexpected.empty() ? "" : " (first: ", unexpected.empty() ? "" : first_names(unexpected) + ")",
        mismatched.size(), mismatched.empty() ? "" : " (first: ", mismatched.empty() ? "" : first_names(mismatched, 3) + ")",
        hint));
  }
  torch::NoGradGuard no_grad;
  for (auto& [dst, src] : copies) dst.copy_(src);
  spdlog::info("checkpoint '{}': loaded {} of {} expected tensors", path, copies.size(), expected.size());
  return static_cast<int64_t>(copies.size());
}

LoadedCheckpoint load_payload(const std::string& payload, const std::string& path, Pretext& p,
                              const NamedOptimizers& optims) {
  LoadedCheckpoint out;
  out.path = path;
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(payload.data(), payload.size(), model_device(p));
  } catch (const c10::Error& e) {
    RDC_FAIL("checkpoint '{}' cannot be read: {}", path, e.what_without_backtrace());
  }
  c10::IValue meta;
  RDC_CHECK(ar.try_read("meta", meta) && meta.isString(), "checkpoint '{}' has no metadata", path);
  try {
    out.meta = nlohmann::json::parse(meta.toStringRef());
  } catch (const nlohmann::json::exception& e) {
    RDC_FAIL("checkpoint '{}': bad metadata: {}", path, e.what());
  }
  out.tensors = load_model_strict(ar, p, path);
  for (const auto& [name, opt] : optims) {
    torch::serialize::InputArchive sub;
    RDC_CHECK(ar.try_read("optim/" + name, sub), "checkpoint '{}' has no state for optimiser '{}'", path, name);
    try {
      opt->load(sub);
    } catch (const c10::Error& e) {
      throw CheckpointMismatch(
          fmt::format("checkpoint '{}': the state of optimiser '{}' does not fit this run (saved with another "
                      "optimiser or parameter set?): {}",
                      path, name, e.what_without_backtrace()));
    }
  }
  for (const auto& k : ar.keys()) {
    if (k.rfind("extra/", 0) != 0) continue;
    torch::Tensor t;
    ar.read(k, t);
    out.extra[k.substr(6)] = t.to(torch::kCPU);
  }
  return out;
}

}  // namespace

std::string checkpoint_path(const std::string& out_dir, const std::string& tag, const std::string& which) {
  return join_path(join_path(out_dir, "checkpoints"), tag + "_" + which + ".pt");
}

std::string checkpoint_pack(const std::string& payload) {
  std::string out(kMagic, 8);
  put_le(out, crc_of(payload.data(), payload.size()), 4);
  put_le(out, payload.size(), 8);
  out += payload;
  return out;
}

std::string checkpoint_unpack(const std::string& bytes, const std::string& what) {
  RDC_CHECK(bytes.size() >= kHeader && std::memcmp(bytes.data(), kMagic, 8) == 0,
            "'{}' is not an rdc checkpoint (bad header, {} bytes)", what, bytes.size());
  const uint32_t crc = static_cast<uint32_t>(get_le(bytes, 8, 4));
  const uint64_t len = get_le(bytes, 12, 8);
  RDC_CHECK(len == bytes.size() - kHeader, "checkpoint '{}' is truncated or padded: header says {} payload bytes, file has {}",
            what, len, bytes.size() - kHeader);
  const uint32_t actual = crc_of(bytes.data() + kHeader, len);
  RDC_CHECK(actual == crc, "checkpoint '{}' is corrupt: CRC32 {:08x} != stored {:08x}", what, actual, crc);
  return bytes.substr(kHeader);
}

std::string save_checkpoint(const std::string& out_dir, const std::string& tag, Pretext& p,
                            const NamedOptimizers& optims, const nlohmann::json& meta,
                            const std::vector<std::pair<std::string, torch::Tensor>>& extra) {
  torch::serialize::OutputArchive ar;
  ar.write("meta", c10::IValue(meta.dump()));
  for (auto& [mname, mod] : p.modules()) {
    for (auto& kv : mod->named_parameters(true)) ar.write("model/" + mname + "." + kv.key(), kv.value().detach());
    for (auto& kv : mod->named_buffers(true)) ar.write("model/" + mname + "." + kv.key(), kv.value(), true);
  }
  for (const auto& [name, opt] : optims) {
    torch::serialize::OutputArchive sub;
    opt->save(sub);
    ar.write("optim/" + name, sub);
  }
  for (const auto& [name, t] : extra) ar.write("extra/" + name, t.detach().to(torch::kCPU), true);
  std::ostringstream os;
  ar.save_to(os);
  const std::string packed = checkpoint_pack(os.str());
  make_dirs(join_path(out_dir, "checkpoints"));
  const std::string last = checkpoint_path(out_dir, tag, "last"), prev = checkpoint_path(out_dir, tag, "prev");
  if (file_exists(last)) {
    RDC_CHECK(std::rename(last.c_str(), prev.c_str()) == 0, "cannot rename '{}' to '{}': {}", last, prev,
              std::strerror(errno));
  }
  write_file_atomic(last, packed);
  return last;
}

LoadedCheckpoint load_checkpoint_file(const std::string& path, Pretext& p, const NamedOptimizers& optims) {
  RDC_CHECK(file_exists(path), "checkpoint '{}' does not exist", path);
  return load_payload(checkpoint_unpack(read_file(path), path), path, p, optims);
}

std::optional<LoadedCheckpoint> load_checkpoint(const std::string& out_dir, const std::string& tag, Pretext& p,
                                                const NamedOptimizers& optims) {
  const std::string last = checkpoint_path(out_dir, tag, "last"), prev = checkpoint_path(out_dir, tag, "prev");
  if (!file_exists(last) && !file_exists(prev)) return std::nullopt;
  std::vector<std::string> problems;
  for (const std::string& path : {last, prev}) {
    if (!file_exists(path)) {
      problems.push_back(fmt::format("'{}' is missing", path));
      continue;
    }
    try {
      auto out = load_checkpoint_file(path, p, optims);
      if (!problems.empty()) spdlog::warn("using the previous checkpoint '{}' ({})", path, fmt::join(problems, "; "));
      return out;
    } catch (const CheckpointMismatch&) {
      throw;  // the model does not fit: an older file will not fit either
    } catch (const Error& e) {
      spdlog::warn("{}", e.what());
      problems.push_back(e.what());
    }
  }
  RDC_FAIL("no usable checkpoint '{}' in '{}': {}", tag, out_dir, fmt::join(problems, "; "));
}

nlohmann::json read_checkpoint_meta(const std::string& path) {
  RDC_CHECK(file_exists(path), "checkpoint '{}' does not exist", path);
  const std::string payload = checkpoint_unpack(read_file(path), path);
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(payload.data(), payload.size(), torch::Device(torch::kCPU));
  } catch (const c10::Error& e) {
    RDC_FAIL("checkpoint '{}' cannot be read: {}", path, e.what_without_backtrace());
  }
  c10::IValue meta;
  RDC_CHECK(ar.try_read("meta", meta) && meta.isString(), "checkpoint '{}' has no metadata", path);
  return nlohmann::json::parse(meta.toStringRef());
}

std::unique_ptr<Pretext> load_pretext(const std::string& path, const Context& ctx, nlohmann::json* meta_out) {
  nlohmann::json meta = read_checkpoint_meta(path);
  RDC_CHECK(meta.contains("pretext_config") && meta.contains("n_samples"),
            "checkpoint '{}' does not say which pretext it holds (no pretext_config / n_samples)", path);
  auto cfg = pretext_config_from_json(meta["pretext_config"]);
  auto p = make_pretext(cfg, meta["n_samples"].get<int64_t>(), ctx);
  load_checkpoint_file(path, *p);
  if (meta_out) *meta_out = std::move(meta);
  return p;
}

}  // namespace rdc
