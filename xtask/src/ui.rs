//! Where people-facing lines go: stdout, or stderr when stdout carries JSON.

use std::io::Write as _;

pub struct Ui {
    /// stdout is reserved for a JSON document.
    pub json: bool,
    quiet: bool,
}

impl Ui {
    pub fn new(json: bool) -> Ui {
        Ui { json, quiet: false }
    }

    /// Says nothing: for work whose outcome does not matter to the reader.
    pub fn quiet() -> Ui {
        Ui {
            json: false,
            quiet: true,
        }
    }

    /// One line (or several) for the reader.
    pub fn say(&self, text: &str) {
        if self.quiet {
            return;
        }
        if self.json {
            let _ = writeln!(std::io::stderr().lock(), "{text}");
        } else {
            let _ = writeln!(std::io::stdout().lock(), "{text}");
        }
    }
}
