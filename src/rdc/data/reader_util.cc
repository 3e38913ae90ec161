#include "rdc/data/reader_util.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>

#include "rdc/core/error.h"

namespace rdc {
namespace detail {

int64_t checked_numel(const std::vector<int64_t>& dims, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : dims) {
    RDC_CHECK(d >= 0, "{}: negative dimension {} in the header", what, d);
    if (d != 0 && n > kMaxElements / d)
      RDC_FAIL("{}: header claims more than {} values (dims {}); refusing such an absurd size", what,
               kMaxElements, fmt::join(dims, " x "));
    n *= d;
  }
  RDC_CHECK(n <= kMaxElements, "{}: header claims {} values (dims {}), more than the limit {}; refusing", what, n,
            fmt::join(dims, " x "), kMaxElements);
  return n;
}

const float* u8_to_unit_table() {
  static const struct Table {
    float v[256];
    Table() {
      for (int i = 0; i < 256; ++i) v[i] = static_cast<float>(i) / 255.0f;
    }
  } table;
  return table.v;
}

namespace {

bool is_channel_count(int64_t c) { return c == 1 || c == 3 || c == 4; }

// (N, S..., C) channel-last -> (N, C, S...) with `spatial` = product of S.
std::vector<float> channels_last_to_first(const std::vector<float>& in, int64_t n, int64_t spatial, int64_t c) {
  std::vector<float> out(in.size());
  for (int64_t i = 0; i < n; ++i) {
    const float* src = in.data() + i * spatial * c;
    float* dst = out.data() + i * spatial * c;
    for (int64_t p = 0; p < spatial; ++p)
      for (int64_t k = 0; k < c; ++k) dst[k * spatial + p] = src[p * c + k];
  }
  return out;
}

}  // namespace

void arrange_array(const std::vector<int64_t>& shape, std::vector<float>&& data, Dataset& out,
                   const std::string& what) {
  const size_t r = shape.size();
  RDC_CHECK(r >= 2 && r <= 5,
            "{}: array of shape ({}) has {} dims; expected (N, D) vectors, (N, H, W) or (N, H, W, C) images, "
            "or (N, D, H, W) / (N, C, D, H, W) volumes",
            what, fmt::join(shape, ", "), r);
  for (size_t i = 0; i < r; ++i)
    RDC_CHECK(shape[i] > 0, "{}: array of shape ({}) has an empty dimension {}", what, fmt::join(shape, ", "), i);
  const int64_t n = shape[0];
  if (r == 2) {
    out.shape = shape;
  } else if (r == 3) {
    out.shape = {n, 1, shape[1], shape[2]};
  } else if (r == 4) {
    if (is_channel_count(shape[3])) {  // (N, H, W, C)
      data = channels_last_to_first(data, n, shape[1] * shape[2], shape[3]);
      out.shape = {n, shape[3], shape[1], shape[2]};
    } else if (is_channel_count(shape[1])) {  // (N, C, H, W)
      out.shape = shape;
    } else {  // (N, D, H, W) volume
      out.shape = {n, 1, shape[1], shape[2], shape[3]};
    }
  } else {
    if (is_channel_count(shape[1])) {  // (N, C, D, H, W)
      out.shape = shape;
    } else if (is_channel_count(shape[4])) {  // (N, D, H, W, C)
      data = channels_last_to_first(data, n, shape[1] * shape[2] * shape[3], shape[4]);
      out.shape = {n, shape[4], shape[1], shape[2], shape[3]};
    } else {
      RDC_FAIL("{}: 5-D array of shape ({}) has no channel axis of size 1, 3 or 4 (expected (N, C, D, H, W) "
               "or (N, D, H, W, C))",
               what, fmt::join(shape, ", "));
    }
  }
  out.x = std::move(data);
}

Dataset concat_datasets(std::vector<Dataset>&& parts, const std::string& source) {
  RDC_CHECK(!parts.empty(), "{}: nothing to concatenate", source);
  if (parts.size() == 1) {
    Dataset d = std::move(parts[0]);
    d.source = source;
    return d;
  }
  const Dataset& first = parts[0];
  bool labels = true, split = true, names = true, same_classes = true, all_class_names = true;
  int64_t total = 0;
  for (const Dataset& p : parts) {
    RDC_CHECK(p.shape.size() == first.shape.size() &&
                  std::equal(p.shape.begin() + 1, p.shape.end(), first.shape.begin() + 1),
              "{}: cannot merge '{}' (sample shape {}) with '{}' (sample shape {})", source, p.source,
              fmt::join(p.shape.begin() + 1, p.shape.end(), "x"), first.source,
              fmt::join(first.shape.begin() + 1, first.shape.end(), "x"));
    labels &= p.has_labels();
    split &= !p.split.empty();
    names &= !p.names.empty();
    same_classes &= p.class_names == first.class_names;
    all_class_names &= !p.class_names.empty();
    total += p.n();
  }
  Dataset out;
  out.source = source;
  out.shape = first.shape;
  out.shape[0] = total;
  // Label remapping through class names when the parts disagree.
  std::vector<std::vector<int64_t>> remap(parts.size());
  if (labels && !same_classes && all_class_names) {
    std::vector<std::string> all;
    for (const Dataset& p : parts) all.insert(all.end(), p.class_names.begin(), p.class_names.end());
    sort_class_names(all);
    out.class_names = all;
    for (size_t k = 0; k < parts.size(); ++k)
      for (const std::string& c : parts[k].class_names)
        remap[k].push_back(std::find(all.begin(), all.end(), c) - all.begin());
  } else if (same_classes) {
    out.class_names = first.class_names;
  }
  const int64_t per = first.sample_size();
  for (size_t k = 0; k < parts.size(); ++k) {
    Dataset& p = parts[k];
    if (k == 0) {
      out.x = std::move(p.x);  // one reallocation at most, no copy of the other parts' storage
      out.x.reserve(static_cast<size_t>(total * per));
    } else {
      out.x.insert(out.x.end(), p.x.begin(), p.x.end());
      std::vector<float>().swap(p.x);
    }
    if (labels) {
      for (int64_t l : p.labels) {
        if (!remap[k].empty()) {
          RDC_CHECK(l >= 0 && l < static_cast<int64_t>(remap[k].size()), "{}: label {} of '{}' has no class name",
                    source, l, p.source);
          out.labels.push_back(remap[k][l]);
        } else {
          out.labels.push_back(l);
        }
      }
    }
    if (split) out.split.insert(out.split.end(), p.split.begin(), p.split.end());
    if (names) out.names.insert(out.names.end(), p.names.begin(), p.names.end());
  }
  return out;
}

void sort_class_names(std::vector<std::string>& names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  const bool numeric = !names.empty() && std::all_of(names.begin(), names.end(), [](const std::string& s) {
    return !s.empty() && s.size() <= 18 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  });
  if (numeric)
    std::stable_sort(names.begin(), names.end(),
                     [](const std::string& a, const std::string& b) { return std::stoll(a) < std::stoll(b); });
}

bool ends_with_ci(const std::string& s, const std::string& suffix) {
  if (suffix.size() > s.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char a = s[s.size() - suffix.size() + i], b = suffix[i];
    if (std::tolower(static_cast<unsigned char>(a)) != std::tolower(static_cast<unsigned char>(b))) return false;
  }
  return true;
}

std::string to_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ---- GzReader ----

GzReader::GzReader(const std::string& path) : path_(path) {
  gzFile f = gzopen(path.c_str(), "rb");
  RDC_CHECK(f != nullptr, "cannot open '{}': {}", path, errno ? std::strerror(errno) : "out of memory");
  gzbuffer(f, 1 << 18);
  gz_ = f;
}

GzReader::~GzReader() {
  if (gz_) gzclose_r(static_cast<gzFile>(gz_));
}

size_t GzReader::read(void* dst, size_t n) {
  gzFile f = static_cast<gzFile>(gz_);
  size_t done = 0;
  char* p = static_cast<char*>(dst);
  while (done < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
    int got = gzread(f, p + done, chunk);
    if (got < 0) {
      int err = 0;
      const char* msg = gzerror(f, &err);
      RDC_FAIL("'{}': read error at decompressed byte {}: {}", path_, offset_ + done, msg ? msg : "unknown");
    }
    if (got == 0) {
      int err = 0;
      const char* msg = gzerror(f, &err);
      if (err != Z_OK && err != Z_BUF_ERROR)
        RDC_FAIL("'{}': corrupt data at decompressed byte {}: {}", path_, offset_ + done, msg ? msg : "unknown");
      break;
    }
    done += static_cast<size_t>(got);
  }
  offset_ += done;
  return done;
}

size_t GzReader::read_append(std::vector<uint8_t>& out, size_t n) {
  // Grow in steps so that a header claiming a huge size costs memory only as data arrives.
  // Reserve (address space only, pages are not touched) up to 256 MiB, then grow the used size
  // geometrically from 1 MiB (capped at 64 MiB per step) as data arrives.
  out.reserve(out.size() + std::min(n, size_t{1} << 28));
  size_t done = 0;
  while (done < n) {
    const size_t step = std::min(std::max(out.size(), size_t{1} << 20), size_t{64} << 20);
    const size_t chunk = std::min(n - done, step);
    const size_t old = out.size();
    out.resize(old + chunk);
    const size_t got = read(out.data() + old, chunk);
    done += got;
    if (got < chunk) {
      out.resize(old + got);
      break;
    }
  }
  return done;
}

size_t GzReader::skip(size_t n) {
  char buf[1 << 14];
  size_t done = 0;
  while (done < n) {
    const size_t chunk = std::min(n - done, sizeof(buf));
    const size_t got = read(buf, chunk);
    done += got;
    if (got < chunk) break;
  }
  return done;
}

}  // namespace detail
}  // namespace rdc
