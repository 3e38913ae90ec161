#include "rdc/core/labels_io.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/core/npy.h"

namespace rdc {

namespace {

// Splits one record. A cell in double quotes may hold the delimiter, newlines and "" (one
// quote), as write_assignments_csv writes names. A delimiter at the very end adds no cell.
std::vector<std::string> split_line(const std::string& line, char delim) {
  std::vector<std::string> out;
  std::string cell;
  bool quoted = false;
  auto finish = [&] {
    while (!cell.empty() && (cell.back() == '\r' || cell.back() == ' ')) cell.pop_back();
    while (!cell.empty() && cell.front() == ' ') cell.erase(cell.begin());
    out.push_back(cell);
    cell.clear();
  };
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') cell += c;
      else if (i + 1 < line.size() && line[i + 1] == '"') cell += line[++i];
      else quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == delim) {
      finish();
    } else {
      cell += c;
    }
  }
  if (!cell.empty() || line.empty() || line.back() != delim || quoted) finish();
  return out;
}

// True while `line` has an open quoted cell (odd number of quotes): the record goes on.
bool open_quote(const std::string& line) { return std::count(line.begin(), line.end(), '"') % 2 == 1; }

bool parse_int(const std::string& s, int64_t* v) {
  if (s.empty()) return false;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  // |d| <= 2^53 keeps the cast below defined (and the id exact).
  if (end == s.c_str() || *end != '\0' || !std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9007199254740992.0)
    return false;
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
    const int64_t first_line = lineno;
    std::string more;
    for (bool open = open_quote(line); open && std::getline(in, more);) {  // quoted cell with a newline
      line += '\n' + more;
      open = open != open_quote(more);
      ++lineno;
    }
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
    RDC_CHECK(col < static_cast<int>(cells.size()), "{}:{}: expected at least {} columns, found {}", path,
              first_line, col + 1, cells.size());
    int64_t v;
    RDC_CHECK(parse_int(cells[col], &v), "{}:{}: '{}' is not an integer id", path, first_line, cells[col]);
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
