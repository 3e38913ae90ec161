#pragma once
// Inline SVG charts for the HTML report (no scripts, no external resources).
// Every function returns one complete <svg>...</svg> element; all text is escaped.
#include <cstdint>
#include <string>
#include <vector>

namespace rdc {

/// Escapes & < > " ' for HTML text and attribute values.
std::string html_escape(const std::string& s);

/// Colour "#rrggbb" of cluster/class i: a 20-colour qualitative palette, then hues spaced by
/// the golden angle with alternating lightness (negative ids are grey).
std::string palette_color(int64_t i);

/// Compact number for axis labels and tables (4 significant digits, no trailing zeros).
std::string format_number(double v);

struct ChartOptions {
  std::string title;    ///< drawn at the top (may be empty)
  std::string x_label;  ///< axis captions
  std::string y_label;
  int width = 640;      ///< pixels (the page scales it down on narrow screens)
  int height = 260;
};

/// One line of a line chart: points (x[i], y[i]); non-finite y values break the line.
struct Series {
  std::string name;
  std::vector<double> x, y;
};
/// Line chart; a legend appears when there are several series; isolated points are dots.
std::string svg_line_chart(const std::vector<Series>& series, const ChartOptions& opt);

/// Vertical bars, one per value, coloured by palette_color(colors[i]) (or a single colour when
/// `colors` is empty); labels under the bars when there are at most 40 (else every few).
std::string svg_bar_chart(const std::vector<double>& values, const std::vector<std::string>& labels,
                          const std::vector<int64_t>& colors, const ChartOptions& opt);

/// Scatter of points xy (n x 2, row-major) coloured by palette_color(group[i]).
std::string svg_scatter(const std::vector<double>& xy, const std::vector<int64_t>& group, const ChartOptions& opt);

/// Heat map of counts (rows x cols) shaded relative to each row's largest count; counts are written
/// in the cells when they are large enough; row/column captions from the label vectors.
std::string svg_heatmap(const std::vector<std::vector<int64_t>>& counts, const std::vector<std::string>& row_labels,
                        const std::vector<std::string>& col_labels, const ChartOptions& opt);

}  // namespace rdc
