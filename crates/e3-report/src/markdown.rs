//! Markdown tables, padded so they read as text too.

pub(crate) struct Table {
    header: Vec<(String, bool)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Columns as (heading, right-aligned).
    pub(crate) fn new(header: &[(&str, bool)]) -> Table {
        Table {
            header: header.iter().map(|(h, r)| (h.to_string(), *r)).collect(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    pub(crate) fn render(&self) -> String {
        let mut widths: Vec<usize> = self
            .header
            .iter()
            .map(|(h, _)| h.chars().count().max(3))
            .collect();
        for row in &self.rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
        let pad = |i: usize, c: &str| {
            let w = widths[i];
            if self.header[i].1 {
                format!("{c:>w$}")
            } else {
                format!("{c:<w$}")
            }
        };
        let mut out = line(
            self.header
                .iter()
                .enumerate()
                .map(|(i, (h, _))| pad(i, h))
                .collect(),
        );
        out.push_str(&line(
            self.header
                .iter()
                .enumerate()
                .map(|(i, (_, right))| {
                    let dashes = "-".repeat(widths[i] - 1);
                    if *right {
                        format!("{dashes}:")
                    } else {
                        format!("{dashes}-")
                    }
                })
                .collect(),
        ));
        for row in &self.rows {
            out.push_str(&line(
                row.iter().enumerate().map(|(i, c)| pad(i, c)).collect(),
            ));
        }
        out
    }
}

/// Text safe inside a table cell: one line, `|` and `<` (HTML) escaped.
pub(crate) fn cell_text(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
        .replace('<', "\\<")
}

/// `x` with `digits` decimals.
pub(crate) fn float(x: f64, digits: usize) -> String {
    format!("{x:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table() {
        let mut t = Table::new(&[("n", true), ("name", false)]);
        t.row(vec!["10".into(), cell_text("a|b\n<c>")]);
        assert_eq!(
            t.render(),
            "|   n | name      |\n| --: | --------- |\n|  10 | a\\|b \\<c> |\n"
        );
    }
}
