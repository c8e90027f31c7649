//! The figures document: one section per benchmark, between
//! `<!-- bench:NAME -->` markers, replaced in place. This is its one writer.
//!
//! By default it is `target/bench/benchmarks.md`, untracked; `--out DIR`
//! puts it in DIR; only `--write-docs` writes the tracked
//! `docs/benchmarks.md`.

use camino::{Utf8Path, Utf8PathBuf};

use super::contender::Contender;
use crate::cli::BenchArgs;
use crate::error::{Context, Result, usage};

/// The tracked document, written only with `--write-docs`.
pub const DOCS: &str = "docs/benchmarks.md";
/// Where the figures go by default, under the checkout.
pub const SCRATCH: &str = "target/bench";
/// The document's name in its folder.
pub const FILE: &str = "benchmarks.md";

/// A benchmark's section of the document.
pub struct Section {
    /// The marker's name: the benchmark's subcommand.
    pub name: &'static str,
    pub title: &'static str,
    /// What to run first, in the Reproduce line (`cargo build -p xtask && `).
    pub before: &'static str,
    /// What the machine needs, said after "Reproduce".
    pub needs: &'static str,
}

/// How to measure the figures again: the benchmark's command with every
/// option it was given.
pub fn reproduce(section: &Section, options: &[String]) -> String {
    let mut line = format!("cargo xtask bench {}", section.name);
    for option in options {
        line.push(' ');
        line.push_str(&e3_plan::quote(option));
    }
    format!("Reproduce{}: `{}{line}`.", section.needs, section.before)
}

/// The section's text: its figures, then how to reproduce them.
pub fn section_text(body: &str, reproduce: &str) -> String {
    format!("{body}\n{reproduce}\n")
}

/// The document the figures go to, as the flags say: `--write-docs`, `--out
/// DIR` (relative to `cwd`), or the scratch one under `root`.
pub fn document(root: &Utf8Path, cwd: &Utf8Path, args: &BenchArgs) -> Result<Utf8PathBuf> {
    if args.write_docs {
        return Ok(root.join(DOCS));
    }
    let Some(out) = &args.out else {
        return Ok(root.join(SCRATCH).join(FILE));
    };
    let dir = cwd.join(out);
    if dir.exists() && !dir.is_dir() {
        return Err(usage(format!("--out {out}: {dir} is not a folder"))
            .hint("give a folder (made if missing); the figures go to its benchmarks.md"));
    }
    Ok(dir.join(FILE))
}

/// Replaces (or appends) the section's text in the document at `path`,
/// making the document (and its folder) when missing.
pub fn write(path: &Utf8Path, section: &Section, body: &str) -> Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_else(|_| {
        "# Benchmarks\n\nFigures written by `cargo xtask bench ...`; each section says how to reproduce it.\n".into()
    });
    let new = replace_section(
        &old,
        section.name,
        &format!("## {}\n\n{body}", section.title),
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).context(|| format!("cannot create {dir}"))?;
    }
    std::fs::write(path, new).context(|| format!("cannot write {path}"))
}

/// The contenders' commands as a list under a table: `- label: `command``.
pub fn commands<'a>(
    root: &Utf8Path,
    contenders: impl IntoIterator<Item = &'a Contender>,
) -> String {
    contenders
        .into_iter()
        .map(|c| format!("- {}: `{}`\n", c.label, c.shown(root)))
        .collect()
}

fn replace_section(doc: &str, name: &str, content: &str) -> String {
    let begin = format!("<!-- bench:{name} -->");
    let end = format!("<!-- /bench:{name} -->");
    let block = format!("{begin}\n{content}{end}");
    match (doc.find(&begin), doc.find(&end)) {
        (Some(b), Some(e)) if e > b => format!("{}{block}{}", &doc[..b], &doc[e + end.len()..]),
        _ => format!("{}\n{block}\n", doc.trim_end()),
    }
}

/// `2026-11-23T19:53:00Z`: when a figure was measured.
pub fn now_utc() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// This machine's cores, as the figures name them.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Task};

    fn bench_args(argv: &[&str]) -> BenchArgs {
        let argv = ["cargo xtask", "bench"].iter().chain(argv);
        match Cli::try_parse_from(argv).unwrap().task {
            Task::Bench(args) => args,
            other => panic!("not bench: {other:?}"),
        }
    }

    /// A checkout of its own in the temp folder, with a docs/benchmarks.md
    /// of two sections; removed when dropped.
    struct Checkout(Utf8PathBuf);

    const DOCS_TEXT: &str = "# Benchmarks\n\nIntro.\n<!-- bench:cold-build -->\n## Cold build\n\nold figures\n<!-- /bench:cold-build -->\n\n## Notes\n\n- kept\n<!-- bench:net -->\n## Net\n\nnet figures\n<!-- /bench:net -->\n";

    impl Checkout {
        fn new(name: &str) -> Checkout {
            let dir = std::env::temp_dir().join(format!("e3-bench-{name}-{}", std::process::id()));
            let dir = Utf8PathBuf::from_path_buf(dir).unwrap();
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("docs")).unwrap();
            std::fs::write(dir.join(DOCS), DOCS_TEXT).unwrap();
            Checkout(dir)
        }

        fn docs(&self) -> String {
            std::fs::read_to_string(self.0.join(DOCS)).unwrap()
        }
    }

    impl Drop for Checkout {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const COLD_BUILD: Section = Section {
        name: "cold-build",
        title: "Cold build",
        before: "",
        needs: "",
    };

    #[test]
    fn by_default_the_figures_go_to_target_bench_and_docs_are_untouched() {
        let checkout = Checkout::new("default");
        let root = &checkout.0;
        let doc = document(root, root, &bench_args(&["cold-build"])).unwrap();
        assert_eq!(doc, root.join("target/bench/benchmarks.md"));
        write(&doc, &COLD_BUILD, "new figures\n").unwrap();
        assert_eq!(checkout.docs(), DOCS_TEXT);
        let written = std::fs::read_to_string(&doc).unwrap();
        assert!(written.starts_with("# Benchmarks\n"), "{written}");
        assert!(
            written.contains("<!-- bench:cold-build -->\n## Cold build\n\nnew figures\n<!-- /bench:cold-build -->"),
            "{written}"
        );
    }

    #[test]
    fn write_docs_changes_only_the_named_section_of_docs() {
        let checkout = Checkout::new("write-docs");
        let root = &checkout.0;
        for argv in [
            &["--write-docs", "cold-build"][..],
            &["cold-build", "--write-docs"][..],
        ] {
            let doc = document(root, root, &bench_args(argv)).unwrap();
            assert_eq!(doc, root.join(DOCS));
        }
        write(&root.join(DOCS), &COLD_BUILD, "new figures\n").unwrap();
        assert_eq!(
            checkout.docs(),
            DOCS_TEXT.replace(
                "## Cold build\n\nold figures\n",
                "## Cold build\n\nnew figures\n"
            )
        );
        assert!(!root.join(SCRATCH).exists());
    }

    #[test]
    fn out_is_honoured_relative_to_the_current_folder() {
        let checkout = Checkout::new("out");
        let root = &checkout.0;
        let cwd = root.join("elsewhere");
        let doc = document(root, &cwd, &bench_args(&["net", "--out", "figures"])).unwrap();
        assert_eq!(doc, cwd.join("figures/benchmarks.md"));
        write(&doc, &COLD_BUILD, "new figures\n").unwrap();
        assert!(doc.is_file());
        assert_eq!(checkout.docs(), DOCS_TEXT);
        assert!(!root.join(SCRATCH).exists());
        let absolute = root.join("abs");
        let args = bench_args(&["--out", absolute.as_str(), "net"]);
        assert_eq!(
            document(root, &cwd, &args).unwrap(),
            absolute.join("benchmarks.md")
        );
    }

    #[test]
    fn out_that_is_a_file_is_a_usage_error() {
        let checkout = Checkout::new("out-file");
        let root = &checkout.0;
        let err = document(root, root, &bench_args(&["net", "--out", DOCS])).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .starts_with("error: --out docs/benchmarks.md: "),
            "{err}"
        );
        assert!(err.to_string().contains("\nhint: "), "{err}");
    }

    #[test]
    fn out_and_write_docs_do_not_go_together() {
        let argv = ["cargo xtask", "bench", "net", "--out", "x", "--write-docs"];
        let err = Cli::try_parse_from(argv).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn sections_are_replaced_in_place() {
        let doc = replace_section("# B\n", "x", "one\n");
        assert_eq!(doc, "# B\n<!-- bench:x -->\none\n<!-- /bench:x -->\n");
        let doc = replace_section(&format!("{doc}tail\n"), "x", "two\n");
        assert_eq!(doc, "# B\n<!-- bench:x -->\ntwo\n<!-- /bench:x -->\ntail\n");
    }
}
