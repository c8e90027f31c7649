//! The figures document: one section per benchmark, between
//! `<!-- bench:NAME -->` markers, replaced in place. This is its one writer.

use camino::Utf8Path;

use crate::error::{Context, Result};

pub const DOC: &str = "docs/benchmarks.md";

/// A benchmark's section of the document.
pub struct Section {
    /// The marker's name: the benchmark's subcommand.
    pub name: &'static str,
    pub title: &'static str,
}

/// Replaces (or appends) the section's text in the document.
pub fn write(root: &Utf8Path, section: &Section, body: &str) -> Result<()> {
    let path = root.join(DOC);
    let old = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        "# Benchmarks\n\nFigures written by `cargo xtask bench ...`; each section says how to reproduce it.\n".into()
    });
    let new = replace_section(
        &old,
        section.name,
        &format!("## {}\n\n{body}", section.title),
    );
    std::fs::write(&path, new).context(|| format!("cannot write {path}"))
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
    use super::*;

    #[test]
    fn sections_are_replaced_in_place() {
        let doc = replace_section("# B\n", "x", "one\n");
        assert_eq!(doc, "# B\n<!-- bench:x -->\none\n<!-- /bench:x -->\n");
        let doc = replace_section(&format!("{doc}tail\n"), "x", "two\n");
        assert_eq!(doc, "# B\n<!-- bench:x -->\ntwo\n<!-- /bench:x -->\ntail\n");
    }
}
