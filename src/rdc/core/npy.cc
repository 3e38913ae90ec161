#include "rdc/core/npy.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "rdc/core/error.h"
#include "rdc/core/fs.h"

namespace rdc {

namespace {

int dtype_size(const std::string& d) {
  if (d.size() < 2) return 0;
  const char k = d[0];
  if (k != 'f' && k != 'i' && k != 'u' && k != 'b') return 0;
  int s = std::atoi(d.c_str() + 1);
  if (s != 1 && s != 2 && s != 4 && s != 8) return 0;
  if (k == 'f' && s < 4) return 0;
  if (k == 'b' && s != 1) return 0;
  return s;
}

// Finds the value of `'key':` in a numpy header dict, returns the text after the colon.
std::string header_value(const std::string& h, const std::string& key, const std::string& what) {
  auto p = h.find("'" + key + "'");
  RDC_CHECK(p != std::string::npos, "{}: npy header has no '{}' field (header: {})", what, key, h);
  p = h.find(':', p);
  RDC_CHECK(p != std::string::npos, "{}: malformed npy header near '{}'", what, key);
  ++p;
  while (p < h.size() && h[p] == ' ') ++p;
  return h.substr(p);
}

template <typename T>
void append_values(std::vector<float>& out, const char* p, int64_t n) {
  out.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

std::string make_header(const std::string& descr, const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) s += ",";
    if (i + 1 < shape.size()) s += " ";
  }
  s += ")";
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + s + ", }";
  size_t total = 10 + dict.size() + 1;
  size_t pad = (64 - total % 64) % 64;
  dict += std::string(pad, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  uint16_t hl = static_cast<uint16_t>(dict.size());
  out += static_cast<char>(hl & 0xff);
  out += static_cast<char>(hl >> 8);
  return out + dict;
}

}  // namespace

int64_t NpyArray::numel() const {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

int NpyArray::itemsize() const { return dtype_size(dtype); }

std::vector<float> NpyArray::to_float() const {
  std::vector<float> out;
  const int64_t n = numel();
  const char* p = data.data();
  if (dtype == "f4") append_values<float>(out, p, n);
  else if (dtype == "f8") append_values<double>(out, p, n);
  else if (dtype == "u1" || dtype == "b1") append_values<uint8_t>(out, p, n);
  else if (dtype == "i1") append_values<int8_t>(out, p, n);
  else if (dtype == "u2") append_values<uint16_t>(out, p, n);
  else if (dtype == "i2") append_values<int16_t>(out, p, n);
  else if (dtype == "u4") append_values<uint32_t>(out, p, n);
  else if (dtype == "i4") append_values<int32_t>(out, p, n);
  else if (dtype == "u8") append_values<uint64_t>(out, p, n);
  else if (dtype == "i8") append_values<int64_t>(out, p, n);
  else RDC_FAIL("unsupported npy dtype '{}'", dtype);
  return out;
}

std::vector<int64_t> NpyArray::to_int64(const std::string& what) const {
  std::vector<int64_t> out(numel());
  if (dtype == "i8" || dtype == "u8") {
    if (!out.empty()) std::memcpy(out.data(), data.data(), out.size() * 8);  // no memcpy from null when empty
    return out;
  }
  std::vector<float> f;
  if (dtype == "f8") {
    for (int64_t i = 0; i < numel(); ++i) {
      double v;
      std::memcpy(&v, data.data() + i * 8, 8);
      // |v| <= 2^53: exact in double and far inside int64 (a larger cast would be undefined).
      RDC_CHECK(std::isfinite(v) && v == std::floor(v) && std::fabs(v) <= 9007199254740992.0,
                "{}: label {} at position {} is not an integer (or beyond +-2^53)", what, v, i);
      out[i] = static_cast<int64_t>(v);
    }
    return out;
  }
  f = to_float();
  for (size_t i = 0; i < f.size(); ++i) {
    RDC_CHECK(std::isfinite(f[i]) && f[i] == std::floor(f[i]) && std::fabs(f[i]) <= 9007199254740992.0f,
              "{}: label {} at position {} is not an integer (or beyond +-2^53)", what, f[i], i);
    out[i] = static_cast<int64_t>(f[i]);
  }
  return out;
}

NpyArray parse_npy(const char* buf, size_t len, const std::string& what) {
  RDC_CHECK(len >= 10, "{}: truncated npy file ({} bytes, header needs at least 10)", what, len);
  RDC_CHECK(std::memcmp(buf, "\x93NUMPY", 6) == 0, "{}: wrong magic, not a .npy file", what);
  const int major = static_cast<unsigned char>(buf[6]);
  size_t hlen = 0, off = 0;
  if (major == 1) {
    hlen = static_cast<unsigned char>(buf[8]) | (static_cast<unsigned char>(buf[9]) << 8);
    off = 10;
  } else if (major == 2 || major == 3) {
    RDC_CHECK(len >= 12, "{}: truncated npy v{} header", what, major);
    hlen = 0;
    for (int i = 0; i < 4; ++i) hlen |= static_cast<size_t>(static_cast<unsigned char>(buf[8 + i])) << (8 * i);
    off = 12;
  } else {
    RDC_FAIL("{}: unsupported npy version {}", what, major);
  }
  RDC_CHECK(off + hlen <= len, "{}: truncated npy header (claims {} bytes, file has {})", what, hlen, len - off);
  std::string h(buf + off, hlen);
  NpyArray a;
  // descr
  std::string d = header_value(h, "descr", what);
  RDC_CHECK(!d.empty() && (d[0] == '\'' || d[0] == '"'), "{}: unsupported npy descr (structured dtype?): {}", what, h);
  auto q = d.find(d[0], 1);
  RDC_CHECK(q != std::string::npos, "{}: malformed npy descr", what);
  std::string descr = d.substr(1, q - 1);
  RDC_CHECK(!descr.empty(), "{}: empty npy descr", what);
  char order = descr[0];
  if (order == '<' || order == '|' || order == '=') descr = descr.substr(1);
  else if (order == '>') {
    RDC_CHECK(descr.size() >= 2 && (descr.substr(1) == "u1" || descr.substr(1) == "i1" || descr.substr(1) == "b1"),
              "{}: big-endian npy dtype '{}' is not supported", what, descr);
    descr = descr.substr(1);
  }
  RDC_CHECK(dtype_size(descr) > 0, "{}: unsupported npy dtype '{}'", what, descr);
  a.dtype = descr;
  std::string fo = header_value(h, "fortran_order", what);
  RDC_CHECK(fo.rfind("False", 0) == 0, "{}: Fortran-ordered npy arrays are not supported; save with C order", what);
  std::string sh = header_value(h, "shape", what);
  RDC_CHECK(!sh.empty() && sh[0] == '(', "{}: malformed npy shape", what);
  auto close = sh.find(')');
  RDC_CHECK(close != std::string::npos, "{}: malformed npy shape", what);
  std::string inner = sh.substr(1, close - 1);
  const int64_t item = dtype_size(descr);
  const size_t avail = len - off - hlen;
  int64_t numel = 1;
  size_t p = 0;
  while (p < inner.size()) {
    while (p < inner.size() && (inner[p] == ' ' || inner[p] == ',')) ++p;
    if (p >= inner.size()) break;
    RDC_CHECK(inner[p] >= '0' && inner[p] <= '9', "{}: malformed npy shape '({})'", what, inner);
    int64_t v = 0;
    while (p < inner.size() && inner[p] >= '0' && inner[p] <= '9') {
      RDC_CHECK(v < (int64_t{1} << 50), "{}: absurd npy dimension in shape '({})'", what, inner);
      v = v * 10 + (inner[p] - '0');
      ++p;
    }
    a.shape.push_back(v);
    RDC_CHECK(a.shape.size() <= 16, "{}: npy shape has more than 16 dims", what);
    if (v != 0 && numel > std::numeric_limits<int64_t>::max() / v / item)
      RDC_FAIL("{}: npy shape '({})' overflows", what, inner);
    numel *= v;
  }
  const size_t need = static_cast<size_t>(numel * item);
  RDC_CHECK(need <= avail, "{}: truncated npy data: shape ({}) needs {} bytes, file has {}", what, inner, need, avail);
  a.data.assign(buf + off + hlen, buf + off + hlen + need);
  return a;
}

NpyArray read_npy(const std::string& path) {
  std::string bytes = read_file(path);
  return parse_npy(bytes.data(), bytes.size(), path);
}

std::string npy_bytes_f32(const float* data, const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  std::string out = make_header("<f4", shape);
  out.append(reinterpret_cast<const char*>(data), n * sizeof(float));
  return out;
}

std::string npy_bytes_i64(const int64_t* data, const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  std::string out = make_header("<i8", shape);
  out.append(reinterpret_cast<const char*>(data), n * sizeof(int64_t));
  return out;
}

void write_npy(const std::string& path, const std::vector<float>& data, const std::vector<int64_t>& shape) {
  write_file_atomic(path, npy_bytes_f32(data.data(), shape));
}

void write_npy(const std::string& path, const std::vector<int64_t>& data, const std::vector<int64_t>& shape) {
  write_file_atomic(path, npy_bytes_i64(data.data(), shape));
}

}  // namespace rdc
