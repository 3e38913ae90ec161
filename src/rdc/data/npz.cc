// .npy and .npz (zip of .npy, stored or deflated, read with libzip) readers.
//
// Array layout rule (see detail::arrange_array): (N, D) vectors; (N, H, W) grey images;
// (N, H, W, C) with C in {1,3,4} channel-last images transposed to (N, C, H, W);
// (N, C, H, W) kept; other 4-D arrays (N, D, H, W) are volumes (N, 1, D, H, W);
// (N, C, D, H, W) kept, (N, D, H, W, C) transposed. uint8 arrays are scaled by 1/255,
// other dtypes are kept as they are.
//
// npz layouts: MedMNIST {train,val,test}_{images,labels} (splits merged, split tags kept);
// Keras-style {x,y}_{train,val,test}; generic: samples from LoadOptions::npz_key or the first of
// x / data / images / X (or the only array), labels from y / labels / targets / target / Y.
#include <zip.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <spdlog/spdlog.h>

#include "rdc/core/error.h"
#include "rdc/core/npy.h"
#include "rdc/data/reader_util.h"
#include "rdc/data/readers.h"

namespace rdc {

namespace {

// Samples from a parsed array: floats (uint8 / 255) arranged by the layout rule.
void samples_from_npy(const NpyArray& a, Dataset& d, const std::string& what) {
  std::vector<float> x;
  if (a.dtype == "u1") {
    const float* t = detail::u8_to_unit_table();
    const int64_t n = a.numel();
    x.resize(n);
    const unsigned char* p = reinterpret_cast<const unsigned char*>(a.data.data());
    for (int64_t i = 0; i < n; ++i) x[i] = t[p[i]];
  } else {
    x = a.to_float();
  }
  detail::arrange_array(a.shape, std::move(x), d, what);
  check_finite(d.x.data(), d.n(), d.sample_size(), what);
}

// Labels from a parsed array of shape (N) or (N, 1); returns false (with a warning) for
// multi-label arrays (N, k > 1).
bool labels_from_npy(const NpyArray& a, int64_t n, Dataset& d, const std::string& what) {
  if (a.shape.size() == 2 && a.shape[1] > 1) {
    spdlog::warn("{}: labels of shape ({}, {}) are multi-label; loading without labels", what, a.shape[0],
                 a.shape[1]);
    return false;
  }
  RDC_CHECK(a.shape.size() == 1 || (a.shape.size() == 2 && a.shape[1] == 1),
            "{}: labels must have shape (N) or (N, 1), got ({})", what, fmt::join(a.shape, ", "));
  RDC_CHECK(a.shape[0] == n, "label count mismatch: {} has {} labels for {} samples", what, a.shape[0], n);
  d.labels = a.to_int64(what);
  for (size_t i = 0; i < d.labels.size(); ++i)
    RDC_CHECK(d.labels[i] >= 0, "{}: label {} at position {} is negative", what, d.labels[i], i);
  return true;
}

class ZipReader {
 public:
  explicit ZipReader(const std::string& path) : path_(path) {
    int err = 0;
    z_ = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!z_) {
      zip_error_t ze;
      zip_error_init_with_code(&ze, err);
      std::string msg = zip_error_strerror(&ze);
      zip_error_fini(&ze);
      if (err == ZIP_ER_NOZIP) {
        // libzip says "not a zip archive" when the end-of-archive directory is missing: a zip that
        // starts with the local-file magic "PK\3\4" was cut short, not mislabelled.
        std::ifstream f(path, std::ios::binary);
        char magic[4] = {0, 0, 0, 0};
        f.read(magic, 4);
        if (f.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4)
          RDC_FAIL("'{}': truncated or damaged zip/npz archive (it starts like a zip file but its central directory "
                   "is missing: {})",
                   path, msg);
        RDC_FAIL("'{}': wrong magic, not a zip/npz archive ({})", path, msg);
      }
      if (err == ZIP_ER_NOENT || err == ZIP_ER_OPEN) RDC_FAIL("cannot open '{}': {}", path, msg);
      RDC_FAIL("'{}': damaged or truncated zip/npz archive: {}", path, msg);
    }
    std::error_code ec;
    file_size_ = std::filesystem::file_size(path, ec);
    const zip_int64_t n = zip_get_num_entries(z_, 0);
    for (zip_int64_t i = 0; i < n; ++i) {
      const char* name = zip_get_name(z_, static_cast<zip_uint64_t>(i), 0);
      if (!name) continue;
      std::string s = name;
      if (detail::ends_with_ci(s, ".npy")) s.resize(s.size() - 4);
      index_[s] = i;
    }
  }
  ~ZipReader() {
    if (z_) zip_discard(z_);
  }
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  bool has(const std::string& key) const { return index_.count(key) > 0; }
  std::vector<std::string> keys() const {
    std::vector<std::string> k;
    for (auto& kv : index_) k.push_back(kv.first);
    return k;
  }

  NpyArray array(const std::string& key) const {
    auto it = index_.find(key);
    RDC_CHECK(it != index_.end(), "'{}': no array '{}' (arrays: {})", path_, key, fmt::join(keys(), ", "));
    const std::string what = fmt::format("'{}' array '{}'", path_, key);
    zip_stat_t st;
    zip_stat_init(&st);
    RDC_CHECK(zip_stat_index(z_, static_cast<zip_uint64_t>(it->second), 0, &st) == 0, "{}: cannot stat: {}", what,
              zip_strerror(z_));
    RDC_CHECK((st.valid & ZIP_STAT_SIZE) && (st.valid & ZIP_STAT_COMP_SIZE), "{}: entry sizes unknown", what);
    RDC_CHECK(st.size <= static_cast<zip_uint64_t>(detail::kMaxMemberBytes),
              "{}: entry claims {} bytes uncompressed; refusing such an absurd size", what, st.size);
    // The compressed bytes lie inside the archive, and deflate cannot expand more than ~1032:1:
    // larger claims are forged headers, refused before allocating.
    RDC_CHECK(st.comp_size <= file_size_, "{}: entry claims {} compressed bytes in a {}-byte archive; damaged header",
              what, st.comp_size, file_size_);
    RDC_CHECK(st.size <= st.comp_size * 1040 + 4096,
              "{}: entry claims {} bytes uncompressed from {} compressed bytes; damaged header", what, st.size,
              st.comp_size);
    zip_file_t* f = zip_fopen_index(z_, static_cast<zip_uint64_t>(it->second), 0);
    RDC_CHECK(f != nullptr, "{}: cannot open entry: {}", what, zip_strerror(z_));
    std::string buf(static_cast<size_t>(st.size), '\0');
    zip_uint64_t done = 0;
    std::string err;
    while (done < st.size) {
      zip_int64_t got = zip_fread(f, &buf[done], st.size - done);
      if (got < 0) {
        err = zip_file_strerror(f);
        break;
      }
      if (got == 0) break;
      done += static_cast<zip_uint64_t>(got);
    }
    zip_fclose(f);
    RDC_CHECK(err.empty(), "{}: damaged entry after {} of {} bytes: {}", what, done, st.size, err);
    RDC_CHECK(done == st.size, "{}: truncated entry ({} of {} bytes)", what, done, st.size);
    return parse_npy(buf.data(), buf.size(), what);
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  zip_t* z_ = nullptr;
  std::map<std::string, zip_int64_t> index_;
  uint64_t file_size_ = 0;
};

// Loads {prefix}{split} style splits: `img(split)` / `lab(split)` give the array names.
template <typename ImgName, typename LabName>
Dataset read_split_layout(const ZipReader& z, ImgName img, LabName lab) {
  const std::pair<const char*, Split> splits[] = {{"train", Split::kTrain}, {"val", Split::kVal}, {"test", Split::kTest}};
  std::vector<Dataset> parts;
  for (auto& [name, tag] : splits) {
    if (!z.has(img(name))) continue;
    const std::string what = fmt::format("'{}' array '{}'", z.path(), img(name));
    Dataset d;
    d.source = what;
    {
      NpyArray a = z.array(img(name));
      samples_from_npy(a, d, what);
    }
    if (z.has(lab(name))) {
      NpyArray l = z.array(lab(name));
      labels_from_npy(l, d.n(), d, fmt::format("'{}' array '{}'", z.path(), lab(name)));
    }
    d.split.assign(d.n(), tag);
    parts.push_back(std::move(d));
  }
  return detail::concat_datasets(std::move(parts), z.path());
}

}  // namespace

Dataset read_npy_dataset(const std::string& path) {
  NpyArray a = read_npy(path);
  Dataset d;
  d.source = path;
  samples_from_npy(a, d, "'" + path + "'");
  return d;
}

Dataset read_npz(const std::string& path, const LoadOptions& opt) {
  ZipReader z(path);
  RDC_CHECK(!z.keys().empty(), "'{}': the npz archive holds no arrays", path);
  if (opt.npz_key.empty()) {
    if (z.has("train_images") || z.has("val_images") || z.has("test_images"))
      return read_split_layout(
          z, [](const std::string& s) { return s + "_images"; }, [](const std::string& s) { return s + "_labels"; });
    if (z.has("x_train") || z.has("x_test"))
      return read_split_layout(
          z, [](const std::string& s) { return "x_" + s; }, [](const std::string& s) { return "y_" + s; });
  }
  std::string key = opt.npz_key;
  if (key.empty()) {
    for (const char* k : {"x", "data", "images", "X"})
      if (z.has(k)) {
        key = k;
        break;
      }
    if (key.empty() && z.keys().size() == 1) key = z.keys()[0];
    RDC_CHECK(!key.empty(),
              "'{}': cannot tell which array holds the samples (arrays: {}); expected one of x, data, images, X, "
              "MedMNIST {{train,val,test}}_images, or set the npz key option",
              path, fmt::join(z.keys(), ", "));
  }
  Dataset d;
  d.source = path;
  const std::string what = fmt::format("'{}' array '{}'", path, key);
  {
    NpyArray a = z.array(key);
    samples_from_npy(a, d, what);
  }
  for (const char* k : {"y", "labels", "targets", "target", "Y"}) {
    if (k == key || !z.has(k)) continue;
    NpyArray l = z.array(k);
    labels_from_npy(l, d.n(), d, fmt::format("'{}' array '{}'", path, k));
    break;
  }
  return d;
}

}  // namespace rdc
