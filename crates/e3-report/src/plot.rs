//! SVG plots, drawn with plotters' SVG backend: text is SVG `<text>` (the
//! viewer's sans-serif), so no font files are read.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::Error;
use crate::stats::Stats;

const SIZE: (u32, u32) = (800, 500);

/// Distinct colours (Tableau 10), one per args value.
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

pub(crate) fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

/// One line of a plot: a median per x, with its min–max band.
pub(crate) struct Line {
    pub label: String,
    pub points: Vec<(f64, Stats)>,
    pub colour: usize,
    pub dashed: bool,
}

/// How the y axis's figures read.
#[derive(Clone, Copy)]
pub(crate) enum Unit {
    Seconds,
    Bytes,
}

impl Unit {
    fn tick(self, y: f64) -> String {
        match self {
            Unit::Seconds => {
                let s = format!("{y:.3}");
                let s = s.trim_end_matches('0').trim_end_matches('.');
                s.to_string()
            }
            Unit::Bytes => si(y),
        }
    }
}

/// 43219 → `43.2k`: short tick labels.
pub(crate) fn si(x: f64) -> String {
    let (v, suffix) = if x.abs() >= 1e9 {
        (x / 1e9, "G")
    } else if x.abs() >= 1e6 {
        (x / 1e6, "M")
    } else if x.abs() >= 1e3 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    let s = format!("{v:.1}");
    format!("{}{suffix}", s.trim_end_matches(".0"))
}

/// A linear axis whose ticks are exactly `keys` (the parties measured),
/// thinned when there are more than fit.
struct Ticks {
    range: Range<f64>,
    keys: Vec<f64>,
}

impl Ranged for Ticks {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        let f = (v - self.range.start) / span;
        limit.0 + (f * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let max = hint.max_num_points().max(1);
        let step = self.keys.len().div_ceil(max).max(1);
        self.keys.iter().copied().step_by(step).collect()
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Plot(e.to_string())
}

/// What both plots draw first: the title, the axes with their labels and
/// ticks, and light grid lines (across only, or both ways).
struct Frame<'t> {
    title: &'t str,
    x_desc: &'t str,
    y_desc: &'t str,
    unit: Unit,
    x_grid: bool,
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Ticks, RangedCoordf64>>;

impl Frame<'_> {
    fn draw<'a, 'b>(
        &self,
        root: &'a DrawingArea<SVGBackend<'b>, Shift>,
        x_range: Ticks,
        y_top: f64,
    ) -> Result<Chart<'a, 'b>, Error> {
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, ("sans-serif", 26))
            .margin(16)
            .x_label_area_size(56)
            .y_label_area_size(84)
            .build_cartesian_2d(x_range, 0.0..y_top)
            .map_err(plot_error)?;
        let unit = self.unit;
        let x_label = |x: &f64| format!("{x:.0}");
        let y_label = |y: &f64| unit.tick(*y);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(self.x_desc)
            .y_desc(self.y_desc)
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .axis_desc_style(("sans-serif", 19))
            .label_style(("sans-serif", 16));
        if !self.x_grid {
            mesh.disable_x_mesh();
        }
        mesh.light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.12))
            .draw()
            .map_err(plot_error)?;
        Ok(chart)
    }
}

/// Medians against parties, one line per entry of `lines`, each with a
/// translucent band from min to max.
pub(crate) fn lines_plot(
    title: &str,
    y_desc: &str,
    unit: Unit,
    lines: &[Line],
) -> Result<String, Error> {
    let mut xs: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|(x, _)| *x))
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let (lo, hi) = match (xs.first(), xs.last()) {
        (Some(lo), Some(hi)) => (*lo, *hi),
        _ => (0.0, 1.0),
    };
    let pad = ((hi - lo) * 0.05).max(0.5);
    let y_max = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|(_, s)| s.max))
        .fold(0.0, f64::max);
    // Room above the data for the legend.
    let y_top = if y_max > 0.0 { y_max * 1.3 } else { 1.0 };

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let x_range = Ticks {
            range: (lo - pad)..(hi + pad),
            keys: xs.clone(),
        };
        let frame = Frame {
            title,
            x_desc: "parties",
            y_desc,
            unit,
            x_grid: true,
        };
        let mut chart = frame.draw(&root, x_range, y_top)?;

        for line in lines {
            let c = colour(line.colour);
            let mut band: Vec<(f64, f64)> = line.points.iter().map(|(x, s)| (*x, s.max)).collect();
            band.extend(line.points.iter().rev().map(|(x, s)| (*x, s.min)));
            chart
                .draw_series(std::iter::once(Polygon::new(band, c.mix(0.15).filled())))
                .map_err(plot_error)?;
        }
        for line in lines {
            let c = colour(line.colour);
            let style = c.stroke_width(2);
            let points: Vec<(f64, f64)> = line.points.iter().map(|(x, s)| (*x, s.median)).collect();
            let drawn = if line.dashed {
                chart
                    .draw_series(DashedLineSeries::new(points.clone(), 8, 5, style))
                    .map_err(plot_error)?
            } else {
                chart
                    .draw_series(LineSeries::new(points.clone(), style))
                    .map_err(plot_error)?
            };
            let dashed = line.dashed;
            // The legend's sample: the line's dashes (or line) and marker.
            drawn.label(&line.label).legend(move |(x, y)| {
                let stroke = c.stroke_width(2);
                let (gap, fill) = if dashed { (4, WHITE) } else { (0, c) };
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (10 - gap, 0)], stroke)
                    + PathElement::new(vec![(10 + gap, 0), (20, 0)], stroke)
                    + Circle::new((10, 0), 4, fill.filled())
                    + Circle::new((10, 0), 4, stroke)
            });
            chart
                .draw_series(points.iter().map(|p| {
                    if dashed {
                        Circle::new(*p, 4, WHITE.filled()).into_dyn()
                    } else {
                        Circle::new(*p, 4, c.filled()).into_dyn()
                    }
                }))
                .map_err(plot_error)?;
            if dashed {
                chart
                    .draw_series(points.iter().map(|p| Circle::new(*p, 4, c.stroke_width(2))))
                    .map_err(plot_error)?;
            }
        }
        if !lines.is_empty() {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .label_font(("sans-serif", 17))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .draw()
                .map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// One bar per party (index, figure); a party without a figure gets none.
pub(crate) fn bars_plot(
    title: &str,
    y_desc: &str,
    unit: Unit,
    bars: &[(usize, Option<f64>)],
    colour_index: usize,
) -> Result<String, Error> {
    let n = bars.iter().map(|(i, _)| i + 1).max().unwrap_or(1);
    let y_max = bars.iter().filter_map(|(_, v)| *v).fold(0.0, f64::max);
    let y_top = if y_max > 0.0 { y_max * 1.15 } else { 1.0 };
    let c = colour(colour_index);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let keys: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let x_range = Ticks {
            range: -0.6..(n as f64 - 0.4),
            keys,
        };
        let frame = Frame {
            title,
            x_desc: "party",
            y_desc,
            unit,
            x_grid: false,
        };
        let mut chart = frame.draw(&root, x_range, y_top)?;
        chart
            .draw_series(bars.iter().filter_map(|(i, v)| {
                let x = *i as f64;
                v.map(|v| Rectangle::new([(x - 0.35, 0.0), (x + 0.35, v)], c.filled()))
            }))
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}
