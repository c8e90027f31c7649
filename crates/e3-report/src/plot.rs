//! Figures drawn with plotters' SVG backend, sized for a paper: 72 units
//! to the inch (a single LaTeX column is 3.5 in, 252 units; text 7–9
//! units, so 7–9 pt in print), the SVG's own size in inches so that a
//! viewer, a PDF and a PNG all know how big it is. Text is SVG `<text>`
//! in sans-serif: e3-render draws it with the font e3 ships.
//!
//! Lines differ by colour (Okabe and Ito's palette, which people with a
//! colour vision deficiency tell apart), by marker shape and by dash, so
//! they stay apart in black and white.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;

use crate::Error;
use crate::figure::Size;

/// Okabe & Ito (2008): eight colours told apart with any colour vision.
const COLOURS: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

pub(crate) fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

/// The marker shapes, in order of use.
#[derive(Clone, Copy)]
enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
    TriangleDown,
    Cross,
}

const SHAPES: [Shape; 6] = [
    Shape::Circle,
    Shape::Square,
    Shape::Triangle,
    Shape::Diamond,
    Shape::TriangleDown,
    Shape::Cross,
];

/// Dash patterns (dash, gap), `None` solid: the line's third mark.
const DASHES: [Option<(u32, u32)>; 4] = [None, Some((5, 2)), Some((1, 2)), Some((8, 2))];

/// Text sizes as plotters takes them (it draws them at about 0.8 of this,
/// so 7.3 to 8.5 pt in print).
const TICK_FONT: f64 = 9.5;
const AXIS_FONT: f64 = 10.5;
const LEGEND_FONT: f64 = 9.0;
const MARKER: i32 = 2;

/// One point: a median, its interval (none when the cell has too few runs
/// for one), and how many runs it is of.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PlotPoint {
    pub x: f64,
    pub y: f64,
    pub interval: Option<(f64, f64)>,
    pub n: usize,
}

/// One line: its legend entry, points, style (colour, marker and dash by
/// index) and whether it is the other side of a comparison (hollow markers).
pub(crate) struct PlotLine {
    pub label: String,
    pub points: Vec<PlotPoint>,
    pub style: usize,
    pub other_side: bool,
}

/// The y figures' kind: the unit is chosen from their size.
#[derive(Clone, Copy, Debug)]
pub(crate) enum YUnit {
    Seconds,
    Bytes,
}

impl YUnit {
    /// The unit for figures up to `max`, and its factor: `ms` under a
    /// second, `kB`, `MB`, `GB` (decimal) for bytes.
    fn scale(self, max: f64) -> (&'static str, f64) {
        match self {
            YUnit::Seconds if max < 1.0 => ("ms", 1e3),
            YUnit::Seconds => ("s", 1.0),
            YUnit::Bytes if max >= 1e9 => ("GB", 1e-9),
            YUnit::Bytes if max >= 1e6 => ("MB", 1e-6),
            YUnit::Bytes if max >= 1e3 => ("kB", 1e-3),
            YUnit::Bytes => ("B", 1.0),
        }
    }
}

/// A figure of lines.
pub(crate) struct PlotSpec {
    pub x_desc: String,
    pub y_what: &'static str,
    pub y_unit: YUnit,
    /// Every x value with its tick label.
    pub x_ticks: Vec<(f64, String)>,
    pub x_numeric: bool,
    pub log_x: bool,
    pub log_y: bool,
    pub lines: Vec<PlotLine>,
    pub size: Size,
}

/// An axis from `lo` to `hi`, linear or logarithmic, with its own ticks
/// (`fixed`: exactly these values, thinned when they do not fit).
struct Axis {
    range: Range<f64>,
    log: bool,
    fixed: Option<Vec<f64>>,
}

impl Axis {
    fn t(&self, v: f64) -> f64 {
        if self.log {
            v.max(f64::MIN_POSITIVE).log10()
        } else {
            v
        }
    }
}

impl Ranged for Axis {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let (lo, hi) = (self.t(self.range.start), self.t(self.range.end));
        let f = (self.t(*v) - lo) / (hi - lo);
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let max = hint.max_num_points().max(2);
        if let Some(keys) = &self.fixed {
            let step = keys.len().div_ceil(max).max(1);
            return keys.iter().copied().step_by(step).collect();
        }
        if self.log {
            return log_ticks(self.range.start, self.range.end, max);
        }
        nice_ticks(self.range.start, self.range.end, max)
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// Ticks at 1, 2 or 5 × 10^k, at most `max` of them.
fn nice_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let raw = span / max as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= max as f64)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// Ticks at 1, 2, 5 × 10^k (or decades only, when those are too many).
fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    for mults in [&[1.0, 2.0, 5.0][..], &[1.0][..]] {
        let ticks: Vec<f64> = (a..=b)
            .flat_map(|e| mults.iter().map(move |m| m * 10f64.powi(e)))
            .filter(|v| *v >= lo * 0.999 && *v <= hi * 1.001)
            .collect();
        if ticks.len() <= max || mults.len() == 1 {
            return ticks;
        }
    }
    Vec::new()
}

/// A number as a tick label: no trailing zeros, at most 3 decimals.
fn tick_text(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Plot(e.to_string())
}

/// The SVG with its size in inches (and its drawing in points).
fn physical(svg: String, size: (u32, u32)) -> String {
    let (w, h) = size;
    let from = format!("width=\"{w}\" height=\"{h}\"");
    let to = format!(
        "width=\"{}in\" height=\"{}in\"",
        tick_text(f64::from(w) / 72.0),
        tick_text(f64::from(h) / 72.0)
    );
    if svg.contains("viewBox") {
        svg.replacen(&from, &to, 1)
    } else {
        svg.replacen(&from, &format!("{to} viewBox=\"0 0 {w} {h}\""), 1)
    }
}

/// A marker's outline around pixel (0, 0): every shape a polygon, so that
/// every marker is one type of element (a circle is a 12-gon).
fn outline(shape: Shape) -> Vec<(i32, i32)> {
    let r = MARKER;
    match shape {
        Shape::Circle => (0..12)
            .map(|k| {
                let a = f64::from(k) * std::f64::consts::PI / 6.0;
                (
                    (f64::from(r) * a.cos()).round() as i32,
                    (f64::from(r) * a.sin()).round() as i32,
                )
            })
            .collect(),
        Shape::Square => vec![(-r, -r), (r, -r), (r, r), (-r, r)],
        Shape::Triangle => vec![(0, -r - 1), (r + 1, r), (-r - 1, r)],
        Shape::TriangleDown => vec![(0, r + 1), (r + 1, -r), (-r - 1, -r)],
        Shape::Diamond => vec![(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)],
        Shape::Cross => {
            let (w, r) = (1, r + 1);
            vec![
                (-w, -r),
                (w, -r),
                (w, -w),
                (r, -w),
                (r, w),
                (w, w),
                (w, r),
                (-w, r),
                (-w, w),
                (-r, w),
                (-r, -w),
                (-w, -w),
            ]
        }
    }
}

/// Medians against x, a line per entry, each with its interval as a
/// translucent band (and whiskers where a point stands alone).
pub(crate) fn lines_plot(spec: &PlotSpec) -> Result<String, Error> {
    let xs: Vec<f64> = spec.x_ticks.iter().map(|(x, _)| *x).collect();
    let (lo, hi) = match (
        xs.iter().copied().reduce(f64::min),
        xs.iter().copied().reduce(f64::max),
    ) {
        (Some(lo), Some(hi)) => (lo, hi),
        _ => (0.0, 1.0),
    };
    let x_range = if spec.log_x && lo > 0.0 {
        (lo / 1.25)..(hi * 1.25)
    } else {
        let pad = ((hi - lo) * 0.06).max(0.5);
        (lo - pad)..(hi + pad)
    };
    let ys = spec.lines.iter().flat_map(|l| {
        l.points
            .iter()
            .flat_map(|p| [Some(p.y), p.interval.map(|i| i.0), p.interval.map(|i| i.1)])
            .flatten()
    });
    let (y_min, y_max) = ys.fold((f64::INFINITY, 0.0f64), |(a, b), y| (a.min(y), b.max(y)));
    let (unit, factor) = spec.y_unit.scale(y_max);
    let y_desc = format!("{} ({unit})", spec.y_what);
    // Room above the data for the legend: a third more on a linear axis,
    // a decade and a half on a logarithmic one.
    let legend_rows = spec.lines.iter().filter(|l| !l.label.is_empty()).count();
    let room = 1.0 + 0.12 * legend_rows.min(6) as f64;
    let y_range = if spec.log_y && y_min.is_finite() && y_min > 0.0 {
        let lo = y_min * factor / 1.5;
        let hi = y_max * factor * 10f64.powf(0.45 * legend_rows.min(6) as f64).max(1.5);
        lo..hi
    } else {
        0.0..if y_max > 0.0 {
            y_max * factor * room.max(1.08)
        } else {
            1.0
        }
    };
    let x_labels: Vec<(f64, String)> = spec.x_ticks.clone();
    let size = spec.size.points();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let x_axis = Axis {
            range: x_range,
            log: spec.log_x && lo > 0.0,
            fixed: (!spec.x_numeric || !spec.log_x).then(|| xs.clone()),
        };
        let y_axis = Axis {
            range: y_range,
            log: spec.log_y && y_min.is_finite() && y_min > 0.0,
            fixed: None,
        };
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .margin_right(10)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(x_axis, y_axis)
            .map_err(plot_error)?;
        let x_label = |x: &f64| {
            x_labels
                .iter()
                .find(|(v, _)| (v - x).abs() < 1e-9)
                .map_or_else(|| tick_text(*x), |(_, t)| t.clone())
        };
        let y_label = |y: &f64| tick_text(*y);
        chart
            .configure_mesh()
            .x_desc(spec.x_desc.as_str())
            .y_desc(y_desc.as_str())
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .axis_desc_style(("sans-serif", AXIS_FONT))
            .label_style(("sans-serif", TICK_FONT))
            .x_labels(12)
            .y_labels(6)
            .disable_x_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.1))
            .draw()
            .map_err(plot_error)?;

        let y = |v: f64| v * factor;
        // Bands first, under every line.
        for line in &spec.lines {
            let c = colour(line.style);
            let banded: Vec<&PlotPoint> = line
                .points
                .iter()
                .filter(|p| p.interval.is_some())
                .collect();
            // Between categories nothing lies: whiskers only, no band.
            let banded = if spec.x_numeric { banded } else { Vec::new() };
            if banded.len() >= 2 {
                let mut band: Vec<(f64, f64)> = banded
                    .iter()
                    .map(|p| (p.x, y(p.interval.unwrap_or_default().1)))
                    .collect();
                band.extend(
                    banded
                        .iter()
                        .rev()
                        .map(|p| (p.x, y(p.interval.unwrap_or_default().0))),
                );
                chart
                    .draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled())))
                    .map_err(plot_error)?;
            }
            // An interval with no neighbour to make a band with: a whisker
            // with caps.
            for p in &line.points {
                if let Some((a, b)) = p.interval
                    && banded.len() < 2
                {
                    chart
                        .draw_series([PathElement::new(
                            vec![(p.x, y(a)), (p.x, y(b))],
                            c.stroke_width(1),
                        )])
                        .map_err(plot_error)?;
                    for end in [a, b] {
                        chart
                            .draw_series(std::iter::once(
                                EmptyElement::at((p.x, y(end)))
                                    + PathElement::new(vec![(-3, 0), (3, 0)], c.stroke_width(1)),
                            ))
                            .map_err(plot_error)?;
                    }
                }
            }
        }
        for line in &spec.lines {
            let c = colour(line.style);
            let shape = SHAPES[line.style % SHAPES.len()];
            // The other side of a comparison: dashed, hollow markers.
            let dash = if line.other_side {
                Some((4, 3))
            } else {
                DASHES[(line.style / COLOURS.len() + line.style) % DASHES.len()]
            };
            let style = c.stroke_width(1);
            let points: Vec<(f64, f64)> = line.points.iter().map(|p| (p.x, y(p.y))).collect();
            // Categories are not joined: markers only (and the legend's line).
            let joined: Vec<(f64, f64)> = if spec.x_numeric {
                points.clone()
            } else {
                Vec::new()
            };
            let drawn = match dash {
                None => chart
                    .draw_series(LineSeries::new(joined.clone(), style))
                    .map_err(plot_error)?,
                Some((d, g)) => chart
                    .draw_series(DashedLineSeries::new(joined.clone(), d, g, style))
                    .map_err(plot_error)?,
            };
            let hollow = line.other_side;
            if !line.label.is_empty() {
                // The legend's sample: the line (broken when dashed) and
                // its marker.
                let gap = if dash.is_some() { 3 } else { 0 };
                drawn.label(line.label.as_str()).legend(move |(x, y)| {
                    let pts = outline(shape);
                    let fill: ShapeStyle = if hollow { WHITE.filled() } else { c.filled() };
                    let mut closed = pts.clone();
                    closed.push(pts[0]);
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (5 - gap, 0)], style)
                        + PathElement::new(vec![(11 + gap, 0), (16, 0)], style)
                        + Polygon::new(
                            pts.iter().map(|(a, b)| (a + 8, *b)).collect::<Vec<_>>(),
                            fill,
                        )
                        + PathElement::new(
                            closed.iter().map(|(a, b)| (a + 8, *b)).collect::<Vec<_>>(),
                            c.stroke_width(1),
                        )
                });
            }
            for p in &points {
                let pts = outline(shape);
                let fill: ShapeStyle = if hollow { WHITE.filled() } else { c.filled() };
                let mut closed = pts.clone();
                closed.push(pts[0]);
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at(*p)
                            + Polygon::new(pts, fill)
                            + PathElement::new(closed, c.stroke_width(1)),
                    ))
                    .map_err(plot_error)?;
            }
        }
        if spec.lines.iter().any(|l| !l.label.is_empty()) {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .margin(4)
                .legend_area_size(18)
                .label_font(("sans-serif", LEGEND_FONT))
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK.mix(0.3))
                .draw()
                .map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(physical(svg, size))
}

/// One bar per party (index, figure); a party without a figure gets none.
pub(crate) fn bars_plot(
    y_what: &'static str,
    y_unit: YUnit,
    bars: &[(usize, Option<f64>)],
    colour_index: usize,
) -> Result<String, Error> {
    let n = bars.iter().map(|(i, _)| i + 1).max().unwrap_or(1);
    let y_max = bars.iter().filter_map(|(_, v)| *v).fold(0.0, f64::max);
    let (unit, factor) = y_unit.scale(y_max);
    let y_top = if y_max > 0.0 {
        y_max * factor * 1.15
    } else {
        1.0
    };
    let c = colour(colour_index);
    let size = Size::Single.points();
    let mut svg = String::new();
    {
        let root: DrawingArea<SVGBackend<'_>, Shift> =
            SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let keys: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let x_axis = Axis {
            range: -0.6..(n as f64 - 0.4),
            log: false,
            fixed: Some(keys),
        };
        let y_axis = Axis {
            range: 0.0..y_top,
            log: false,
            fixed: None,
        };
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .margin_right(10)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(x_axis, y_axis)
            .map_err(plot_error)?;
        let y_desc = format!("{y_what} ({unit})");
        let x_label = |x: &f64| format!("{x:.0}");
        let y_label = |y: &f64| tick_text(*y);
        chart
            .configure_mesh()
            .x_desc("party")
            .y_desc(y_desc.as_str())
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .axis_desc_style(("sans-serif", AXIS_FONT))
            .label_style(("sans-serif", TICK_FONT))
            .disable_x_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.1))
            .draw()
            .map_err(plot_error)?;
        chart
            .draw_series(bars.iter().filter_map(|(i, v)| {
                let x = *i as f64;
                v.map(|v| Rectangle::new([(x - 0.35, 0.0), (x + 0.35, v * factor)], c.filled()))
            }))
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(physical(svg, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks() {
        assert_eq!(nice_ticks(0.0, 10.0, 6), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(
            nice_ticks(0.0, 0.9, 5),
            [0.0, 0.2, 0.4, 0.6000000000000001, 0.8]
        );
        assert_eq!(log_ticks(0.3, 30.0, 10), [0.5, 1.0, 2.0, 5.0, 10.0, 20.0]);
        assert_eq!(log_ticks(0.01, 1000.0, 4).len(), 6, "decades only");
        assert_eq!(tick_text(0.6000000000000001), "0.6");
        assert_eq!(tick_text(2.0), "2");
    }

    #[test]
    fn units_follow_the_figures() {
        assert_eq!(YUnit::Seconds.scale(0.5), ("ms", 1e3));
        assert_eq!(YUnit::Seconds.scale(2.0), ("s", 1.0));
        assert_eq!(YUnit::Bytes.scale(70_000.0), ("kB", 1e-3));
        assert_eq!(YUnit::Bytes.scale(500.0), ("B", 1.0));
    }
}
