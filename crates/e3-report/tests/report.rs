//! Reports of the committed fixtures: two experiments (`scale` on one
//! machine, `scale-pi` on a Raspberry Pi), one over network profiles
//! whose lines name their cells (`regions`), and one run's summary.json.

use e3_report::{
    Band, Experiment, FigureOptions, Report, cells, comparison_report, csv_header, read_runs,
    run_report,
};

/// The report of an experiment's files, with the default figures.
fn experiment_report(
    name: &str,
    toml: Option<&str>,
    env: Option<&str>,
    runs: &str,
) -> Result<Report, e3_report::Error> {
    report_with(name, toml, env, runs, &FigureOptions::default())
}

fn report_with(
    name: &str,
    toml: Option<&str>,
    env: Option<&str>,
    runs: &str,
    opts: &FigureOptions,
) -> Result<Report, e3_report::Error> {
    e3_report::experiment_report(
        &Experiment {
            name,
            experiment_toml: toml,
            environment_json: env,
            runs_jsonl: runs,
        },
        opts,
    )
}

fn exp<'a>(name: &'a str, runs: &'a str) -> Experiment<'a> {
    Experiment {
        name,
        experiment_toml: None,
        environment_json: None,
        runs_jsonl: runs,
    }
}

const SCALE: &str = include_str!("fixtures/scale/runs.jsonl");
const SCALE_TOML: &str = include_str!("fixtures/scale/experiment.toml");
const SCALE_ENV: &str = include_str!("fixtures/scale/environment.json");
const PI: &str = include_str!("fixtures/scale-pi/runs.jsonl");
/// parties [3, 6] × net ["lan", "e3-4regions"], n = 16 (labelled, with a
/// unit), 2 reps; the 3-party e3-4regions runs failed before they started
/// (no logs, no net_source).
const REGIONS: &str = include_str!("fixtures/regions/runs.jsonl");
const SUMMARY: &str = include_str!("fixtures/summary.json");
/// A real run of 6 parties under e3-4regions (from the `nets` fixture).
const SUMMARY_NET: &str = include_str!("fixtures/summary-net.json");

fn file<'a>(report: &'a Report, name: &str) -> &'a str {
    &report
        .files
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .1
}

/// The SVG parses as XML; its text nodes, in order.
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "text")
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

fn assert_texts(svg: &str, expected: &[&str]) {
    let texts = svg_texts(svg);
    for e in expected {
        assert!(texts.iter().any(|t| t == e), "no text {e:?} in {texts:?}");
    }
}

#[test]
fn the_experiment_report() {
    let report = experiment_report("scale", Some(SCALE_TOML), Some(SCALE_ENV), SCALE).unwrap();
    assert_eq!(
        report.warnings,
        ["runs.jsonl line 18 is cut short (its writer stopped mid-line); skipped"]
    );
    insta::assert_snapshot!("scale_report_md", report.markdown);
    let names: Vec<&str> = report.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "time.svg",
            "wall.svg",
            "connect.svg",
            "bytes.svg",
            "runs.csv"
        ]
    );
    // Two keys swept: parties (3 values) on x, a line per argument list.
    assert_texts(
        file(&report, "time.svg"),
        &[
            "parties",
            "MPyC time (s)",
            "args = 8",
            "args = 16",
            "3",
            "6",
            "12",
        ],
    );
    assert_texts(
        file(&report, "bytes.svg"),
        &[
            "parties",
            "bytes sent per party (kB)",
            "args = 8",
            "args = 16",
        ],
    );
    assert_texts(file(&report, "wall.svg"), &["run wall time (s)"]);
    assert_texts(file(&report, "connect.svg"), &["time to connect (s)"]);
    // Sized for a paper's column, in inches.
    assert!(file(&report, "time.svg").contains("width=\"3.5in\""));
}

#[test]
fn the_csv_has_a_line_per_run_and_party() {
    let (runs, warnings) = read_runs(SCALE);
    assert_eq!((runs.len(), warnings.len()), (17, 1));
    let csv = e3_report::csv(&runs);
    let lines: Vec<&str> = csv.lines().collect();
    // Its cells are parties and args, both fixed columns: no key columns.
    assert_eq!(lines[0], csv_header(&runs));
    assert!(lines[0].starts_with("run,rep,parties,args,run_id,"));
    let party_lines: usize = runs.iter().map(|r| r.party.len().max(1)).sum();
    assert_eq!(lines.len(), 1 + party_lines);
    assert_eq!(party_lines, 3 * 6 + 6 * 6 + 12 * 5);
    // Sorted by run; the failed run's figures are empty.
    assert!(lines[1].starts_with("1,1,3,8,20261124-"));
    let failed: Vec<&&str> = lines.iter().filter(|l| l.contains(",failed,")).collect();
    assert_eq!(failed.len(), 6);
    assert!(failed[0].contains(",stopped,,,"), "{}", failed[0]);
    let columns = lines[0].split(',').count();
    for line in &lines {
        assert_eq!(line.split(',').count(), columns, "{line}");
    }
}

#[test]
fn cells_count_reps_and_failures() {
    let (runs, _) = read_runs(SCALE);
    let cells = cells(&runs);
    let summary: Vec<(usize, String, usize, usize)> = cells
        .iter()
        .map(|c| (c.parties, c.args_label(), c.ok, c.runs))
        .collect();
    assert_eq!(
        summary,
        [
            (3, "8".into(), 3, 3),
            (3, "16".into(), 3, 3),
            (6, "8".into(), 2, 3),
            (6, "16".into(), 3, 3),
            (12, "8".into(), 3, 3),
            (12, "16".into(), 2, 2),
        ]
    );
    // A run's MPyC time is its slowest party's.
    let run = runs.iter().find(|r| r.run == 1).unwrap();
    let slowest = run
        .party
        .iter()
        .filter_map(|p| p.mpyc_elapsed_secs)
        .fold(0.0, f64::max);
    assert_eq!(run.mpyc_secs(), Some(slowest));
}

#[test]
fn versus_another_experiment() {
    let opts = FigureOptions::default();
    let report = comparison_report(
        (
            "laptop",
            &Experiment {
                experiment_toml: Some(SCALE_TOML),
                ..exp("scale", SCALE)
            },
        ),
        ("pi", &exp("scale-pi", PI)),
        &opts,
    )
    .unwrap();
    let md = &report.markdown;
    insta::assert_snapshot!("scale_vs_pi", md);
    // The ratio is of the medians, B / A.
    let (a, _) = read_runs(SCALE);
    let (b, _) = read_runs(PI);
    let median = |runs: &[e3_report::Run]| {
        cells(runs)
            .into_iter()
            .find(|c| c.parties == 6 && c.args == ["8"])
            .unwrap()
            .mpyc_secs
            .unwrap()
            .median
    };
    let ratio = format!("{:.2}", median(&b) / median(&a));
    let rows: Vec<Vec<&str>> = md
        .split("## B / A")
        .nth(1)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("| "))
        .map(|l| l.split('|').map(str::trim).collect())
        .collect();
    let row = rows.iter().find(|r| r[1] == "6" && r[2] == "8").unwrap();
    assert!(row[5].starts_with(&ratio), "{row:?} {ratio}");
    assert!(
        md.contains("- only in laptop: parties = 12, args = 16"),
        "{md}"
    );
    assert!(md.contains("- only in pi: parties = 24, args = 8"), "{md}");
    for svg in ["time.svg", "bytes.svg"] {
        assert_texts(
            file(&report, svg),
            &[
                "laptop: args = 8",
                "laptop: args = 16",
                "pi: args = 8",
                "pi: args = 16",
                "parties",
            ],
        );
    }
    // Nothing in common: an error, not an empty report.
    let other = REGIONS;
    let err = comparison_report(
        ("a", &exp("scale", SCALE)),
        ("b", &exp("regions", other)),
        &opts,
    )
    .unwrap_err();
    assert!(
        matches!(err, e3_report::Error::NothingInCommon { .. }),
        "{err}"
    );
    // What tells them apart: the keys one side has and the other never does.
    assert_eq!(
        err.to_string(),
        "scale and regions have no cell in common (every key of a cell must match): nothing to \
         compare; keys only scale has: `args`; keys only regions has: `n`, `net`, `start`"
    );
}

#[test]
fn an_experiment_without_runs_is_an_error() {
    let err = experiment_report("empty", None, None, "{\"run\"").unwrap_err();
    assert_eq!(err.to_string(), "empty: runs.jsonl holds no run");
}

#[test]
fn a_folder_without_experiment_toml_is_named_by_the_folder() {
    let report = experiment_report("scale", None, Some("not json"), SCALE).unwrap();
    assert!(report.markdown.starts_with("# Experiment scale\n"));
    assert!(
        report.warnings[1].starts_with("environment.json is not JSON"),
        "{:?}",
        report.warnings
    );
}

#[test]
fn the_run_report() {
    let report = run_report(SUMMARY).unwrap();
    insta::assert_snapshot!("run_report_md", report.markdown);
    assert_texts(
        file(&report, "time.svg"),
        &["party", "MPyC time (ms)", "0", "5"],
    );
    assert_texts(file(&report, "bytes.svg"), &["bytes sent (kB)"]);
    assert!(file(&report, "runs.csv").starts_with("run_id,party,host,region,status,"));
    assert_eq!(file(&report, "runs.csv").lines().count(), 1 + 6);
    assert!(run_report("{}").is_err());
    // Under a profile: the profile, and each party's region.
    let report = run_report(SUMMARY_NET).unwrap();
    let md = &report.markdown;
    assert!(md.contains("Under network profile `e3-4regions` ("), "{md}");
    assert!(
        md.contains("parties per region ams3=3, sfo3=1, nyc3=1, sgp1=1"),
        "{md}"
    );
    assert!(
        md.contains("| party | host            | region | status |"),
        "{md}"
    );
    assert!(
        md.contains("|     3 | 127.0.0.1:11602 | sfo3   | ok     |"),
        "{md}"
    );
    assert!(md.contains("- parties on local: Python "), "{md}");
}

#[test]
fn odd_args_and_failed_cells_still_plot() {
    let ok = r#"{"run": 1, "rep": 1, "parties": 2, "args": ["a<b", "&"], "run_id": "r1", "status": "ok", "error": null, "started_at": "2026-11-24T07:15:00Z", "wall_secs": 1.0, "log_dir": "logs/r1", "party": [{"index": 0, "status": "ok", "mpyc_elapsed_secs": 0.5, "bytes_sent": 10, "wall_secs": 0.9, "connected_after_secs": 0.1}, {"index": 1, "status": "ok", "mpyc_elapsed_secs": 0.6, "bytes_sent": 30, "wall_secs": 0.9, "connected_after_secs": 0.1}]}"#;
    let failed = r#"{"run": 2, "rep": 1, "parties": 3, "args": [], "run_id": "r2", "status": "failed", "error": "timed out", "started_at": "2026-11-24T07:16:00Z", "wall_secs": 5.0, "log_dir": "logs/r2", "party": null}"#;
    let report = experiment_report("odd", None, None, &format!("{ok}\n{failed}\n")).unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_texts(file(&report, "time.svg"), &["args = a<b &"]);
    assert!(report.markdown.contains(" 0/1 |"), "{}", report.markdown);
    assert!(
        report.markdown.contains(r"| a\<b & "),
        "{}",
        report.markdown
    );
    assert!(
        report
            .markdown
            .contains("- run 2 (parties = 3, no args): timed out — `logs/r2`")
    );
    // Only failed runs: no lines, still a plot.
    let report = experiment_report("odd", None, None, failed).unwrap();
    assert_texts(
        file(&report, "bytes.svg"),
        &["parties", "bytes sent per party (B)"],
    );
}

#[test]
fn a_sweep_over_profiles_whose_small_cell_never_started() {
    let report = experiment_report("regions", None, None, REGIONS).unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let md = &report.markdown;
    insta::assert_snapshot!("regions_report_md", md);
    // Every key counts: one cell per (parties, net), named by what varies.
    assert!(
        md.contains("6 of 8 runs ok, in 4 cells (parties × net),"),
        "{md}"
    );
    // The profile once, with the source its started runs give: the cell
    // whose runs never started does not split it.
    assert_eq!(md.matches("- `e3-4regions`").count(), 1, "{md}");
    assert!(!md.contains(": ?"), "{md}");
    // A column per key, the labelled one with its unit.
    assert!(
        md.contains("| parties | input size n (people) | net         | start | runs ok |"),
        "{md}"
    );
    assert!(md.contains("|       3 |                    16 | e3-4regions | warm  |     0/2 |"));
    // A run that never started has no logs, and says so.
    assert!(
        md.contains(
            "- run 2 (parties = 3, net = e3-4regions): could not start: the profile places 4 regions, \
             more than the 3 parties — (did not start)\n"
        ),
        "{md}"
    );
    assert!(!md.contains("``"), "{md}");
    // The legend names the lines by what tells them apart.
    for svg in ["time.svg", "bytes.svg"] {
        assert_texts(file(&report, svg), &["net = lan", "net = e3-4regions"]);
    }
    // The CSV: a column per key but parties and args, after rep.
    let csv = file(&report, "runs.csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("run,rep,n,net,start,parties,args,run_id,status,"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("1,1,16,lan,warm,3,16,20261201-"),
        "{}",
        lines[1]
    );
    let never = lines.iter().find(|l| l.starts_with("2,1,")).unwrap();
    assert!(
        never.starts_with("2,1,16,e3-4regions,warm,3,16,,failed,"),
        "{never}"
    );
}

#[test]
fn versus_matches_cells_by_every_key() {
    // The same runs, but the lan cells under another profile: those cells
    // are the other's only, though parties and n match.
    let other = REGIONS.replace("\"lan\"", "\"wan\"");
    let report = comparison_report(
        ("lan", &exp("regions", REGIONS)),
        ("wan", &exp("wan", &other)),
        &FigureOptions::default(),
    )
    .unwrap();
    let md = &report.markdown;
    let rows: Vec<Vec<&str>> = md
        .split("## B / A")
        .nth(1)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("| "))
        .map(|l| l.split('|').map(str::trim).collect())
        .collect();
    assert_eq!(
        rows[0][1..5],
        ["parties", "input size n (people)", "net", "start"]
    );
    // Only the cells both have: 6 parties under e3-4regions (the 3-party
    // one never ran, so it has no figures but is still common).
    let compared: Vec<(&str, &str)> = rows[2..].iter().map(|r| (r[1], r[3])).collect();
    assert_eq!(compared, [("3", "e3-4regions"), ("6", "e3-4regions")]);
    let six = rows
        .iter()
        .find(|r| r[1] == "6" && r[3] == "e3-4regions")
        .unwrap();
    assert_eq!(six[7], "1.00");
    assert!(
        md.contains(
            "- only in lan: parties = 3, input size n = 16 people, net = lan, start = warm"
        ) || md.contains("- only in lan: parties = 3"),
        "{md}"
    );
    assert_texts(
        file(&report, "time.svg"),
        &["lan: net = lan", "wan: net = wan", "wan: net = e3-4regions"],
    );
}

#[test]
fn a_profile_no_run_started_under_says_so() {
    let never: String = REGIONS
        .lines()
        .filter(|l| l.contains("\"log_dir\":null"))
        .map(|l| format!("{l}\n"))
        .collect();
    let report = experiment_report("regions", None, None, &never).unwrap();
    assert!(
        report.markdown.contains(
            "- `e3-4regions`: where its figures come from is not recorded (no run under it started)\n"
        ),
        "{}",
        report.markdown
    );
}

/// docs/experiments.md's example line reads as the page says.
#[test]
fn the_documented_line_reads() {
    let doc = include_str!("../../../docs/experiments.md");
    let line = doc
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .expect("an example line");
    let (runs, warnings) = read_runs(line);
    assert!(warnings.is_empty(), "{warnings:?}");
    let r = &runs[0];
    assert_eq!(
        r.cell.name(),
        "parties = 3, n = 16, net = e3-4regions, start = warm"
    );
    assert_eq!(r.labels["n"].heading("n"), "input size n (people)");
    assert_eq!((r.start.as_deref(), r.threshold), (Some("warm"), None));
    assert_eq!(
        r.net_source.as_deref(),
        Some("estimate: great-circle distance")
    );
    assert_eq!((r.run, r.rep, r.party.len()), (7, 2, 3));
    assert_eq!(r.mpyc_secs(), Some(1.915));
}

/// Real sweeps (secretsanta on this machine, 5 reps a cell): each figure's
/// x-axis is what was swept, its legend names lines by key and value, and
/// its caption says the interval and n.
mod sweeps {
    use super::*;

    const PARTIES: &str = include_str!("fixtures/parties/runs.jsonl");
    const SIZES: &str = include_str!("fixtures/sizes/runs.jsonl");
    const TWO_KEYS: &str = include_str!("fixtures/twokey/runs.jsonl");
    const NETS: &str = include_str!("fixtures/nets/runs.jsonl");

    fn figures(runs: &str, opts: &FigureOptions) -> Report {
        let report = report_with("sweep", None, None, runs, opts).unwrap();
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        report
    }

    /// The caption of figure `n` (from 1) in report.md.
    fn caption(report: &Report, n: usize) -> String {
        let at = format!("*Figure {n}.* ");
        let md = &report.markdown;
        let start = md
            .find(&at)
            .unwrap_or_else(|| panic!("no figure {n}: {md}"))
            + at.len();
        md[start..].lines().next().unwrap().to_string()
    }

    const CI: &str = "the band is a 95 % bootstrap confidence interval of the median (percentile method, 2000 resamples, fixed seed); n = 5 ok runs per point.";

    #[test]
    fn a_parties_sweep_is_against_parties_with_one_line() {
        let r = figures(PARTIES, &FigureOptions::default());
        assert!(r.markdown.contains("x-axis: `parties`, the swept key with numbers for values that has the most of them; one line."));
        let texts = svg_texts(file(&r, "time.svg"));
        for t in ["parties", "3", "4", "5", "6", "8"] {
            assert!(texts.iter().any(|x| x == t), "{t} in {texts:?}");
        }
        assert!(
            texts.iter().any(|x| x.starts_with("MPyC time (")),
            "{texts:?}"
        );
        // One line: no legend.
        assert!(!texts.iter().any(|x| x.contains(" = ")), "{texts:?}");
        assert!(caption(&r, 1).starts_with("MPyC time against parties: "));
        assert!(caption(&r, 1).contains(CI), "{}", caption(&r, 1));
    }

    #[test]
    fn an_argument_sweep_at_fixed_parties_is_against_the_argument_by_its_label() {
        let r = figures(SIZES, &FigureOptions::default());
        assert!(r.markdown.contains("x-axis: `n`, "), "{}", r.markdown);
        assert_texts(
            file(&r, "time.svg"),
            &["input size n (people)", "4", "8", "16"],
        );
        assert!(caption(&r, 1).starts_with("MPyC time against input size n (people): "));
        assert!(caption(&r, 1).contains(CI));
        // Bytes with their unit.
        let texts = svg_texts(file(&r, "bytes.svg"));
        assert!(
            texts.iter().any(|t| t == "bytes sent per party (kB)"),
            "{texts:?}"
        );
    }

    #[test]
    fn two_keys_one_on_x_a_line_per_value_of_the_others() {
        let r = figures(TWO_KEYS, &FigureOptions::default());
        assert!(r.markdown.contains("x-axis: `n`, the swept key with numbers for values that has the most of them; one line per value of parties × start."), "{}", r.markdown);
        assert_texts(
            file(&r, "time.svg"),
            &[
                "input size n (people)",
                "parties = 3, start = warm",
                "parties = 3, start = cold",
                "parties = 5, start = warm",
                "parties = 5, start = cold",
            ],
        );
        // Overridden: parties on x, a line per start and n, start's first.
        let opts = FigureOptions {
            x: Some("parties".into()),
            by: vec!["start".into()],
            ..FigureOptions::default()
        };
        let r = figures(TWO_KEYS, &opts);
        assert!(
            r.markdown.contains(
                "x-axis: `parties`, as asked (--x); one line per value of start × n (--by)."
            ),
            "{}",
            r.markdown
        );
        assert_texts(
            file(&r, "wall.svg"),
            &["parties", "start = warm, n = 4", "start = cold, n = 16"],
        );
        // A key that is not one.
        let opts = FigureOptions {
            x: Some("people".into()),
            ..FigureOptions::default()
        };
        let err = report_with("sweep", None, None, TWO_KEYS, &opts).unwrap_err();
        assert!(err.to_string().contains("`people` is not a key"), "{err}");
    }

    #[test]
    fn a_net_sweep_puts_the_profiles_on_x() {
        let r = figures(NETS, &FigureOptions::default());
        assert!(
            r.markdown
                .contains("x-axis: `net`, the first key swept; one line."),
            "{}",
            r.markdown
        );
        assert_texts(
            file(&r, "time.svg"),
            &["network profile", "lan", "e3-4regions", "MPyC time (s)"],
        );
        assert!(caption(&r, 1).starts_with("MPyC time against network profile: "));
    }

    #[test]
    fn other_bands_and_log_axes_are_said_in_the_caption() {
        let minmax = FigureOptions {
            band: Band::MinMax,
            log_y: true,
            ..FigureOptions::default()
        };
        let r = figures(PARTIES, &minmax);
        assert!(caption(&r, 1).contains("the band is the range from the least to the greatest run; n = 5 ok runs per point; y-axis logarithmic."), "{}", caption(&r, 1));
        let none = FigureOptions {
            band: Band::None,
            log_x: true,
            ..FigureOptions::default()
        };
        let r = figures(PARTIES, &none);
        assert!(
            caption(&r, 1).contains("; medians only; n = 5 ok runs per point; x-axis logarithmic."),
            "{}",
            caption(&r, 1)
        );
        // Few runs: points without an interval, and the caption says so.
        let first_two: String = PARTIES
            .lines()
            .filter(|l| l.contains("\"rep\":1,") || l.contains("\"rep\":2,"))
            .map(|l| format!("{l}\n"))
            .collect();
        let r = figures(&first_two, &FigureOptions::default());
        assert!(caption(&r, 1).contains("n = 2 ok runs per point; 5 points with fewer than 5 ok runs are drawn as their medians alone, without an interval."), "{}", caption(&r, 1));
    }

    #[test]
    fn a_double_column_figure_is_7_in_wide() {
        let opts = FigureOptions {
            size: e3_report::Size::Double,
            ..FigureOptions::default()
        };
        let r = figures(PARTIES, &opts);
        assert!(file(&r, "time.svg").contains("width=\"7in\""));
    }
}
