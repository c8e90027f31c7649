//! `e3-render`: each FILE.svg as FILE.pdf and FILE.png beside it.
//!
//! Exit 0 when every file was rendered; 2 for a mistake in the command
//! (an unknown option, a bad --dpi, a file that is not there or not an
//! .svg), before anything is written; 1 when a file could not be rendered
//! (the others still are).

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{ColorChoice, Parser};

/// Renders e3's SVG figures as PDF and PNG, each beside its SVG.
///
/// plot.svg gives plot.pdf (text kept as text, in DejaVu Sans embedded as a
/// subset) and plot.png. 96 SVG pixels make an inch: an SVG 336 pixels wide
/// is a 3.5 in figure, one LaTeX column.
#[derive(Parser, Debug)]
#[command(name = "e3-render", color = ColorChoice::Never)]
struct Args {
    /// The PNG's resolution in dots per inch (a 3.5 in figure is 1050 px wide at 300)
    #[arg(long, value_name = "N", default_value_t = e3_render::DEFAULT_DPI, value_parser = dpi)]
    dpi: f32,

    /// The SVG files
    #[arg(value_name = "FILE.svg", required = true)]
    files: Vec<PathBuf>,
}

fn dpi(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(n) if n.is_finite() && (1.0..=4800.0).contains(&n) => Ok(n),
        _ => Err("not a number of dots per inch from 1 to 4800".to_string()),
    }
}

fn main() -> ExitCode {
    // A renderer's panic is reported as that file's failure, in one line.
    std::panic::set_hook(Box::new(|_| {}));
    let (code, lines) = run(std::env::args_os());
    // A closed stderr or stdout is no reason to panic.
    for (to_stdout, line) in lines {
        let _ = if to_stdout {
            write!(std::io::stdout(), "{line}")
        } else {
            writeln!(std::io::stderr(), "e3-render: {line}")
        };
    }
    ExitCode::from(code)
}

/// The exit code and what to say: (on stdout, text) pairs.
fn run(argv: impl IntoIterator<Item = OsString>) -> (u8, Vec<(bool, String)>) {
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            let mut help = err.to_string();
            if !help.ends_with('\n') {
                help.push('\n');
            }
            return (0, vec![(true, help)]);
        }
        Err(err) => return (2, vec![(false, format!("error: {}", clap_line(&err)))]),
    };
    // Every mistake in the command before anything is written.
    for file in &args.files {
        if let Err(why) = check(file) {
            return (
                2,
                vec![(false, format!("error: {}: {why}", file.display()))],
            );
        }
    }
    let mut failures = Vec::new();
    for file in &args.files {
        // A panic in a renderer is one failed file, not a crash.
        let rendered = std::panic::catch_unwind(|| render(file, args.dpi)).unwrap_or_else(|_| {
            Err("the renderer broke down on it (a bug: please report it with this SVG)".into())
        });
        if let Err(why) = rendered {
            failures.push((false, format!("error: {}: {why}", file.display())));
        }
    }
    (if failures.is_empty() { 0 } else { 1 }, failures)
}

/// clap's message on one line, without its `error: `.
fn clap_line(err: &clap::Error) -> String {
    // The files are the one required argument.
    if err.kind() == ErrorKind::MissingRequiredArgument {
        return "no FILE.svg given".to_string();
    }
    let text = err.render().to_string();
    let line = text.lines().next().unwrap_or("bad arguments");
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

/// Why `file` cannot be rendered as asked, if it cannot.
fn check(file: &Path) -> Result<(), String> {
    if file.extension().is_none_or(|ext| ext != "svg") {
        return Err("not an .svg file (its PDF and PNG are named after it)".into());
    }
    match std::fs::metadata(file) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err("not a file".into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err("no such file".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// `file` rendered, FILE.pdf and FILE.png written beside it.
fn render(file: &Path, dpi: f32) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read it: {e}"))?;
    let svg = String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())?;
    let pdf = e3_render::pdf(&svg).map_err(|e| e.to_string())?;
    let png = e3_render::png(&svg, dpi).map_err(|e| e.to_string())?;
    write(&file.with_extension("pdf"), &pdf)?;
    write(&file.with_extension("png"), &png)
}

/// `bytes` written to `path` whole or not at all (through a file beside it).
fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            format!("cannot write {}: {e}", path.display())
        })
}
