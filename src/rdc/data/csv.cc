// CSV / TSV feature matrices -> N x D vectors.
// Delimiter: tab for .tsv, comma for .csv (semicolon when the first line has ';' but no ','),
// otherwise sniffed from the first line (',', tab, ';', else runs of blanks).
// Blank lines and lines starting with '#' are skipped. The first line is a header when
// LoadOptions::csv_header is set or when one of its feature cells is not a number.
// Label column (LoadOptions::csv_label_column): non-negative integers are used as class ids;
// any other values are class names, sorted (numerically when all are integers) into ids.
#include <algorithm>
#include <charconv>
#include <limits>
#include <cmath>
#include <map>
#include <string_view>

#include <spdlog/spdlog.h>

#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/data/reader_util.h"
#include "rdc/data/readers.h"

namespace rdc {

namespace {

constexpr char kBlanks = ' ';  // delimiter value meaning "runs of spaces/tabs"

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

void split_cells(std::string_view line, char delim, std::vector<std::string_view>& cells) {
  cells.clear();
  if (delim == kBlanks) {
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
      if (i >= line.size()) break;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
      cells.push_back(line.substr(i, j - i));
      i = j;
    }
    return;
  }
  size_t start = 0;
  for (;;) {
    size_t p = line.find(delim, start);
    if (p == std::string_view::npos) {
      cells.push_back(trim(line.substr(start)));
      return;
    }
    cells.push_back(trim(line.substr(start, p - start)));
    start = p + 1;
  }
}

// Parses a whole cell as a number; false when the cell is not a number.
bool parse_number(std::string_view s, double& v) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, v);
  return r.ec == std::errc() && r.ptr == end;
}

char sniff_delimiter(const std::string& path, std::string_view first) {
  if (detail::ends_with_ci(path, ".tsv")) return '\t';
  const auto commas = std::count(first.begin(), first.end(), ',');
  const auto tabs = std::count(first.begin(), first.end(), '\t');
  const auto semis = std::count(first.begin(), first.end(), ';');
  if (detail::ends_with_ci(path, ".csv")) return (commas == 0 && semis > 0) ? ';' : ',';
  if (commas >= tabs && commas >= semis && commas > 0) return ',';
  if (tabs >= semis && tabs > 0) return '\t';
  if (semis > 0) return ';';
  return kBlanks;
}

std::string delim_name(char d) {
  switch (d) {
    case ',': return "comma";
    case '\t': return "tab";
    case ';': return "semicolon";
    default: return "blanks";
  }
}

}  // namespace

Dataset read_csv(const std::string& path, const LoadOptions& opt) {
  const std::string text = read_file(path);
  Dataset d;
  d.source = path;

  std::vector<std::string_view> cells;
  std::vector<std::string> label_cells;
  char delim = 0;
  int64_t ncols = -1, label_col = -1, header_line = 0, first_line = 0, rows = 0;
  bool header_seen = false;

  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    if (delim == 0) {
      delim = sniff_delimiter(path, line);
      RDC_CHECK(line.find('\0') == std::string_view::npos, "'{}': line {} contains a NUL byte; not a text file", path,
                line_no);
    }
    split_cells(line, delim, cells);
    if (ncols < 0) {
      ncols = static_cast<int64_t>(cells.size());
      first_line = line_no;
      if (opt.csv_label_column != -1) {
        label_col = opt.csv_label_column < 0 ? ncols + opt.csv_label_column + 1 : opt.csv_label_column;  // -2 = last
        RDC_CHECK(label_col >= 0 && label_col < ncols,
                  "'{}': csv_label_column = {} is out of range for {} columns (line {}); allowed 0..{}, -1 (none) or "
                  "-2..-{} (-2 = last)",
                  path, opt.csv_label_column, ncols, line_no, ncols - 1, ncols + 1);
      }
      RDC_CHECK(ncols - (label_col >= 0 ? 1 : 0) >= 1, "'{}': line {} has no feature column", path, line_no);
      bool header = opt.csv_header;
      if (!header) {
        double v;
        for (int64_t c = 0; c < ncols; ++c)
          if (c != label_col && !parse_number(cells[c], v)) header = true;
      }
      if (header) {
        header_seen = true;
        header_line = line_no;
        continue;
      }
    }
    RDC_CHECK(static_cast<int64_t>(cells.size()) == ncols,
              "'{}': line {} has {} columns, expected {} (as on line {}; delimiter: {})", path, line_no, cells.size(),
              ncols, header_seen ? header_line : first_line, delim_name(delim));
    for (int64_t c = 0; c < ncols; ++c) {
      if (c == label_col) {
        label_cells.emplace_back(cells[c]);
        continue;
      }
      double v;
      RDC_CHECK(!cells[c].empty(), "'{}': line {}, column {}: empty cell (missing value)", path, line_no, c + 1);
      RDC_CHECK(parse_number(cells[c], v), "'{}': line {}, column {}: '{}' is not a number", path, line_no, c + 1,
                std::string(cells[c].substr(0, 40)));
      // Values beyond float32's range count as non-finite (and are not cast: that is undefined).
      RDC_CHECK(std::isfinite(v) && std::fabs(v) <= std::numeric_limits<float>::max(),
                "'{}': non-finite (or beyond float32) value '{}' in data row {} (line {}, column {}); rdc "
                "rejects NaN/Inf input",
                path, std::string(cells[c].substr(0, 40)), rows, line_no, c + 1);
      d.x.push_back(static_cast<float>(v));
    }
    ++rows;
  }
  RDC_CHECK(rows > 0, "'{}': no data rows{}", path, header_seen ? " (only a header line)" : "");
  const int64_t dim = ncols - (label_col >= 0 ? 1 : 0);
  d.shape = {rows, dim};

  if (label_col >= 0) {
    bool ids = true;
    std::vector<int64_t> labels(label_cells.size());
    for (size_t i = 0; i < label_cells.size() && ids; ++i) {
      const std::string& s = label_cells[i];
      int64_t v = -1;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      ids = !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size() && v >= 0;
      labels[i] = v;
    }
    if (!ids) {
      std::vector<std::string> names = label_cells;
      detail::sort_class_names(names);
      std::map<std::string, int64_t> id;
      for (size_t k = 0; k < names.size(); ++k) id[names[k]] = static_cast<int64_t>(k);
      for (size_t i = 0; i < label_cells.size(); ++i) labels[i] = id[label_cells[i]];
      d.class_names = std::move(names);
    }
    d.labels = std::move(labels);
  }
  return d;
}

}  // namespace rdc
