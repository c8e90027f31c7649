//! A contender: a command to time and what the figures call it.
//!
//! Each benchmark makes its contenders as values from its options (a pure
//! function); `timing` runs them apart from that.

use e3_plan::Cmd;

/// A command (or commands, one after the other, timed together) and what
/// it stands for.
#[derive(Clone, Debug)]
pub struct Contender {
    /// What the figures call it.
    pub label: String,
    pub steps: Vec<Cmd>,
    /// The ratio to the baseline it should stay under, when it has one.
    pub target: Option<f64>,
}

impl Contender {
    pub fn new(label: impl Into<String>, cmd: Cmd) -> Contender {
        Contender {
            label: label.into(),
            steps: vec![cmd],
            target: None,
        }
    }

    /// Another command after this one's, timed with it.
    pub fn then(mut self, cmd: Cmd) -> Contender {
        self.steps.push(cmd);
        self
    }

    pub fn target(mut self, ratio: f64) -> Contender {
        self.target = Some(ratio);
        self
    }

    /// What `--dry-run` prints: each command as it would run, then its label.
    pub fn dry_run_lines(&self) -> Vec<String> {
        self.steps
            .iter()
            .map(|c| format!("{}  # {}", c.render(), self.label))
            .collect()
    }
}
