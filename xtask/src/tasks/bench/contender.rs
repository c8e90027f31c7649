//! A contender: a command to time and what the figures call it.
//!
//! Each benchmark makes its contenders as values from its options (a pure
//! function, tested and snapshotted); `timing` runs them apart from that.

use camino::Utf8Path;
use e3_plan::{Cmd, quote, relative_to};

/// How an e3 run's parties start, as its command line says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// `run --warm`.
    Warm,
    /// `run --cold`.
    Cold,
    /// Neither flag, as a person types it: e3 decides, and the label says
    /// what it decided (asked of e3 before timing).
    Default(Warmth),
}

/// What e3 chose for a run that names neither `--warm` nor `--cold`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Warmth {
    Warm,
    Cold,
}

impl Warmth {
    pub fn word(self) -> &'static str {
        match self {
            Warmth::Warm => "warm",
            Warmth::Cold => "cold",
        }
    }
}

/// A command (or commands, one after the other, timed together) and what
/// it stands for.
#[derive(Clone, Debug)]
pub struct Contender {
    /// What the figures call it; says how an e3 run starts ("e3 cold").
    pub label: String,
    pub steps: Vec<Cmd>,
    /// The ratio to the baseline it should stay under, when it has one.
    pub target: Option<f64>,
}

impl Contender {
    /// A contender whose label claims nothing of how e3 starts: not an e3
    /// run (a baseline, a build), or e3 runs compared among themselves.
    pub fn other(label: impl Into<String>, cmd: Cmd) -> Contender {
        Contender {
            label: label.into(),
            steps: vec![cmd],
            target: None,
        }
    }

    /// An e3 run: `launcher run RUN_ARGS [--warm|--cold] [-- PROGRAM_ARGS]`,
    /// the flag being the one `start` claims.
    pub fn e3(
        label: impl Into<String>,
        start: Start,
        launcher: Cmd,
        run_args: &[&str],
        program_args: &[&str],
    ) -> Contender {
        Contender {
            label: label.into(),
            steps: vec![e3_run(launcher, run_args, start, program_args)],
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

    /// Its commands as the figures show them (see [`shown`]), ` && `-joined.
    pub fn shown(&self, root: &Utf8Path) -> String {
        self.steps
            .iter()
            .map(|c| shown(root, c))
            .collect::<Vec<_>>()
            .join(" && ")
    }

    /// What `--dry-run` prints: each command as it would run, then its label.
    pub fn dry_run_lines(&self) -> Vec<String> {
        self.steps
            .iter()
            .map(|c| format!("{}  # {}", c.render(), self.label))
            .collect()
    }
}

/// `launcher run RUN_ARGS [--warm|--cold] [-- PROGRAM_ARGS]`.
pub fn e3_run(launcher: Cmd, run_args: &[&str], start: Start, program_args: &[&str]) -> Cmd {
    let mut cmd = launcher.arg("run").args(run_args.iter().copied());
    match start {
        Start::Warm => cmd = cmd.arg("--warm"),
        Start::Cold => cmd = cmd.arg("--cold"),
        Start::Default(_) => {}
    }
    if !program_args.is_empty() {
        cmd = cmd.arg("--").args(program_args.iter().copied());
    }
    cmd
}

/// A command as the figures show it: programs by their file name (`python`,
/// `cargo`, `xtask`), its folder relative to the checkout; the arguments as
/// they are.
pub fn shown(root: &Utf8Path, cmd: &Cmd) -> String {
    let mut out = String::new();
    if let Some(dir) = &cmd.cwd {
        out.push_str(&format!(
            "cd {} && ",
            quote(relative_to(root, dir).as_str())
        ));
    }
    let program = cmd.program.expose();
    let short = Utf8Path::new(program).file_name().unwrap_or(program);
    let rest = Cmd {
        program: short.into(),
        cwd: None,
        ..cmd.clone()
    };
    out.push_str(&rest.render());
    out
}

/// Whether the contender's label and its commands say the same of how an
/// e3 run starts: "warm" in the label exactly when `--warm` is on the line,
/// "cold" exactly when `--cold` is; a label saying "default (warm)" or
/// "default (cold)" has neither flag. The reason when they do not.
#[cfg(test)]
pub fn claims_hold(c: &Contender) -> Result<(), String> {
    let carries = |flag: &str| {
        c.steps.iter().any(|cmd| {
            cmd.args
                .iter()
                .map(|a| a.expose())
                .take_while(|a| *a != "--")
                .any(|a| a == flag)
        })
    };
    let (warm_flag, cold_flag) = (carries("--warm"), carries("--cold"));
    let label = c.label.to_lowercase();
    let (says_warm, says_cold) = (label.contains("warm"), label.contains("cold"));
    let ok = if label.contains("default") {
        let one_word = label.contains("default (warm)") != label.contains("default (cold)");
        one_word && says_warm != says_cold && !warm_flag && !cold_flag
    } else {
        says_warm == warm_flag && says_cold == cold_flag
    };
    match ok {
        true => Ok(()),
        false => Err(format!(
            "`{}` runs {:?}",
            c.label,
            c.steps.iter().map(Cmd::render).collect::<Vec<_>>()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e3_runs_carry_the_flag_of_their_start() {
        let cargo = || Cmd::new("/usr/bin/cargo").arg("xtask");
        let args = ["secretsanta", "--parties", "6"];
        let warm = Contender::e3("e3 warm", Start::Warm, cargo(), &args, &["3"]);
        assert_eq!(
            shown("/e3".into(), &warm.steps[0]),
            "cargo xtask run secretsanta --parties 6 --warm -- 3"
        );
        let cold = Contender::e3("e3 cold", Start::Cold, cargo(), &args, &[]);
        assert_eq!(
            shown("/e3".into(), &cold.steps[0]),
            "cargo xtask run secretsanta --parties 6 --cold"
        );
        let default = Contender::e3(
            "e3 default (warm)",
            Start::Default(Warmth::Warm),
            cargo(),
            &args,
            &["3"],
        );
        for c in [&warm, &cold, &default] {
            assert_eq!(claims_hold(c), Ok(()));
        }
    }

    #[test]
    fn a_label_that_claims_what_the_command_does_not_is_caught() {
        let xtask = || Cmd::new("/e3/target/debug/xtask");
        let run = |label: &str, args: &[&str]| {
            Contender::other(label, xtask().args(args.iter().copied()))
        };
        // The bug of old: "cold" in the label, no --cold on the line.
        assert!(claims_hold(&run("e3 cold", &["run", "helloworld", "--", "-T1"])).is_err());
        assert!(claims_hold(&run("e3 cold", &["run", "helloworld", "--warm"])).is_err());
        assert!(claims_hold(&run("e3", &["run", "helloworld", "--cold"])).is_err());
        // A flag after `--` is the program's, not e3's.
        assert!(claims_hold(&run("e3 warm", &["run", "x", "--", "--warm"])).is_err());
        assert!(claims_hold(&run("e3 default (warm)", &["run", "x", "--warm"])).is_err());
        assert!(claims_hold(&run("e3 default", &["run", "x"])).is_err());
        assert!(claims_hold(&run("e3 default (warm)", &["run", "x"])).is_ok());
        assert!(claims_hold(&run("e3", &["run", "x"])).is_ok());
        assert!(claims_hold(&Contender::other("a cold build", Cmd::new("cargo"))).is_err());
    }

    #[test]
    fn commands_are_shown_with_short_names_and_paths() {
        let cmd = Cmd::new("/e3/.e3/venv/bin/python")
            .args(["secretsanta.py", "3", "-M6"])
            .cwd("/e3/demos");
        assert_eq!(
            shown("/e3".into(), &cmd),
            "cd demos && python secretsanta.py 3 -M6"
        );
        let cmd = Cmd::new("/usr/bin/cargo")
            .args(["xtask", "--help"])
            .env("CARGO_TARGET_DIR", "/tmp/x/target")
            .cwd("/tmp/x");
        assert_eq!(
            shown("/e3".into(), &cmd),
            "cd /tmp/x && CARGO_TARGET_DIR=/tmp/x/target cargo xtask --help"
        );
    }
}
