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
        let header: Vec<&str> = self.header.iter().map(|(h, _)| h.as_str()).collect();
        let right: Vec<bool> = self.header.iter().map(|(_, r)| *r).collect();
        format!("{}\n", e3_plan::markdown_table(&header, &self.rows, &right))
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
