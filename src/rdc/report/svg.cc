#include "rdc/report/svg.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "rdc/report/analysis.h"

namespace rdc {

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters other than tab/newline are not allowed in HTML text.
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t' && ch != '\r')
          out += "\xEF\xBF\xBD";  // U+FFFD
        else
          out += ch;
    }
  }
  return out;
}

std::string palette_color(int64_t i) {
  static const char* kBase[20] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                  "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
                                  "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"};
  if (i < 0) return "#999999";
  if (i < 20) return kBase[i];
  // HSL with golden-angle hue steps, three lightness levels.
  const double h = std::fmod(static_cast<double>(i - 20) * 137.50776405, 360.0) / 60.0;
  const double l = (i % 3 == 0) ? 0.42 : (i % 3 == 1) ? 0.58 : 0.34;
  const double s = 0.68;
  const double c = (1 - std::abs(2 * l - 1)) * s;
  const double x = c * (1 - std::abs(std::fmod(h, 2.0) - 1));
  double r = 0, g = 0, b = 0;
  switch (static_cast<int>(h)) {
    case 0: r = c; g = x; break;
    case 1: r = x; g = c; break;
    case 2: g = c; b = x; break;
    case 3: g = x; b = c; break;
    case 4: r = x; b = c; break;
    default: r = c; b = x; break;
  }
  const double m = l - c / 2;
  auto to8 = [&](double v) { return static_cast<int>(std::lround(std::clamp(v + m, 0.0, 1.0) * 255)); };
  return fmt::format("#{:02x}{:02x}{:02x}", to8(r), to8(g), to8(b));
}

std::string format_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return "0";
  std::string s = fmt::format("{:.4g}", v);
  return s;
}

namespace {

std::string fmt_coord(double v) { return fmt::format("{:.1f}", v); }

struct Frame {
  int width, height;
  double left = 62, right = 16, top = 30, bottom = 44;
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;  // data range
  double px(double x) const { return left + (x - x0) / (x1 - x0) * (width - left - right); }
  double py(double y) const { return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom); }
};

std::string svg_open(const ChartOptions& opt) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "role=\"img\" aria-label=\"{}\">\n<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n",
      opt.width, opt.height, opt.width, opt.height, html_escape(opt.title.empty() ? "chart" : opt.title),
      opt.width, opt.height);
}

std::string title_text(const ChartOptions& opt) {
  if (opt.title.empty()) return "";
  return fmt::format("<text x=\"{}\" y=\"18\" text-anchor=\"middle\" class=\"ct\">{}</text>\n", opt.width / 2,
                     html_escape(opt.title));
}

// Axes, grid lines, ticks and captions for a frame.
std::string axes(const Frame& f, const std::vector<double>& xt, const std::vector<double>& yt,
                 const ChartOptions& opt, bool x_ticks = true) {
  std::string s;
  const double xa = f.left, xb = f.width - f.right, ya = f.top, yb = f.height - f.bottom;
  for (double y : yt) {
    const double p = f.py(y);
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"grid\"/>\n", fmt_coord(xa),
                     fmt_coord(p), fmt_coord(xb), fmt_coord(p));
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"tick\">{}</text>\n", fmt_coord(xa - 5),
                     fmt_coord(p + 4), html_escape(format_number(y)));
  }
  if (x_ticks)
    for (double x : xt) {
      const double p = f.px(x);
      s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/>\n", fmt_coord(p),
                       fmt_coord(yb), fmt_coord(p), fmt_coord(yb + 4));
      s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"tick\">{}</text>\n", fmt_coord(p),
                       fmt_coord(yb + 16), html_escape(format_number(x)));
    }
  s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/>\n", fmt_coord(xa), fmt_coord(yb),
                   fmt_coord(xb), fmt_coord(yb));
  s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/>\n", fmt_coord(xa), fmt_coord(ya),
                   fmt_coord(xa), fmt_coord(yb));
  if (!opt.x_label.empty())
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"lab\">{}</text>\n",
                     fmt_coord((xa + xb) / 2), f.height - 6, html_escape(opt.x_label));
  if (!opt.y_label.empty())
    s += fmt::format(
        "<text x=\"14\" y=\"{}\" text-anchor=\"middle\" class=\"lab\" transform=\"rotate(-90 14 {})\">{}</text>\n",
        fmt_coord((ya + yb) / 2), fmt_coord((ya + yb) / 2), html_escape(opt.y_label));
  return s;
}

// Data range padded so that it is never empty; ticks cover it.
void fit_range(double& lo, double& hi, std::vector<double>& ticks, int target) {
  if (!(lo <= hi)) {
    lo = 0;
    hi = 1;
  }
  ticks = nice_ticks(lo, hi, target);
  if (!ticks.empty()) {
    lo = std::min(lo, ticks.front());
    hi = std::max(hi, ticks.back());
  }
  if (hi == lo) {
    lo -= 1;
    hi += 1;
  }
}

}  // namespace

std::string svg_line_chart(const std::vector<Series>& series, const ChartOptions& opt) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  bool integer_x = true;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]);
      y1 = std::max(y1, s.y[i]);
      if (s.x[i] != std::floor(s.x[i])) integer_x = false;
    }
  Frame f{opt.width, opt.height};
  std::vector<double> xt, yt;
  if (x0 == x1 && std::isfinite(x0)) {
    x0 -= 1;
    x1 += 1;
  }
  fit_range(x0, x1, xt, 6);
  fit_range(y0, y1, yt, 5);
  if (integer_x) {
    std::vector<double> keep;
    for (double t : xt)
      if (t == std::floor(t)) keep.push_back(t);
    xt = keep;
  }
  f.x0 = x0;
  f.x1 = x1;
  f.y0 = y0;
  f.y1 = y1;
  std::string s = svg_open(opt) + title_text(opt) + axes(f, xt, yt, opt);
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& se = series[k];
    const std::string color = palette_color(static_cast<int64_t>(k));
    std::string path;
    std::vector<std::pair<double, double>> dots;
    bool pen = false;
    size_t run = 0, finite = 0;
    const size_t n = std::min(se.x.size(), se.y.size());
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(se.x[i]) || !std::isfinite(se.y[i])) {
        if (pen && run == 1) dots.emplace_back(se.x[i - 1], se.y[i - 1]);
        pen = false;
        run = 0;
        continue;
      }
      ++finite;
      path += fmt::format("{}{} {} ", pen ? "L" : "M", fmt_coord(f.px(se.x[i])), fmt_coord(f.py(se.y[i])));
      pen = true;
      ++run;
    }
    if (pen && run == 1) dots.emplace_back(se.x[n - 1], se.y[n - 1]);
    if (!path.empty())
      s += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", path, color);
    if (finite <= 60) {  // few points: mark them all
      dots.clear();
      for (size_t i = 0; i < n; ++i)
        if (std::isfinite(se.x[i]) && std::isfinite(se.y[i])) dots.emplace_back(se.x[i], se.y[i]);
    }
    for (const auto& [x, y] : dots)
      s += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{}\"/>\n", fmt_coord(f.px(x)),
                       fmt_coord(f.py(y)), color);
  }
  if (series.size() > 1) {
    double ly = f.top + 6;
    for (size_t k = 0; k < series.size(); ++k) {
      const double lx = f.width - f.right - 150;
      s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"3\" fill=\"{}\"/>\n", fmt_coord(lx),
                       fmt_coord(ly + 4), palette_color(static_cast<int64_t>(k)));
      s += fmt::format("<text x=\"{}\" y=\"{}\" class=\"tick\">{}</text>\n", fmt_coord(lx + 16), fmt_coord(ly + 9),
                       html_escape(series[k].name));
      ly += 14;
    }
  }
  s += "</svg>\n";
  return s;
}

std::string svg_bar_chart(const std::vector<double>& values, const std::vector<std::string>& labels,
                          const std::vector<int64_t>& colors, const ChartOptions& opt) {
  double y1 = 0;
  for (double v : values)
    if (std::isfinite(v)) y1 = std::max(y1, v);
  Frame f{opt.width, opt.height};
  std::vector<double> yt;
  double y0 = 0;
  fit_range(y0, y1, yt, 5);
  f.x0 = 0;
  f.x1 = std::max<double>(1, static_cast<double>(values.size()));
  f.y0 = 0;
  f.y1 = y1;
  std::string s = svg_open(opt) + title_text(opt) + axes(f, {}, yt, opt, false);
  const double slot = (f.px(1) - f.px(0));
  const double gap = slot > 6 ? std::min(slot * 0.15, 4.0) : 0;
  const size_t every = values.size() <= 40 ? 1 : (values.size() + 19) / 20;
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = std::isfinite(values[i]) ? std::max(values[i], 0.0) : 0.0;
    const double bw = std::min(std::max(slot - gap, 0.5), 48.0);
    const double xa = f.px(static_cast<double>(i)) + (slot - bw) / 2;
    const double top = f.py(v);
    const std::string color = colors.empty() ? "#4c78a8" : palette_color(colors[i < colors.size() ? i : 0]);
    const std::string label = i < labels.size() ? labels[i] : std::to_string(i);
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>\n",
                     fmt_coord(xa), fmt_coord(top), fmt::format("{:.2f}", bw),
                     fmt_coord(f.py(0) - top), color, html_escape(label), html_escape(format_number(v)));
    if (i % every == 0)
      s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"tick\">{}</text>\n",
                       fmt_coord(xa + bw / 2), fmt_coord(f.py(0) + 14), html_escape(label));
  }
  s += "</svg>\n";
  return s;
}

std::string svg_scatter(const std::vector<double>& xy, const std::vector<int64_t>& group, const ChartOptions& opt) {
  const size_t n = xy.size() / 2;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(xy[2 * i]) || !std::isfinite(xy[2 * i + 1])) continue;
    x0 = std::min(x0, xy[2 * i]);
    x1 = std::max(x1, xy[2 * i]);
    y0 = std::min(y0, xy[2 * i + 1]);
    y1 = std::max(y1, xy[2 * i + 1]);
  }
  Frame f{opt.width, opt.height};
  std::vector<double> xt, yt;
  if (x0 <= x1) {  // keep points off the axes
    const double px = std::max(x1 - x0, 1e-9) * 0.04, py = std::max(y1 - y0, 1e-9) * 0.04;
    x0 -= px;
    x1 += px;
    y0 -= py;
    y1 += py;
  }
  fit_range(x0, x1, xt, 6);
  fit_range(y0, y1, yt, 5);
  f.x0 = x0;
  f.x1 = x1;
  f.y0 = y0;
  f.y1 = y1;
  std::string s = svg_open(opt) + title_text(opt) + axes(f, xt, yt, opt);
  std::map<int64_t, std::string> by_group;
  const double r = n > 2000 ? 1.6 : n > 500 ? 2.2 : 3.0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(xy[2 * i]) || !std::isfinite(xy[2 * i + 1])) continue;
    const int64_t g = i < group.size() ? group[i] : -1;
    by_group[g] += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\"/>", fmt_coord(f.px(xy[2 * i])),
                               fmt_coord(f.py(xy[2 * i + 1])), r);
  }
  for (const auto& [g, circles] : by_group)
    s += fmt::format("<g fill=\"{}\" fill-opacity=\"0.75\">{}</g>\n", palette_color(g), circles);
  s += "</svg>\n";
  return s;
}

std::string svg_heatmap(const std::vector<std::vector<int64_t>>& counts, const std::vector<std::string>& row_labels,
                        const std::vector<std::string>& col_labels, const ChartOptions& opt) {
  const size_t rows = counts.size();
  size_t cols = 0;
  for (const auto& r : counts) cols = std::max(cols, r.size());
  // Cell width and height: square up to 48 px, narrower/flatter for many columns/rows.
  double cw = std::clamp(1000.0 / static_cast<double>(std::max<size_t>(cols, 1)), 5.0, 48.0);
  double ch = std::clamp(560.0 / static_cast<double>(std::max<size_t>(rows, 1)), 5.0, 48.0);
  ch = std::min(ch, std::max(cw, 18.0));
  cw = std::min(cw, std::max(ch, 18.0));
  const double left = 110, top = 58;
  ChartOptions o = opt;
  o.width = std::max<int>({static_cast<int>(left + cw * static_cast<double>(cols) + 20), 300,
                           static_cast<int>(7 * opt.title.size() + 20), static_cast<int>(left + 7 * opt.x_label.size())});
  o.height = static_cast<int>(top + ch * static_cast<double>(rows) + 20);
  std::string s = svg_open(o) + title_text(o);
  if (!opt.x_label.empty())
    s += fmt::format("<text x=\"{}\" y=\"34\" text-anchor=\"middle\" class=\"lab\">{}</text>\n",
                     fmt_coord(left + cw * static_cast<double>(cols) / 2), html_escape(opt.x_label));
  if (!opt.y_label.empty())
    s += fmt::format("<text x=\"4\" y=\"{}\" class=\"lab\">{}</text>\n", fmt_coord(top - 6), html_escape(opt.y_label));
  const bool numbers = cw >= 28 && ch >= 16;
  const bool tooltips = rows * cols <= 4000;
  const size_t col_every = cw >= 16 ? 1 : static_cast<size_t>(std::ceil(16.0 / cw));
  for (size_t j = 0; j < cols; ++j)
    if (j % col_every == 0)
      s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"tick\">{}</text>\n",
                       fmt_coord(left + cw * (static_cast<double>(j) + 0.5)), fmt_coord(top - 6),
                       html_escape(j < col_labels.size() ? col_labels[j] : std::to_string(j)));
  const size_t row_every = ch >= 10 ? 1 : static_cast<size_t>(std::ceil(10.0 / ch));
  for (size_t i = 0; i < rows; ++i) {
    int64_t total = 0;  // shading relative to the row's largest cell
    for (auto c : counts[i]) total = std::max(total, c);
    std::string label = i < row_labels.size() ? row_labels[i] : std::to_string(i);
    if (label.size() > 16) label = label.substr(0, 15) + "~";
    if (i % row_every == 0)
      s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"tick\">{}</text>\n", fmt_coord(left - 6),
                       fmt_coord(top + ch * (static_cast<double>(i) + 0.5) + 4), html_escape(label));
    for (size_t j = 0; j < cols; ++j) {
      const int64_t c = j < counts[i].size() ? counts[i][j] : 0;
      const double frac = total > 0 ? static_cast<double>(c) / static_cast<double>(total) : 0.0;
      auto mix = [&](int to) { return static_cast<int>(std::lround(255 * (1 - frac) + to * frac)); };
      const double x = left + cw * static_cast<double>(j), y = top + ch * static_cast<double>(i);
      s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#{:02x}{:02x}{:02x}\" "
                       "stroke=\"#e6e6e6\" stroke-width=\"0.5\">",
                       fmt_coord(x), fmt_coord(y), fmt_coord(cw), fmt_coord(ch), mix(8), mix(81), mix(156));
      if (tooltips)
        s += fmt::format("<title>{} / {}: {}</title>", html_escape(label),
                         html_escape(j < col_labels.size() ? col_labels[j] : std::to_string(j)), c);
      s += "</rect>\n";
      if (numbers && c > 0)
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"cell\" fill=\"{}\">{}</text>\n",
                         fmt_coord(x + cw / 2), fmt_coord(y + ch / 2 + 4), frac > 0.5 ? "#ffffff" : "#222222", c);
    }
  }
  s += "</svg>\n";
  return s;
}

}  // namespace rdc
