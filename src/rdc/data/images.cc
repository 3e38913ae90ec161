// Image folders and .tar/.tar.gz archives of image folders (PNG / JPEG).
//
// Layout detection (same for folders and archives), on the paths of the image files
// relative to the root:
//  1. a wrapper folder shared by every image is removed ("bloodmnist/...") unless its name
//     is a split name;
//  2. split folders: when every image lies under a top-level folder named train/training,
//     val/valid/validation or test/testing, that folder gives the split tag;
//  3. class folders: with LoadOptions::labels_from_folders, when every image lies inside a
//     sub-folder, the first sub-folder names the class. Class ids follow the sorted class
//     names (numeric order when all names are integers, else alphabetical). If only some
//     images lie in sub-folders, the dataset loads without labels (with a warning).
// Files without a .png/.jpg/.jpeg extension (and hidden files) are skipped and counted.
// Samples are ordered by split (train, val, test) then by path (byte order). All images must
// share one size; grey images are promoted to RGB when the set mixes grey and colour.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include <spdlog/spdlog.h>

#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/data/reader_util.h"
#include "rdc/data/readers.h"

namespace fs = std::filesystem;

namespace rdc {
namespace detail {

namespace {

Split split_from_folder(const std::string& name) {
  const std::string s = to_lower(name);
  if (s == "train" || s == "training") return Split::kTrain;
  if (s == "val" || s == "valid" || s == "validation") return Split::kVal;
  if (s == "test" || s == "testing") return Split::kTest;
  return Split::kUnknown;
}

std::vector<std::string> split_path(const std::string& p) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= p.size()) {
    size_t q = p.find('/', start);
    if (q == std::string::npos) q = p.size();
    std::string c = p.substr(start, q - start);
    if (!c.empty() && c != ".") parts.push_back(c);
    start = q + 1;
  }
  return parts;
}

// Runs f(i) for i in [0, n) on the OpenMP threads (serially below `min_parallel` items, where
// starting threads costs more than it saves); rethrows the error of the lowest index.
template <typename F>
void parallel_for_checked(int64_t n, F f, int64_t min_parallel = 64, int chunk = 32) {
  int64_t err_index = -1;
  std::string err_msg;
#pragma omp parallel for schedule(dynamic, chunk) if (n >= min_parallel)
  for (int64_t i = 0; i < n; ++i) {
    try {
      f(i);
    } catch (const std::exception& e) {
#pragma omp critical(rdc_image_errors)
      {
        if (err_index < 0 || i < err_index) {
          err_index = i;
          err_msg = e.what();
        }
      }
    }
  }
  if (err_index >= 0) throw Error(err_msg);
}

// HWC uint8 -> CHW float in [0, 1].
void to_chw(const DecodedImage& img, float* dst) {
  const float* t = u8_to_unit_table();
  const int64_t hw = static_cast<int64_t>(img.width) * img.height;
  const int c = img.channels;
  for (int64_t p = 0; p < hw; ++p)
    for (int k = 0; k < c; ++k) dst[k * hw + p] = t[img.pixels[p * c + k]];
}

}  // namespace

Dataset images_to_dataset(std::vector<ImageEntry>&& entries, int64_t skipped, const std::string& source,
                          const LoadOptions& opt) {
  if (skipped > 0) spdlog::warn("{}: skipped {} non-image file(s) (only .png, .jpg, .jpeg are read)", source, skipped);
  RDC_CHECK(!entries.empty(), "{}: no PNG/JPEG images found ({} other file(s) skipped)", source, skipped);
  const size_t n = entries.size();

  // Relative path components; names keep the full relative path.
  std::vector<std::vector<std::string>> comps(n);
  for (size_t i = 0; i < n; ++i) comps[i] = split_path(entries[i].path);
  auto all_have_dir = [&] {
    return std::all_of(comps.begin(), comps.end(), [](const auto& c) { return c.size() >= 2; });
  };
  // 1. common wrapper folders.
  while (all_have_dir()) {
    const std::string& top = comps[0][0];
    if (split_from_folder(top) != Split::kUnknown) break;
    if (!std::all_of(comps.begin(), comps.end(), [&](const auto& c) { return c[0] == top; })) break;
    for (auto& c : comps) c.erase(c.begin());
  }
  // 2. split folders.
  std::vector<Split> split;
  if (all_have_dir() && std::all_of(comps.begin(), comps.end(),
                                    [](const auto& c) { return split_from_folder(c[0]) != Split::kUnknown; })) {
    split.resize(n);
    for (size_t i = 0; i < n; ++i) {
      split[i] = split_from_folder(comps[i][0]);
      comps[i].erase(comps[i].begin());
    }
  }
  // 3. class folders.
  std::vector<int64_t> labels;
  std::vector<std::string> class_names;
  if (opt.labels_from_folders) {
    const size_t in_dirs = std::count_if(comps.begin(), comps.end(), [](const auto& c) { return c.size() >= 2; });
    if (in_dirs == n) {
      for (const auto& c : comps) class_names.push_back(c[0]);
      sort_class_names(class_names);
      std::map<std::string, int64_t> id;
      for (size_t k = 0; k < class_names.size(); ++k) id[class_names[k]] = static_cast<int64_t>(k);
      labels.resize(n);
      for (size_t i = 0; i < n; ++i) labels[i] = id[comps[i][0]];
    } else if (in_dirs > 0) {
      spdlog::warn("{}: {} of {} images are not inside a class sub-folder; loading without labels", source,
                   n - in_dirs, n);
    }
  }

  // Order: split (train, val, test), then path.
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (!split.empty() && split[a] != split[b]) return static_cast<int>(split[a]) < static_cast<int>(split[b]);
    return entries[a].path < entries[b].path;
  });

  // Probe sizes (header only) in order: the first differing file is named.
  std::vector<DecodedImage> info(n);
  parallel_for_checked(static_cast<int64_t>(n), [&](int64_t k) {
    const ImageEntry& e = entries[order[k]];
    info[k] = probe_image(e.bytes, source + ": '" + e.path + "'");
  });
  const DecodedImage& ref = info[0];
  int channels = 1;
  int64_t grey = 0;
  for (size_t k = 0; k < n; ++k) {
    const DecodedImage& p = info[k];
    RDC_CHECK(p.width == ref.width && p.height == ref.height,
              "{}: image '{}' is {}x{} but '{}' is {}x{}; all images must share one size", source,
              entries[order[k]].path, p.width, p.height, entries[order[0]].path, ref.width, ref.height);
    channels = std::max(channels, p.channels);
    grey += p.channels == 1;
  }
  if (channels == 3 && grey > 0)
    spdlog::info("{}: {} grey image(s) among colour images are promoted to RGB", source, grey);

  Dataset d;
  d.source = source;
  d.shape = {static_cast<int64_t>(n), channels, ref.height, ref.width};
  const int64_t per = checked_numel({channels, ref.height, ref.width}, source);
  checked_numel({static_cast<int64_t>(n), per}, source);
  d.x.resize(static_cast<size_t>(n * per));
  parallel_for_checked(static_cast<int64_t>(n), [&](int64_t k) {
    ImageEntry& e = entries[order[k]];
    DecodedImage img = decode_image(e.bytes, channels, source + ": '" + e.path + "'");
    RDC_CHECK(img.width == ref.width && img.height == ref.height, "{}: '{}' changed size while decoding", source,
              e.path);
    to_chw(img, d.x.data() + k * per);
    std::string().swap(e.bytes);
  });
  d.names.resize(n);
  for (size_t k = 0; k < n; ++k) d.names[k] = entries[order[k]].path;
  if (!labels.empty()) {
    d.labels.resize(n);
    for (size_t k = 0; k < n; ++k) d.labels[k] = labels[order[k]];
    d.class_names = std::move(class_names);
  }
  if (!split.empty()) {
    d.split.resize(n);
    for (size_t k = 0; k < n; ++k) d.split[k] = split[order[k]];
  }
  return d;
}

Dataset read_mnist_png_batches(const std::vector<std::string>& png_paths) {
  RDC_CHECK(!png_paths.empty(), "MNIST PNG batches: no files given");
  std::vector<std::string> bytes(png_paths.size());
  std::vector<DecodedImage> info(png_paths.size());
  for (size_t b = 0; b < png_paths.size(); ++b) {
    bytes[b] = read_file(png_paths[b]);
    info[b] = probe_image(bytes[b], "'" + png_paths[b] + "'");
    RDC_CHECK(info[b].width == 784 && info[b].channels == 1,
              "'{}': is {}x{} with {} channel(s); an MNIST PNG batch is grey and 784 pixels wide (one 28x28 "
              "image per row)",
              png_paths[b], info[b].width, info[b].height, info[b].channels);
  }
  std::vector<int64_t> offset(png_paths.size() + 1, 0);
  for (size_t b = 0; b < png_paths.size(); ++b) offset[b + 1] = offset[b] + info[b].height;
  Dataset d;
  d.source = png_paths[0];
  d.shape = {offset.back(), 1, 28, 28};
  d.x.resize(static_cast<size_t>(offset.back()) * 784);
  parallel_for_checked(static_cast<int64_t>(png_paths.size()), [&](int64_t b) {
    DecodedImage img = decode_image(bytes[b], 1, "'" + png_paths[b] + "'");
    const float* t = u8_to_unit_table();
    float* dst = d.x.data() + offset[b] * 784;
    for (size_t i = 0; i < img.pixels.size(); ++i) dst[i] = t[img.pixels[i]];
  }, 2, 1);
  return d;
}

}  // namespace detail

// ---- folders ----

Dataset read_image_folder(const std::string& dir, const LoadOptions& opt) {
  std::error_code ec;
  RDC_CHECK(fs::is_directory(dir, ec), "'{}' is not a folder", dir);
  std::vector<detail::ImageEntry> entries;
  int64_t skipped = 0;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  RDC_CHECK(!ec, "cannot list '{}': {}", dir, ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    RDC_CHECK(!ec, "cannot list '{}': {}", dir, ec.message());
    const fs::path& p = it->path();
    const std::string base = p.filename().string();
    if (it->is_directory(ec)) {
      if (!base.empty() && base[0] == '.') it.disable_recursion_pending();  // .git, .cache, ...
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    const std::string rel = p.lexically_relative(dir).generic_string();
    if (!detail::is_image_name(rel)) {
      ++skipped;
      continue;
    }
    detail::ImageEntry e;
    e.path = rel;
    e.bytes = read_file(p.string());
    entries.push_back(std::move(e));
  }
  return detail::images_to_dataset(std::move(entries), skipped, dir, opt);
}

// ---- tar archives (ustar / GNU / pax), read in memory through zlib ----

namespace {

uint64_t parse_tar_number(const unsigned char* f, size_t len, const std::string& what, uint64_t at) {
  if (f[0] & 0x80) {  // base-256 (GNU) for large values
    uint64_t v = f[0] & 0x7f;
    for (size_t i = 1; i < len; ++i) {
      RDC_CHECK(v < (uint64_t{1} << 55), "{}: absurd number in the tar header at byte {}", what, at);
      v = (v << 8) | f[i];
    }
    return v;
  }
  uint64_t v = 0;
  size_t i = 0;
  while (i < len && (f[i] == ' ' || f[i] == '\0')) ++i;
  for (; i < len && f[i] >= '0' && f[i] <= '7'; ++i) {
    RDC_CHECK(v < (uint64_t{1} << 60), "{}: absurd number in the tar header at byte {}", what, at);
    v = v * 8 + (f[i] - '0');
  }
  for (; i < len; ++i)
    RDC_CHECK(f[i] == ' ' || f[i] == '\0', "{}: damaged tar header at byte {} (bad number field)", what, at);
  return v;
}

std::string field(const unsigned char* h, size_t off, size_t len) {
  const char* p = reinterpret_cast<const char*>(h + off);
  return std::string(p, strnlen(p, len));
}

// Parses a pax extended header for a "path" record.
std::string pax_path(const std::string& data) {
  size_t p = 0;
  std::string path;
  while (p < data.size()) {
    size_t sp = data.find(' ', p);
    if (sp == std::string::npos) break;
    uint64_t len = 0;
    for (size_t i = p; i < sp; ++i) {
      if (data[i] < '0' || data[i] > '9' || len > data.size()) return path;
      len = len * 10 + (data[i] - '0');
    }
    if (len == 0 || p + len > data.size() || sp + 1 >= p + len) break;
    const std::string rec = data.substr(sp + 1, p + len - sp - 2);  // without trailing '\n'
    if (rec.rfind("path=", 0) == 0) path = rec.substr(5);
    p += len;
  }
  return path;
}

}  // namespace

namespace detail {

void read_tar_entries(const std::string& path, std::vector<ImageEntry>& entries, int64_t& skipped) {
  GzReader in(path);
  std::string long_name;
  bool first = true;
  unsigned char h[512];
  for (;;) {
    const uint64_t at = in.offset();
    const size_t got = in.read(h, 512);
    if (got == 0 && !first) {
      spdlog::warn("'{}': tar archive has no end-of-archive marker (ends at byte {})", path, at);
      break;
    }
    RDC_CHECK(got == 512, "'{}': truncated tar archive: header at byte {} has only {} of 512 bytes", path, at, got);
    if (std::all_of(h, h + 512, [](unsigned char c) { return c == 0; })) break;
    // Checksum: sum of the header bytes with the checksum field read as spaces.
    uint64_t sum = 0;
    for (int i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : h[i];
    uint64_t stored = 0;
    bool number_ok = true;
    try {
      stored = parse_tar_number(h + 148, 8, "'" + path + "'", at);
    } catch (const Error&) {
      number_ok = false;
    }
    if (!number_ok || stored != sum) {
      RDC_CHECK(!first, "'{}': wrong magic: not a tar archive (bad header checksum at byte 0)", path);
      RDC_FAIL("'{}': damaged tar header at byte {} (checksum mismatch)", path, at);
    }
    first = false;
    const uint64_t size = parse_tar_number(h + 124, 12, "'" + path + "'", at);
    const uint64_t padded = (size + 511) / 512 * 512;
    const char type = static_cast<char>(h[156]);
    std::string name;
    if (!long_name.empty()) {
      name = long_name;
      long_name.clear();
    } else {
      name = field(h, 0, 100);
      if (std::memcmp(h + 257, "ustar", 5) == 0) {
        const std::string prefix = field(h, 345, 155);
        if (!prefix.empty()) name = prefix + "/" + name;
      }
    }
    auto read_member = [&](uint64_t limit, const char* kind) {
      RDC_CHECK(size <= limit, "'{}': {} '{}' at byte {} claims {} bytes; refusing (limit {})", path, kind, name, at,
                size, limit);
      std::vector<uint8_t> buf;
      const size_t have = in.read_append(buf, static_cast<size_t>(size));
      RDC_CHECK(have == size, "'{}': truncated tar archive: '{}' at byte {} needs {} bytes, only {} present", path,
                name, at, size, have);
      const size_t pad = static_cast<size_t>(padded - size);
      RDC_CHECK(in.skip(pad) == pad, "'{}': truncated tar archive after '{}'", path, name);
      return std::string(buf.begin(), buf.end());
    };
    if (type == 'L') {  // GNU long name for the next entry
      std::string s = read_member(1 << 16, "long name");
      long_name = s.substr(0, strnlen(s.c_str(), s.size()));
      continue;
    }
    if (type == 'x') {  // pax extended header for the next entry
      long_name = pax_path(read_member(1 << 20, "pax header"));
      continue;
    }
    const bool regular = type == '0' || type == '\0' || type == '7';
    if (regular && is_image_name(name)) {
      ImageEntry e;
      e.path = name;
      e.bytes = read_member(static_cast<uint64_t>(kMaxMemberBytes), "image");
      entries.push_back(std::move(e));
      continue;
    }
    if (regular) ++skipped;
    RDC_CHECK(in.skip(padded) == padded, "'{}': truncated tar archive: '{}' at byte {} needs {} bytes", path, name, at,
              size);
  }
}

}  // namespace detail

Dataset read_image_tar(const std::string& path, const LoadOptions& opt) {
  std::vector<detail::ImageEntry> entries;
  int64_t skipped = 0;
  detail::read_tar_entries(path, entries, skipped);
  return detail::images_to_dataset(std::move(entries), skipped, path, opt);
}

}  // namespace rdc
