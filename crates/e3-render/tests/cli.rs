//! The `e3-render` binary: what it writes, what it says and its exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="336" height="192">
<rect width="336" height="192" fill="#FFFFFF"/>
<text x="20" y="100" font-family="sans-serif" font-size="14">MPyC time (s)</text>
</svg>"##;

/// A new, empty folder for one test.
fn folder(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("e3-render-cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn e3_render(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_e3-render"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// Exit 2 and one line on stderr, an `error:` that contains `what`.
fn assert_usage(out: &Output, what: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("e3-render: error: "), "{err}");
    assert!(err.contains(what), "{what:?} not in {err}");
}

#[test]
fn each_svg_gets_a_pdf_and_a_png_beside_it() {
    let dir = folder("ok");
    std::fs::create_dir(dir.join("figs")).unwrap();
    std::fs::write(dir.join("figs/time.svg"), SVG).unwrap();
    std::fs::write(dir.join("bytes.svg"), SVG).unwrap();
    let out = e3_render(&["--dpi", "96", "figs/time.svg", "bytes.svg"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    for stem in ["figs/time", "bytes"] {
        let pdf = std::fs::read(dir.join(format!("{stem}.pdf"))).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let png = std::fs::read(dir.join(format!("{stem}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    }
    // Nothing else: no partial files left.
    let mut names: Vec<String> = std::fs::read_dir(dir.join("figs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["time.pdf", "time.png", "time.svg"]);
}

#[test]
fn a_missing_file_is_a_usage_error_and_nothing_is_written() {
    let dir = folder("missing");
    std::fs::write(dir.join("time.svg"), SVG).unwrap();
    let out = e3_render(&["time.svg", "bytes.svg"], &dir);
    assert_usage(&out, "bytes.svg: no such file");
    assert!(!dir.join("time.pdf").exists());
}

#[test]
fn mistakes_in_the_command_are_usage_errors() {
    let dir = folder("usage");
    std::fs::write(dir.join("notes.txt"), "hello").unwrap();
    std::fs::create_dir(dir.join("plots.svg")).unwrap();
    assert_usage(
        &e3_render(&["notes.txt"], &dir),
        "notes.txt: not an .svg file",
    );
    assert_usage(&e3_render(&["plots.svg"], &dir), "plots.svg: not a file");
    assert_usage(&e3_render(&[], &dir), "FILE.svg");
    assert_usage(&e3_render(&["--dpi", "0", "x.svg"], &dir), "--dpi");
    assert_usage(&e3_render(&["--dpi", "lots", "x.svg"], &dir), "--dpi");
    assert_usage(&e3_render(&["--colour", "x.svg"], &dir), "--colour");
}

#[test]
fn a_file_that_does_not_render_fails_and_the_others_still_render() {
    let dir = folder("bad");
    std::fs::write(dir.join("broken.svg"), "<svg").unwrap();
    std::fs::write(dir.join("time.svg"), SVG).unwrap();
    let out = e3_render(&["broken.svg", "time.svg"], &dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("e3-render: error: broken.svg: not a readable SVG"),
        "{err}"
    );
    assert!(!dir.join("broken.pdf").exists());
    assert!(dir.join("time.pdf").exists() && dir.join("time.png").exists());
}

#[test]
fn help_goes_to_stdout() {
    let out = e3_render(&["--help"], Path::new("."));
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("--dpi"), "{help}");
}
