//! Reports of the committed fixtures: two experiments (`scale` on one
//! machine, `scale-pi` on a Raspberry Pi), one over network profiles
//! whose lines name their cells (`regions`), and one run's summary.json.

use e3_report::{Report, cells, csv_header, experiment_report, read_runs, run_report};

const SCALE: &str = include_str!("fixtures/scale/runs.jsonl");
const SCALE_TOML: &str = include_str!("fixtures/scale/experiment.toml");
const SCALE_ENV: &str = include_str!("fixtures/scale/environment.json");
const PI: &str = include_str!("fixtures/scale-pi/runs.jsonl");
/// parties [3, 6] × net ["lan", "e3-4regions"], n = 16 (labelled, with a
/// unit), 2 reps; the 3-party e3-4regions runs failed before they started
/// (no logs, no net_source).
const REGIONS: &str = include_str!("fixtures/regions/runs.jsonl");
const SUMMARY: &str = include_str!("fixtures/summary.json");

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
    let report =
        experiment_report("scale", Some(SCALE_TOML), Some(SCALE_ENV), SCALE, None).unwrap();
    assert_eq!(
        report.warnings,
        ["runs.jsonl line 18 is cut short (its writer stopped mid-line); skipped"]
    );
    insta::assert_snapshot!("scale_report_md", report.markdown);
    let names: Vec<&str> = report.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["time.svg", "bytes.svg", "runs.csv"]);
    assert_texts(
        file(&report, "time.svg"),
        &[
            "secretsanta: MPyC time",
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
            "secretsanta: bytes sent per party",
            "parties",
            "bytes sent per party",
            "args = 8",
            "args = 16",
        ],
    );
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
    let report = experiment_report(
        "scale",
        Some(SCALE_TOML),
        None,
        SCALE,
        Some(("scale-pi", PI)),
    )
    .unwrap();
    let md = &report.markdown;
    let section = md.split("## Compared with scale-pi").nth(1).unwrap();
    let table = section.split("\n\n").nth(2).unwrap();
    insta::assert_snapshot!("scale_vs_pi", table);

    // The ratio is of the medians, this / other.
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
    let ratio = format!("{:.2}", median(&a) / median(&b));
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split('|').map(str::trim).collect())
        .collect();
    let row = rows.iter().find(|r| r[1] == "6" && r[2] == "8").unwrap();
    assert_eq!(row[5], ratio);
    let only = |p: &str, a: &str| rows.iter().find(|r| r[1] == p && r[2] == a).unwrap()[5];
    assert_eq!(only("12", "16"), "only in scale");
    assert_eq!(only("24", "8"), "only in scale-pi");

    for svg in ["time.svg", "bytes.svg"] {
        assert_texts(
            file(&report, svg),
            &[
                "scale: args = 8",
                "scale: args = 16",
                "scale-pi: args = 8",
                "scale-pi: args = 16",
                "parties",
            ],
        );
    }
}

#[test]
fn an_experiment_without_runs_is_an_error() {
    let err = experiment_report("empty", None, None, "{\"run\"", None).unwrap_err();
    assert_eq!(err.to_string(), "empty: runs.jsonl holds no run");
}

#[test]
fn a_folder_without_experiment_toml_is_named_by_the_folder() {
    let report = experiment_report("scale", None, Some("not json"), SCALE, None).unwrap();
    assert!(report.markdown.starts_with("# Experiment scale\n"));
    assert!(
        report.warnings[1].starts_with("environment.json is not JSON"),
        "{:?}",
        report.warnings
    );
    assert_texts(file(&report, "time.svg"), &["scale: MPyC time"]);
}

#[test]
fn the_run_report() {
    let report = run_report(SUMMARY).unwrap();
    insta::assert_snapshot!("run_report_md", report.markdown);
    assert_texts(
        file(&report, "time.svg"),
        &[
            "MPyC time per party, run 20261123-200033-secretsanta",
            "party",
            "MPyC time (s)",
            "0",
            "5",
        ],
    );
    assert_texts(
        file(&report, "bytes.svg"),
        &[
            "bytes sent per party, run 20261123-200033-secretsanta",
            "bytes sent",
        ],
    );
    assert!(run_report("{}").is_err());
}

#[test]
fn odd_args_and_failed_cells_still_plot() {
    let ok = r#"{"run": 1, "rep": 1, "parties": 2, "args": ["a<b", "&"], "run_id": "r1", "status": "ok", "error": null, "started_at": "2026-11-24T07:15:00Z", "wall_secs": 1.0, "log_dir": "logs/r1", "party": [{"index": 0, "status": "ok", "mpyc_elapsed_secs": 0.5, "bytes_sent": 10, "wall_secs": 0.9, "connected_after_secs": 0.1}, {"index": 1, "status": "ok", "mpyc_elapsed_secs": 0.6, "bytes_sent": 30, "wall_secs": 0.9, "connected_after_secs": 0.1}]}"#;
    let failed = r#"{"run": 2, "rep": 1, "parties": 3, "args": [], "run_id": "r2", "status": "failed", "error": "timed out", "started_at": "2026-11-24T07:16:00Z", "wall_secs": 5.0, "log_dir": "logs/r2", "party": null}"#;
    let report = experiment_report("odd", None, None, &format!("{ok}\n{failed}\n"), None).unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_texts(
        file(&report, "time.svg"),
        &["args = a<b &", "odd: MPyC time"],
    );
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
    let report = experiment_report("odd", None, None, failed, None).unwrap();
    assert_texts(
        file(&report, "bytes.svg"),
        &["parties", "bytes sent per party"],
    );
}

#[test]
fn a_sweep_over_profiles_whose_small_cell_never_started() {
    let report = experiment_report("regions", None, None, REGIONS, None).unwrap();
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
    let report = experiment_report("regions", None, None, REGIONS, Some(("wan", &other))).unwrap();
    let md = &report.markdown;
    let section = md.split("## Compared with wan").nth(1).unwrap();
    let rows: Vec<Vec<&str>> = section
        .lines()
        .filter(|l| l.starts_with("| "))
        .map(|l| l.split('|').map(str::trim).collect())
        .collect();
    assert_eq!(
        rows[0][1..5],
        ["parties", "input size n (people)", "net", "start"]
    );
    let ratio = |p: &str, net: &str| {
        rows.iter()
            .find(|r| r[1] == p && r[3] == net)
            .unwrap_or_else(|| panic!("no {p} {net} in {rows:?}"))[7]
            .to_string()
    };
    assert_eq!(ratio("6", "e3-4regions"), "1.00");
    assert_eq!(ratio("6", "lan"), "only in regions");
    assert_eq!(ratio("6", "wan"), "only in wan");
    assert_eq!(rows.len(), 2 + 6);
    assert_texts(
        file(&report, "time.svg"),
        &[
            "regions: net = lan",
            "wan: net = wan",
            "wan: net = e3-4regions",
        ],
    );
}

#[test]
fn a_profile_no_run_started_under_says_so() {
    let never: String = REGIONS
        .lines()
        .filter(|l| l.contains("\"log_dir\":null"))
        .map(|l| format!("{l}\n"))
        .collect();
    let report = experiment_report("regions", None, None, &never, None).unwrap();
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
