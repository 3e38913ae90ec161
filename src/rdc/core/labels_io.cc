#include "rdc/core/labels_io.h"

#include <cmath>
#include <sstream>

#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/core/npy.h"

namespace rdc {

namespace {

std::vector<std::string> split_line(const std::string& line, char delim) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream ss(line);
  while (std::getline(ss, cell, delim)) {
    while (!cell.empty() && (cell.back() == '\r' || cell.back() == ' ')) cell.pop_back();
    while (!cell.empty() && cell.front() == ' ') cell.erase(cell.begin());
    out.push_back(cell);
  }
  return out;
}

bool parse_int(const std::string& s, int64_t* v) {
  if (s.empty()) return false;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || !std::isfinite(d) || d != std::floor(d)) return false;
  *v = static_cast<int64_t>(d);
  return true;
}

}  // namespace

std::vector<int64_t> read_ids(const std::string& path, const std::string& column) {
  auto ends_with = [&](const std::string& suf) {
    return path.size() >= suf.size() && path.compare(path.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (ends_with(".npy")) {
    NpyArray a = read_npy(path);
    RDC_CHECK(a.shape.size() == 1 || (a.shape.size() == 2 && a.shape[1] == 1),
              "{}: expected a vector of ids, got {} dims", path, a.shape.size());
    return a.to_int64(path);
  }
  std::string text = read_file(path);
  std::istringstream in(text);
  std::string line;
  const char delim = ends_with(".tsv") ? '\t' : ',';
  std::vector<int64_t> out;
  int col = -1;
  int64_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    auto cells = split_line(line, delim);
    if (col < 0) {
      // header?
      int64_t tmp;
      if (!parse_int(cells.back(), &tmp)) {
        col = static_cast<int>(cells.size()) - 1;
        for (size_t c = 0; c < cells.size(); ++c)
          if (cells[c] == column) col = static_cast<int>(c);
        continue;
      }
      col = static_cast<int>(cells.size()) - 1;
    }
    RDC_CHECK(col < static_cast<int>(cells.size()), "{}:{}: expected at least {} columns, found {}", path, lineno,
              col + 1, cells.size());
    int64_t v;
    RDC_CHECK(parse_int(cells[col], &v), "{}:{}: '{}' is not an integer id", path, lineno, cells[col]);
    out.push_back(v);
  }
  RDC_CHECK(!out.empty(), "{}: no ids found", path);
  return out;
}

void write_assignments_csv(const std::string& path, const std::vector<int64_t>& clusters,
                           const std::vector<std::string>& names, const std::vector<int64_t>& labels) {
  std::string s = "index,name,cluster";
  if (!labels.empty()) s += ",label";
  s += "\n";
  for (size_t i = 0; i < clusters.size(); ++i) {
    s += std::to_string(i) + ",";
    if (i < names.size()) {
      std::string n = names[i];
      if (n.find_first_of(",\"\n") != std::string::npos) {
        std::string q = "\"";
        for (char c : n) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
        n = q + "\"";
      }
      s += n;
    }
    s += "," + std::to_string(clusters[i]);
    if (!labels.empty()) s += "," + std::to_string(labels[i]);
    s += "\n";
  }
  write_file_atomic(path, s);
}

}  // namespace rdc
