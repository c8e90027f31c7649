//! Helpers shared by the integration tests (each test binary uses some).
#![allow(dead_code)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use xshell::{Shell, cmd};

pub mod testbed;

/// A test body run twice: with parties started cold (a Python each) and
/// warm (forked by one Python that loaded the heavy modules once). Each
/// mode is asked for by its flag: what runs without one is e3's default,
/// which may be either.
#[macro_export]
macro_rules! both_ways {
    ($($name:ident),* $(,)?) => {
        $(mod $name {
            #[test]
            fn cold() {
                super::$name(&["--cold"]);
            }
            #[test]
            fn warm() {
                super::$name(&["--warm"]);
            }
        })*
    };
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The files under `dir` whose names end in `.{extension}`, skipping
/// `target` and hidden folders, sorted.
pub fn files_ending(dir: &Path, extension: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if name == "target" || name.to_string_lossy().starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(&path, extension, out);
            } else if path.extension().is_some_and(|e| e == extension) {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, extension, &mut files);
    files.sort();
    files
}

/// A scratch copy of a module's folder: the files of `from` in `to`,
/// leaving out hidden entries (a `.terraform` folder left by someone's own
/// `terraform init`) and local state (`*.tfstate*`: it may hold secrets).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let name = entry.file_name();
        let text = name.to_string_lossy();
        if text.starts_with('.') || text.contains(".tfstate") {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// A folder of a test's own in the temp folder, removed when dropped (also
/// when the test fails); read-only folders in it (a Nix store's) included.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("e3-test-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// A path inside it, as a string for a command line.
    pub fn path(&self, rel: &str) -> String {
        self.0.join(rel).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        fn writable(path: &Path) {
            use std::os::unix::fs::PermissionsExt;
            let Ok(meta) = std::fs::symlink_metadata(path) else {
                return;
            };
            if meta.is_dir() {
                let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
                for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                    writable(&entry.path());
                }
            }
        }
        writable(&self.0);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A shell at the workspace root, for the commands a test runs.
pub fn shell() -> Shell {
    let sh = Shell::new().expect("a shell in the current directory");
    sh.change_dir(root());
    sh
}

/// The built xtask binary, run from the workspace root with no input: a
/// process to start, for tests that read its output as it comes.
pub fn xtask(args: &[&str]) -> Command {
    let sh = shell();
    let xtask = env!("CARGO_BIN_EXE_xtask");
    let mut command = Command::from(cmd!(sh, "{xtask} {args...}"));
    command.stdin(Stdio::null());
    command
}

/// The built xtask with `args`, run from the workspace root with an empty
/// environment and a PATH that holds no tool at all: a newcomer's machine
/// with nothing installed (no python3, ssh, rsync, ip, nix, terraform, git,
/// cargo) and no secrets, with `home` as its HOME.
pub fn bare(args: &[&str], home: &Scratch) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(root())
        .env_clear()
        .env("PATH", "/nonexistent")
        .env("HOME", &home.0)
        .stdin(Stdio::null())
        .output()
        .expect("xtask starts")
}

/// Runs the built xtask binary to its end, whatever its exit status.
pub fn run(args: &[&str]) -> Output {
    let sh = shell();
    let xtask = env!("CARGO_BIN_EXE_xtask");
    cmd!(sh, "{xtask} {args...}")
        .ignore_status()
        .quiet()
        .output()
        .expect("xtask starts")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The path of a test program in `xtask/tests/programs`.
pub fn program(name: &str) -> String {
    root()
        .join("xtask/tests/programs")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Reads lines until one contains `needle` and returns all that was read;
/// fails the test, showing what was read, if the output ends first.
pub fn read_until(out: &mut impl BufRead, needle: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = out.read_line(&mut line).expect("output is readable");
        assert!(n > 0, "the output ended before {needle:?}:\n{seen}");
        seen.push_str(&line);
        if line.contains(needle) {
            return seen;
        }
    }
}

/// Makes e3's Python environment once per test binary (the first local run
/// makes it; e3's own lock keeps concurrent makers apart) and returns its
/// interpreter, which test hosts see at the same path.
pub fn python_env() -> String {
    static READY: OnceLock<String> = OnceLock::new();
    READY
        .get_or_init(|| {
            let out = run(&["run", "helloworld", "--parties", "1"]);
            assert!(
                out.status.success(),
                "making the env failed:\n{}{}",
                text(&out.stdout),
                text(&out.stderr)
            );
            root()
                .join(".e3/venv/bin/python")
                .to_string_lossy()
                .into_owned()
        })
        .clone()
}

/// The JSON summary `--json` printed.
pub fn summary_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "--json printed no JSON ({e}):\n{}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

/// Party `index`'s log, as the summary names it.
pub fn log_of(summary: &Value, index: usize) -> String {
    let rel = summary["parties"][index]["log"].as_str().unwrap();
    std::fs::read_to_string(root().join(rel)).unwrap()
}

/// What a party printed itself: not the command line, not e3's `#` notes,
/// not MPyC's timestamped log lines.
pub fn results(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| !l.starts_with("$ ") && !l.starts_with('#') && !l.starts_with("20"))
        .map(str::to_string)
        .collect()
}

/// How long a test waits for something that must happen before it fails
/// saying it did not: long enough for any machine, however busy. It only
/// keeps a broken test from hanging; nothing is asserted about speed.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// Waits until `done()`; fails naming `what` if it has not come to pass
/// within [`PATIENCE`].
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "waited {PATIENCE:?} for {what} in vain"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Processes whose command line mentions `fragment`.
pub fn processes_mentioning(fragment: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = text(&cmdline).replace('\0', " ");
        if cmdline.contains(fragment) && !cmdline.contains("cargo") {
            found.push(format!(
                "{}: {cmdline}",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    found
}

/// Waits until `found()` comes back empty (processes that were told to
/// end, say, are gone); fails with what is left after [`PATIENCE`].
pub fn assert_none_left(what: &str, found: impl Fn() -> Vec<String>) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = found();
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "{what} left behind: {left:#?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A word no other test uses at the same time, in this test binary, in
/// another, or in another clone of the repository running its own suite:
/// `label`, this process's id and a count. For the markers by which a test
/// finds the processes it started, and only those.
pub fn unique(label: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("{label}-{}-{n}", std::process::id())
}

/// The environment variable that marks every process a test's command
/// starts (they inherit it): see [`owned_by`] and [`processes_owned_by`].
pub const OWNER_VAR: &str = "E3_TEST_OWNER";

/// `command` with its processes, and theirs, marked as `token`'s.
pub fn owned_by(mut command: Command, token: &str) -> Command {
    command.env(OWNER_VAR, token);
    command
}

/// The processes still running with `token`'s mark: what a command
/// started with [`owned_by`] left behind, and nothing of anyone else's.
pub fn processes_owned_by(token: &str) -> Vec<String> {
    let mark = format!("{OWNER_VAR}={token}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ.split(|b| *b == 0).any(|v| v == mark.as_bytes()) {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push(format!(
                "{}: {}",
                entry.file_name().to_string_lossy(),
                text(&cmdline).replace('\0', " ")
            ));
        }
    }
    found
}

/// Every party printed the same three derangements as party 0 (secretsanta).
pub fn assert_parties_agree(summary: &Value) {
    let first = results(&log_of(summary, 0));
    let derangements = first
        .iter()
        .filter(|l| l.starts_with("Derangement over"))
        .count();
    assert_eq!(derangements, 3, "{first:#?}");
    for i in 1..summary["parties"].as_array().unwrap().len() {
        assert_eq!(
            results(&log_of(summary, i)),
            first,
            "party {i} printed other results than party 0"
        );
    }
}
