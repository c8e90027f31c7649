//! Where people-facing lines go: stdout, or stderr when stdout carries JSON.

use std::io::Write as _;

pub struct Ui {
    /// stdout is reserved for a JSON document.
    pub json: bool,
}

impl Ui {
    pub fn new(json: bool) -> Ui {
        Ui { json }
    }

    /// One line (or several) for the reader.
    pub fn say(&self, text: &str) {
        if self.json {
            let _ = writeln!(std::io::stderr().lock(), "{text}");
        } else {
            let _ = writeln!(std::io::stdout().lock(), "{text}");
        }
    }
}
