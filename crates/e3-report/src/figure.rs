//! What an experiment's figures show: which key is on the x-axis and
//! which make the lines (chosen by a stated rule, or by `--x`/`--by`), the
//! figures drawn (MPyC time, run wall time, time to connect, bytes sent per
//! party), each point's median and interval, and the caption that says
//! all of it.

use serde_json::Value;

use crate::Error;
use crate::plot::{self, PlotLine, PlotPoint, PlotSpec, YUnit};
use crate::runs::Cell;
use crate::stats::{Band, CellStats, Stats, Values, key_columns, varying_keys};

/// What the user may choose about the figures (`cargo xtask report`'s flags).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FigureOptions {
    /// The key on the x-axis (`--x`).
    pub x: Option<String>,
    /// Keys that make the lines, first the one that picks colours (`--by`).
    pub by: Vec<String>,
    pub band: Band,
    pub log_x: bool,
    pub log_y: bool,
    pub size: Size,
}

/// A figure's size: a LaTeX column, or the page's width.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Size {
    /// 3.5 in wide: one column of a two-column paper.
    #[default]
    Single,
    /// 7 in wide: across both columns (`figure*`).
    Double,
}

impl Size {
    /// Width and height in points (1/72 in).
    pub fn points(self) -> (u32, u32) {
        match self {
            Size::Single => (252, 189),
            Size::Double => (504, 252),
        }
    }

    pub fn inches(self) -> (f64, f64) {
        let (w, h) = self.points();
        (f64::from(w) / 72.0, f64::from(h) / 72.0)
    }
}

/// The figures of an experiment report, by file stem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    MpycTime,
    WallTime,
    ConnectTime,
    Bytes,
}

impl Metric {
    pub const ALL: [Metric; 4] = [
        Metric::MpycTime,
        Metric::WallTime,
        Metric::ConnectTime,
        Metric::Bytes,
    ];

    /// The file's stem: `time` is `time.svg`, `time.pdf`, `time.png`.
    pub fn stem(self) -> &'static str {
        match self {
            Metric::MpycTime => "time",
            Metric::WallTime => "wall",
            Metric::ConnectTime => "connect",
            Metric::Bytes => "bytes",
        }
    }

    /// What it is, in a caption and on the y-axis.
    pub fn what(self) -> &'static str {
        match self {
            Metric::MpycTime => "MPyC time",
            Metric::WallTime => "run wall time",
            Metric::ConnectTime => "time to connect",
            Metric::Bytes => "bytes sent per party",
        }
    }

    /// How it is measured, for the caption.
    pub fn definition(self) -> &'static str {
        match self {
            Metric::MpycTime => {
                "a run's MPyC time is its slowest party's, from MPyC's own `Stop MPyC` line"
            }
            Metric::WallTime => "e3's, from the start of the run to its end",
            Metric::ConnectTime => {
                "from the start of the run until the last party said all parties were connected"
            }
            Metric::Bytes => {
                "the mean over a run's parties of the bytes each sent, from MPyC's `Stop MPyC` line"
            }
        }
    }

    fn seconds(self) -> bool {
        !matches!(self, Metric::Bytes)
    }

    pub fn stats(self, c: &CellStats) -> Option<Stats> {
        match self {
            Metric::MpycTime => c.mpyc_secs,
            Metric::WallTime => c.wall_secs,
            Metric::ConnectTime => c.connect_secs,
            Metric::Bytes => c.bytes_per_party,
        }
    }

    pub fn values(self, v: &Values) -> &[f64] {
        match self {
            Metric::MpycTime => &v.mpyc_secs,
            Metric::WallTime => &v.wall_secs,
            Metric::ConnectTime => &v.connect_secs,
            Metric::Bytes => &v.bytes_per_party,
        }
    }
}

/// Which key is on the x-axis and which make the lines, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub x: String,
    /// Its heading: the label and unit the file gave, else the key.
    pub x_label: String,
    /// Every cell's value of it is a number: a numeric axis (else one
    /// tick per value, in the cells' order).
    pub x_numeric: bool,
    /// The keys whose values make the lines, colours by the first.
    pub lines: Vec<String>,
    /// The rule, as the report states it.
    pub rule: String,
}

/// Chooses the axis: `--x` when given; else, of the keys whose values
/// differ between cells, the numeric one with the most values (the first
/// in the experiment's order on a tie, so `parties` before a named
/// argument); else the first that differs; else `parties`. Every other
/// key that differs makes lines, `--by`'s first.
pub fn layout(cells: &[CellStats], opts: &FigureOptions) -> Result<Layout, Error> {
    let all: Vec<&Cell> = cells.iter().map(|c| &c.cell).collect();
    let varying = varying_keys(&all);
    let columns = key_columns(cells);
    let known: Vec<&str> = columns.iter().map(|k| k.key.as_str()).collect();
    for key in opts.x.iter().chain(&opts.by) {
        if !known.contains(&key.as_str()) {
            return Err(Error::Option(format!(
                "`{key}` is not a key of this experiment's cells; the keys are {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let distinct = |key: &str| {
        let mut values: Vec<&Value> = Vec::new();
        for c in &all {
            if let Some(v) = c.get(key)
                && !values.contains(&v)
            {
                values.push(v);
            }
        }
        values.len()
    };
    let numeric = |key: &str| columns.iter().any(|k| k.key == key && k.numeric);
    let (x, why) = match &opts.x {
        Some(x) => (x.clone(), "as asked (--x)".to_string()),
        None => {
            let best = varying
                .iter()
                .filter(|k| numeric(k))
                .max_by(|a, b| {
                    distinct(a)
                        .cmp(&distinct(b))
                        .then(known_position(&known, b).cmp(&known_position(&known, a)))
                })
                .cloned();
            match (best, varying.first()) {
                (Some(k), _) => (
                    k,
                    "the swept key with numbers for values that has the most of them".to_string(),
                ),
                (None, Some(k)) => (k.clone(), "the first key swept".to_string()),
                (None, None) => ("parties".to_string(), "nothing was swept".to_string()),
            }
        }
    };
    if opts.by.contains(&x) {
        return Err(Error::Option(format!(
            "`{x}` cannot be both the x-axis and a line (--by)"
        )));
    }
    let mut lines: Vec<String> = opts.by.clone();
    for k in &varying {
        if *k != x && !lines.contains(k) {
            lines.push(k.clone());
        }
    }
    let heading = |key: &str| match key {
        "net" => "network profile".to_string(),
        "threshold" => "threshold t".to_string(),
        "placement" => "parties per region".to_string(),
        "start" => "start (warm or cold)".to_string(),
        _ => columns
            .iter()
            .find(|k| k.key == key)
            .map_or(key.to_string(), |k| k.heading.clone()),
    };
    let rule = {
        let lines_text = if lines.is_empty() {
            "one line".to_string()
        } else {
            format!(
                "one line per value of {}{}",
                lines.join(" × "),
                if opts.by.is_empty() { "" } else { " (--by)" }
            )
        };
        format!("x-axis: `{x}`, {why}; {lines_text}. Choose others with `--x KEY` and `--by KEY`.")
    };
    Ok(Layout {
        x_label: heading(&x),
        x_numeric: numeric(&x),
        x,
        lines,
        rule,
    })
}

fn known_position(known: &[&str], key: &str) -> usize {
    known.iter().position(|k| *k == key).unwrap_or(usize::MAX)
}

/// One side of a figure: an experiment's cells, with its label (the
/// other side of `--vs` draws dashed).
pub struct Side<'a> {
    pub label: Option<&'a str>,
    pub cells: &'a [CellStats],
}

/// A figure, as SVG, and its caption for `report.md`.
pub struct Figure {
    pub metric: Metric,
    pub svg: String,
    pub caption: String,
}

/// Draws `metric` for `sides` as `layout` says.
pub fn figure(
    metric: Metric,
    sides: &[Side<'_>],
    layout: &Layout,
    opts: &FigureOptions,
) -> Result<Figure, Error> {
    // The x values, in the order the cells have them.
    let mut x_values: Vec<Value> = Vec::new();
    for side in sides {
        for c in side.cells {
            if let Some(v) = c.cell.get(&layout.x)
                && !x_values.contains(v)
            {
                x_values.push(v.clone());
            }
        }
    }
    if layout.x_numeric {
        x_values.sort_by(|a, b| {
            a.as_f64()
                .unwrap_or(f64::NAN)
                .total_cmp(&b.as_f64().unwrap_or(f64::NAN))
        });
    }
    let x_of = |v: &Value| -> Option<f64> {
        if layout.x_numeric {
            v.as_f64()
        } else {
            x_values.iter().position(|x| x == v).map(|i| i as f64)
        }
    };
    // The lines: one per value of the line keys (per side).
    let mut series: Vec<Cell> = Vec::new();
    for side in sides {
        for c in side.cells {
            let s = line_key(&c.cell, &layout.lines);
            if !series.contains(&s) {
                series.push(s);
            }
        }
    }
    let mut lines = Vec::new();
    let (mut n_min, mut n_max, mut without_band, mut points_total) = (usize::MAX, 0, 0, 0);
    for (si, side) in sides.iter().enumerate() {
        for (i, s) in series.iter().enumerate() {
            let mut points: Vec<PlotPoint> = side
                .cells
                .iter()
                .filter(|c| line_key(&c.cell, &layout.lines) == *s)
                .filter_map(|c| {
                    let x = x_of(c.cell.get(&layout.x)?)?;
                    let stats = metric.stats(c)?;
                    let interval = opts.band.interval(metric.values(&c.values));
                    Some(PlotPoint {
                        x,
                        y: stats.median,
                        interval,
                        n: stats.n,
                    })
                })
                .collect();
            if points.is_empty() {
                continue;
            }
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            for p in &points {
                n_min = n_min.min(p.n);
                n_max = n_max.max(p.n);
                points_total += 1;
                if p.interval.is_none() {
                    without_band += 1;
                }
            }
            let mut label = if layout.lines.is_empty() {
                String::new()
            } else {
                s.0.iter()
                    .map(|(k, v)| format!("{k} = {}", shown(k, v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if let Some(side_label) = side.label {
                label = if label.is_empty() {
                    side_label.to_string()
                } else {
                    format!("{side_label}: {label}")
                };
            }
            lines.push(PlotLine {
                label,
                points,
                style: i,
                other_side: si > 0,
            });
        }
    }
    let x_ticks: Vec<(f64, String)> = x_values
        .iter()
        .filter_map(|v| x_of(v).map(|x| (x, shown(&layout.x, v))))
        .collect();
    let spec = PlotSpec {
        x_desc: layout.x_label.clone(),
        y_what: metric.what(),
        y_unit: if metric.seconds() {
            YUnit::Seconds
        } else {
            YUnit::Bytes
        },
        x_ticks,
        x_numeric: layout.x_numeric,
        log_x: opts.log_x && layout.x_numeric,
        log_y: opts.log_y,
        lines,
        size: opts.size,
    };
    let svg = plot::lines_plot(&spec)?;
    let n_text = match (points_total, n_min == n_max) {
        (0, _) => "no point has a figure".to_string(),
        (_, true) => format!("n = {n_min} ok runs per point"),
        (_, false) => format!("n = {n_min} to {n_max} ok runs per point (the table gives each)"),
    };
    let band_text = match opts.band {
        Band::None => "medians only".to_string(),
        band => format!("the band is {}", band.describe()),
    };
    let missing = if without_band > 0 && opts.band != Band::None {
        format!(
            "; {} with fewer than {} ok runs {} drawn as {} alone, without an interval",
            e3_plan::count(without_band, "point", "points"),
            opts.band.min_runs(),
            if without_band == 1 { "is" } else { "are" },
            if without_band == 1 {
                "its median"
            } else {
                "their medians"
            },
        )
    } else {
        String::new()
    };
    let logs = match (spec.log_x, spec.log_y) {
        (true, true) => "; both axes logarithmic",
        (true, false) => "; x-axis logarithmic",
        (false, true) => "; y-axis logarithmic",
        (false, false) => "",
    };
    let caption = format!(
        "{} against {}: the median of each cell's ok runs ({}); {band_text}; {n_text}{missing}{logs}.",
        capitalise(metric.what()),
        layout.x_label,
        metric.definition(),
    );
    Ok(Figure {
        metric,
        svg,
        caption,
    })
}

/// A value as a figure shows it: a network profile given as a path by its
/// file's stem (`far` for `profiles/far.toml`), else as tables show it.
fn shown(key: &str, value: &Value) -> String {
    let text = crate::runs::value_text(key, value);
    if key == "net" && (text.contains('/') || text.ends_with(".toml")) {
        let name = text.rsplit('/').next().unwrap_or(&text);
        return name.strip_suffix(".toml").unwrap_or(name).to_string();
    }
    text
}

/// A cell's values of the line keys: what one line of a figure joins.
fn line_key(cell: &Cell, keys: &[String]) -> Cell {
    Cell(
        keys.iter()
            .filter_map(|k| cell.get(k).map(|v| (k.clone(), v.clone())))
            .collect(),
    )
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A cell's median with its interval, for a table: `0.512 [0.498, 0.530]`
/// (the median alone when the cell has too few runs for one).
pub fn with_interval(
    stats: Option<Stats>,
    values: &[f64],
    band: Band,
    f: fn(f64) -> String,
) -> String {
    match (stats, band.interval(values)) {
        (None, _) => "—".to_string(),
        (Some(s), Some((lo, hi))) => format!("{} [{}, {}]", f(s.median), f(lo), f(hi)),
        (Some(s), None) => f(s.median),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_runs;
    use crate::stats::cells;

    /// Cells of `(key = value, ...)` lines, 5 ok runs each.
    fn cells_of(cells_json: &[&str]) -> Vec<CellStats> {
        let mut lines = String::new();
        let mut number = 0;
        for cell in cells_json {
            for rep in 1..=5 {
                number += 1;
                let t = 0.1 * f64::from(rep);
                lines.push_str(&format!(
                    r#"{{"run": {number}, "rep": {rep}, "parties": 3, "args": [], "cell": {cell}, "status": "ok", "started_at": "", "wall_secs": 1.0, "log_dir": "l", "party": [{{"index": 0, "status": "ok", "mpyc_elapsed_secs": {t}, "bytes_sent": 10, "connected_after_secs": 0.2}}]}}"#
                ));
                lines.push('\n');
            }
        }
        let (runs, warnings) = read_runs(&lines);
        assert!(warnings.is_empty(), "{warnings:?}");
        cells(&runs)
    }

    #[test]
    fn the_axis_is_what_was_swept() {
        // Parties swept: parties.
        let c = cells_of(&[
            r#"{"parties": 3, "start": "warm"}"#,
            r#"{"parties": 6, "start": "warm"}"#,
        ]);
        let l = layout(&c, &FigureOptions::default()).unwrap();
        assert_eq!((l.x.as_str(), l.lines.len()), ("parties", 0));
        // An argument swept at fixed parties: the argument, by its label.
        let c = cells_of(&[
            r#"{"parties": 6, "n": 8}"#,
            r#"{"parties": 6, "n": 16}"#,
            r#"{"parties": 6, "n": 32}"#,
        ]);
        let l = layout(&c, &FigureOptions::default()).unwrap();
        assert_eq!(l.x, "n");
        // Two keys: the one with more values on x, a line per the other.
        let c = cells_of(&[
            r#"{"parties": 3, "n": 8}"#,
            r#"{"parties": 3, "n": 16}"#,
            r#"{"parties": 3, "n": 32}"#,
            r#"{"parties": 6, "n": 8}"#,
            r#"{"parties": 6, "n": 16}"#,
            r#"{"parties": 6, "n": 32}"#,
        ]);
        let l = layout(&c, &FigureOptions::default()).unwrap();
        assert_eq!(
            (l.x.as_str(), l.lines.clone()),
            ("n", vec!["parties".to_string()])
        );
        assert!(
            l.rule.contains("x-axis: `n`, the swept key with numbers"),
            "{}",
            l.rule
        );
        // Overridden.
        let opts = FigureOptions {
            x: Some("parties".into()),
            ..FigureOptions::default()
        };
        let l = layout(&c, &opts).unwrap();
        assert_eq!(
            (l.x.as_str(), l.lines.clone()),
            ("parties", vec!["n".to_string()])
        );
        assert!(l.rule.contains("as asked (--x)"), "{}", l.rule);
        // Only a categorical key swept: it, one tick per value.
        let c = cells_of(&[
            r#"{"parties": 3, "net": "lan"}"#,
            r#"{"parties": 3, "net": "wan"}"#,
        ]);
        let l = layout(&c, &FigureOptions::default()).unwrap();
        assert_eq!((l.x.as_str(), l.x_numeric), ("net", false));
        // A key that is not there.
        let opts = FigureOptions {
            x: Some("m".into()),
            ..FigureOptions::default()
        };
        assert!(
            matches!(layout(&c, &opts), Err(Error::Option(m)) if m.contains("`m` is not a key"))
        );
    }

    #[test]
    fn captions_say_the_interval_and_n() {
        let c = cells_of(&[r#"{"parties": 3}"#, r#"{"parties": 6}"#]);
        let opts = FigureOptions::default();
        let l = layout(&c, &opts).unwrap();
        let f = figure(
            Metric::MpycTime,
            &[Side {
                label: None,
                cells: &c,
            }],
            &l,
            &opts,
        )
        .unwrap();
        assert_eq!(
            f.caption,
            "MPyC time against parties: the median of each cell's ok runs (a run's MPyC time is its slowest party's, from MPyC's own `Stop MPyC` line); the band is a 95 % bootstrap confidence interval of the median (percentile method, 2000 resamples, fixed seed); n = 5 ok runs per point."
        );
    }
}
