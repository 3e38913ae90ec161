// IDX reader (MNIST / Fashion-MNIST format), raw or gzip-compressed (zlib).
// Layout: 2 zero bytes, type code, number of dims, then big-endian uint32 dims, then
// big-endian values in C order.
#include <cstring>
#include <limits>

#include <spdlog/spdlog.h>

#include "rdc/core/error.h"
#include "rdc/data/reader_util.h"
#include "rdc/data/readers.h"

namespace rdc {

namespace {

struct IdxArray {
  int type = 0;  // 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
  std::vector<int64_t> dims;
  std::vector<uint8_t> raw;  // big-endian values
};

int idx_item_size(int type) {
  switch (type) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
  }
}

IdxArray read_idx_array(const std::string& path, const char* kind) {
  detail::GzReader in(path);
  unsigned char magic[4];
  const size_t got = in.read(magic, 4);
  RDC_CHECK(got == 4, "'{}': truncated IDX file ({} bytes, the magic number needs 4)", path, got);
  const uint32_t m = (uint32_t{magic[0]} << 24) | (uint32_t{magic[1]} << 16) | (uint32_t{magic[2]} << 8) | magic[3];
  RDC_CHECK(magic[0] == 0 && magic[1] == 0 && idx_item_size(magic[2]) > 0 && magic[3] >= 1 && magic[3] <= 5,
            "'{}': wrong magic 0x{:08x} at byte 0; not an IDX {} file (expected 0x00000803 for images, "
            "0x00000801 for labels)",
            path, m, kind);
  IdxArray a;
  a.type = magic[2];
  for (int i = 0; i < magic[3]; ++i) {
    unsigned char b[4];
    RDC_CHECK(in.read(b, 4) == 4, "'{}': truncated IDX header (dimension {} of {} missing at byte {})", path, i + 1,
              int{magic[3]}, 4 + 4 * i);
    a.dims.push_back((int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | int64_t{b[3]});
  }
  const int64_t numel = detail::checked_numel(a.dims, "'" + path + "'");
  const int item = idx_item_size(a.type);
  RDC_CHECK(numel <= detail::kMaxElements / item, "'{}': IDX header claims {} values; refusing", path, numel);
  const size_t need = static_cast<size_t>(numel) * item;
  const size_t header = 4 + 4 * a.dims.size();
  const size_t have = in.read_append(a.raw, need);
  RDC_CHECK(have == need,
            "'{}': truncated IDX file: header says shape ({}) = {} bytes of data after byte {}, but the file "
            "ends after {} bytes",
            path, fmt::join(a.dims, ", "), need, header, have);
  unsigned char extra;
  RDC_CHECK(in.read(&extra, 1) == 0,
            "'{}': shape mismatch: the file has more data than its header's shape ({}) ({} bytes expected after "
            "the {}-byte header)",
            path, fmt::join(a.dims, ", "), need, header);
  return a;
}

template <typename T, typename U>
T load_be(const uint8_t* p) {
  U u = 0;
  for (size_t k = 0; k < sizeof(U); ++k) u = static_cast<U>((u << 8) | p[k]);
  T v;
  std::memcpy(&v, &u, sizeof(T));
  return v;
}

std::vector<float> idx_to_float(const IdxArray& a) {
  const size_t n = a.raw.size() / idx_item_size(a.type);
  std::vector<float> out(n);
  const uint8_t* p = a.raw.data();
  switch (a.type) {
    case 0x08: {
      const float* t = detail::u8_to_unit_table();
      for (size_t i = 0; i < n; ++i) out[i] = t[p[i]];
      break;
    }
    case 0x09: for (size_t i = 0; i < n; ++i) out[i] = static_cast<int8_t>(p[i]); break;
    case 0x0B: for (size_t i = 0; i < n; ++i) out[i] = load_be<int16_t, uint16_t>(p + 2 * i); break;
    case 0x0C: for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load_be<int32_t, uint32_t>(p + 4 * i)); break;
    case 0x0D: for (size_t i = 0; i < n; ++i) out[i] = load_be<float, uint32_t>(p + 4 * i); break;
    case 0x0E:
      for (size_t i = 0; i < n; ++i) {
        // Out-of-range doubles become +-inf explicitly (the cast would be undefined); the
        // finite check then names them.
        const double v = load_be<double, uint64_t>(p + 8 * i);
        const double m = std::numeric_limits<float>::max();
        out[i] = v > m ? std::numeric_limits<float>::infinity()
                       : v < -m ? -std::numeric_limits<float>::infinity() : static_cast<float>(v);
      }
      break;
  }
  return out;
}

std::vector<int64_t> idx_to_labels(const IdxArray& a, const std::string& path) {
  RDC_CHECK(a.dims.size() == 1 || (a.dims.size() == 2 && a.dims[1] == 1),
            "'{}': IDX labels must have shape (N) or (N, 1), got ({})", path, fmt::join(a.dims, ", "));
  RDC_CHECK(a.type == 0x08 || a.type == 0x09 || a.type == 0x0B || a.type == 0x0C,
            "'{}': IDX labels must be integers (type 0x08/0x09/0x0B/0x0C), got type 0x{:02x}", path, a.type);
  const size_t n = static_cast<size_t>(a.dims[0]);
  std::vector<int64_t> out(n);
  const uint8_t* p = a.raw.data();
  for (size_t i = 0; i < n; ++i) {
    int64_t v = 0;
    switch (a.type) {
      case 0x08: v = p[i]; break;
      case 0x09: v = static_cast<int8_t>(p[i]); break;
      case 0x0B: v = load_be<int16_t, uint16_t>(p + 2 * i); break;
      case 0x0C: v = load_be<int32_t, uint32_t>(p + 4 * i); break;
    }
    RDC_CHECK(v >= 0, "'{}': label {} at position {} is negative", path, v, i);
    out[i] = v;
  }
  return out;
}

}  // namespace

Dataset read_idx(const std::string& images_path, const std::string& labels_path) {
  IdxArray img = read_idx_array(images_path, "images");
  RDC_CHECK(img.dims.size() >= 2, "'{}': IDX file has shape ({}); a dataset needs (N, D) or (N, H, W)", images_path,
            fmt::join(img.dims, ", "));
  Dataset d;
  d.source = images_path;
  std::vector<int64_t> dims = img.dims;
  std::vector<float> x = idx_to_float(img);
  std::vector<uint8_t>().swap(img.raw);
  detail::arrange_array(dims, std::move(x), d, "'" + images_path + "'");
  check_finite(d.x.data(), d.n(), d.sample_size(), "'" + images_path + "'");
  if (!labels_path.empty()) {
    IdxArray lab = read_idx_array(labels_path, "labels");
    d.labels = idx_to_labels(lab, labels_path);
    RDC_CHECK(static_cast<int64_t>(d.labels.size()) == d.n(),
              "label count mismatch: '{}' has {} labels but '{}' has {} samples", labels_path, d.labels.size(),
              images_path, d.n());
  }
  return d;
}

namespace detail {

/// Labels of an IDX labels file (used by the MNIST PNG loader).
std::vector<int64_t> read_idx_labels(const std::string& path) {
  IdxArray lab = read_idx_array(path, "labels");
  return idx_to_labels(lab, path);
}

}  // namespace detail

}  // namespace rdc
