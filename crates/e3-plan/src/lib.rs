//! Plans of commands, as plain values.
//!
//! Every e3 task turns what the user asked for into a [`Plan`]: an ordered
//! list of [`Step`]s, each a command (program, arguments, environment, working
//! directory), a [`Pipeline`] of commands or a group of commands started
//! together. Building a plan starts
//! no process; `e3-exec` runs plans, `--dry-run` prints [`Plan::render`], and
//! the snapshot tests check that same text.
//!
//! The rendering is a shell script: pasted into `sh` it does what e3 would do,
//! except that secret values are shown as `***`.

use std::fmt::{self, Write as _};

use camino::{Utf8Path, Utf8PathBuf};

/// A value that may be a secret: rendered as `***`, passed on unchanged.
#[derive(Clone, PartialEq, Eq)]
pub struct Value {
    text: String,
    secret: bool,
}

impl Value {
    pub fn plain(text: impl Into<String>) -> Value {
        Value {
            text: text.into(),
            secret: false,
        }
    }

    pub fn secret(text: impl Into<String>) -> Value {
        Value {
            text: text.into(),
            secret: true,
        }
    }

    /// The real value, for the executor only.
    pub fn expose(&self) -> &str {
        &self.text
    }

    pub fn is_secret(&self) -> bool {
        self.secret
    }

    /// Shell-quoted text, or `***` for a secret.
    fn render(&self) -> String {
        if self.secret {
            "***".to_string()
        } else {
            quote(&self.text)
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secret {
            f.write_str("***")
        } else {
            fmt::Debug::fmt(&self.text, f)
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::plain(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::plain(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::plain(s.clone())
    }
}

impl From<&Utf8Path> for Value {
    fn from(p: &Utf8Path) -> Value {
        Value::plain(p.as_str())
    }
}

impl From<Utf8PathBuf> for Value {
    fn from(p: Utf8PathBuf) -> Value {
        Value::plain(p.into_string())
    }
}

impl From<&Utf8PathBuf> for Value {
    fn from(p: &Utf8PathBuf) -> Value {
        Value::plain(p.as_str())
    }
}

/// One process to start: argv, extra environment and working directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmd {
    pub program: Value,
    pub args: Vec<Value>,
    /// Added to the environment e3 itself runs in.
    pub env: Vec<(String, Value)>,
    /// Relative paths are relative to the plan's working directory.
    pub cwd: Option<Utf8PathBuf>,
    /// What it creates is its owner's alone (umask 077): for tools that
    /// write secrets (Terraform's state, saved plans).
    pub private: bool,
}

impl Cmd {
    pub fn new(program: impl Into<Value>) -> Cmd {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            private: false,
        }
    }

    /// Runs with umask 077: every file it makes is 0600, every folder 0700.
    pub fn private(mut self) -> Cmd {
        self.private = true;
        self
    }

    pub fn arg(mut self, arg: impl Into<Value>) -> Cmd {
        self.args.push(arg.into());
        self
    }

    pub fn args<I>(mut self, args: I) -> Cmd
    where
        I: IntoIterator,
        I::Item: Into<Value>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<Value>) -> Cmd {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn cwd(mut self, dir: impl Into<Utf8PathBuf>) -> Cmd {
        self.cwd = Some(dir.into());
        self
    }

    /// One line of shell: `[cd DIR && ][K=V ...] program args...`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Some(dir) = &self.cwd {
            let _ = write!(out, "cd {} && ", quote(dir.as_str()));
        }
        if self.private {
            out.push_str("umask 077 && ");
        }
        for (key, value) in &self.env {
            let _ = write!(out, "{key}={} ", value.render());
        }
        out.push_str(&self.program.render());
        for arg in &self.args {
            out.push(' ');
            out.push_str(&arg.render());
        }
        out
    }

    /// The argv as plain strings, secrets exposed: for the executor.
    pub fn argv(&self) -> Vec<&str> {
        std::iter::once(self.program.expose())
            .chain(self.args.iter().map(Value::expose))
            .collect()
    }

    /// This command's stdout into `next`'s stdin: `self | next`.
    pub fn pipe(self, next: Cmd) -> Pipeline {
        Pipeline::new(self).pipe(next)
    }

    /// Like [`Cmd::render`], in a subshell when the command has its own
    /// directory, so that its `cd` reaches nothing else on the line.
    fn render_alone(&self) -> String {
        if self.cwd.is_some() || self.private {
            format!("({})", self.render())
        } else {
            self.render()
        }
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// Commands started together, each one's stdout feeding the next one's stdin,
/// as `a | b | c` in the shell: `zstdcat disk.img.zst | dd of=/dev/sdX`.
///
/// Stdin goes to the first member, stdout comes from the last, every member's
/// stderr is shared. Each member keeps its own environment and working
/// directory. The pipeline fails when any member fails, as under `set -o
/// pipefail`; the end it reports is that of the last member that failed. So
/// a member that stops reading early (`head -n 1`) makes a writer before it
/// die of SIGPIPE, and that is a failure too.
///
/// A pipeline has at least one member: it is built from a first command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    cmds: Vec<Cmd>,
}

impl Pipeline {
    /// A pipeline of one command; add more with [`Pipeline::pipe`].
    pub fn new(first: Cmd) -> Pipeline {
        Pipeline { cmds: vec![first] }
    }

    /// Adds `next` at the end: its stdin is the current last member's stdout.
    pub fn pipe(mut self, next: Cmd) -> Pipeline {
        self.cmds.push(next);
        self
    }

    /// The members in order, never empty.
    pub fn cmds(&self) -> &[Cmd] {
        &self.cmds
    }

    /// One line of shell: `a | b | c`, each member with its own `K=V`
    /// prefix, and a member with its own directory as `(cd DIR && ...)` so
    /// that its `cd` reaches no other member.
    pub fn render(&self) -> String {
        let members: Vec<String> = self.cmds.iter().map(Cmd::render_alone).collect();
        members.join(" | ")
    }
}

impl From<Cmd> for Pipeline {
    fn from(cmd: Cmd) -> Pipeline {
        Pipeline::new(cmd)
    }
}

impl fmt::Display for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// A member of a [`Step::Together`] group: a command and who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Short name used in progress lines and the rendering (`party 3`).
    pub label: String,
    pub cmd: Cmd,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Run a command to completion; a failure stops the plan.
    Run(Cmd),
    /// Run a pipeline to completion; a failure of any member stops the plan.
    Pipe(Pipeline),
    /// Write a file (the executor does it itself, no process).
    WriteFile { path: Utf8PathBuf, contents: String },
    /// Start every job at once and watch them together.
    Together { what: String, jobs: Vec<Job> },
    /// Start a helper that serves the next steps (the warm start), wait
    /// until it prints `ready` (a line starting so), and stop it after them;
    /// rendered as `cmd &` and the wait as a comment.
    Background {
        what: String,
        cmd: Cmd,
        ready: String,
    },
    /// Nothing to do, only said (for example: an environment is up to date).
    Note(String),
}

/// What a task will do, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Where relative paths start; `None` runs in e3's own working directory.
    pub workdir: Option<Utf8PathBuf>,
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn new(workdir: impl Into<Utf8PathBuf>) -> Plan {
        Plan {
            workdir: Some(workdir.into()),
            steps: Vec::new(),
        }
    }

    pub fn push(&mut self, step: Step) {
        self.steps.push(step);
    }

    /// The plan as a shell script, secrets shown as `***`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Some(dir) = &self.workdir {
            let _ = writeln!(out, "cd {}", quote(dir.as_str()));
        }
        for step in &self.steps {
            match step {
                // A subshell keeps a `cd` from leaking into later lines.
                Step::Run(cmd) => {
                    let _ = writeln!(out, "{}", cmd.render_alone());
                }
                Step::Pipe(pipeline) => {
                    let _ = writeln!(out, "{}", pipeline.render());
                }
                Step::WriteFile { path, contents } => {
                    let marker = heredoc_marker(contents);
                    let _ = writeln!(out, "cat > {} <<'{marker}'", quote(path.as_str()));
                    out.push_str(contents);
                    if !contents.is_empty() && !contents.ends_with('\n') {
                        out.push('\n');
                    }
                    let _ = writeln!(out, "{marker}");
                }
                Step::Background { what, cmd, ready } => {
                    let _ = writeln!(out, "{} &  # {what}", cmd.render_alone());
                    let _ = writeln!(out, "# wait until it prints `{ready}`");
                }
                Step::Together { what, jobs } => {
                    let _ = writeln!(out, "# {what}");
                    for job in jobs {
                        let _ = writeln!(out, "{} &  # {}", job.cmd.render(), job.label);
                    }
                    let _ = writeln!(out, "wait");
                }
                Step::Note(text) => {
                    for line in text.lines() {
                        let _ = writeln!(out, "# {line}");
                    }
                }
            }
        }
        out
    }
}

fn heredoc_marker(contents: &str) -> String {
    let mut marker = "EOF".to_string();
    while contents.lines().any(|l| l == marker) {
        marker.push('_');
    }
    marker
}

/// Quote `s` for a POSIX shell, leaving it bare when that is safe.
/// `n` and the noun: `1 party`, `6 parties`, `0 runs`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

pub fn quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A table in Markdown, padded so it reads as text too: the same header,
/// rows and alignment as [`columns`]. Cells go in as they are: a `|` in one
/// must be escaped by the caller.
pub fn markdown_table(header: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count().max(3)).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let right = |i: usize| right.get(i).copied().unwrap_or(false);
    let line = |cells: Vec<String>| format!("| {} |", cells.join(" | "));
    let pad = |i: usize, c: &str| {
        let w = widths.get(i).copied().unwrap_or(0);
        if right(i) {
            format!("{c:>w$}")
        } else {
            format!("{c:<w$}")
        }
    };
    let mut out = line(header.iter().enumerate().map(|(i, h)| pad(i, h)).collect());
    out.push('\n');
    out.push_str(&line(
        (0..header.len())
            .map(|i| {
                let dashes = "-".repeat(widths[i] - 1);
                if right(i) {
                    format!("{dashes}:")
                } else {
                    format!("{dashes}-")
                }
            })
            .collect(),
    ));
    for row in rows {
        out.push('\n');
        out.push_str(&line(
            row.iter().enumerate().map(|(i, c)| pad(i, c)).collect(),
        ));
    }
    out
}

/// Rows as aligned text columns, two spaces apart, the header first: how
/// e3 prints its tables. `right` says which columns align right (missing:
/// left); trailing spaces are trimmed.
pub fn columns(header: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let parts: Vec<String> = cells
            .enumerate()
            .map(|(i, c)| {
                let w = widths.get(i).copied().unwrap_or(0);
                if right.get(i).copied().unwrap_or(false) {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut out = line(&mut header.iter().copied());
    for row in rows {
        out.push('\n');
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// `path` relative to `root` when it is inside it (`.` for `root` itself),
/// else `path` as it is: how plans and messages show paths.
pub fn relative_to(root: &Utf8Path, path: &Utf8Path) -> Utf8PathBuf {
    match path.strip_prefix(root) {
        Ok(rel) if rel.as_str().is_empty() => ".".into(),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &str) {
        assert_eq!(quote(input), expect, "quoting {input:?}");
    }

    #[test]
    fn quoting() {
        check("plain", "plain");
        check("127.0.0.1:11599", "127.0.0.1:11599");
        check("root@node-1.tail.ts.net", "root@node-1.tail.ts.net");
        check("", "''");
        check("two words", "'two words'");
        check("it's", r"'it'\''s'");
        check("$HOME", "'$HOME'");
        check("a;b", "'a;b'");
        check("*", "'*'");
        check("~", "'~'");
    }

    #[test]
    fn secrets_never_render() {
        let cmd = Cmd::new("tailscale")
            .arg("up")
            .arg(Value::secret("tskey-auth-123"))
            .env("TOKEN", Value::secret("dop_v1_abc"));
        let text = cmd.render();
        assert_eq!(text, "TOKEN=*** tailscale up ***");
        assert!(!format!("{cmd:?}").contains("tskey"));
        assert_eq!(cmd.argv(), ["tailscale", "up", "tskey-auth-123"]);
    }

    #[test]
    fn tables() {
        let rows = vec![
            vec!["0".to_string(), "node-a".into(), "ok".into()],
            vec!["10".to_string(), "b|c".into(), "".into()],
        ];
        insta::assert_snapshot!(markdown_table(&["#", "host", "state"], &rows, &[true]), @r"
        |   # | host   | state |
        | --: | ------ | ----- |
        |   0 | node-a | ok    |
        |  10 | b|c    |       |
        ");
        insta::assert_snapshot!(columns(&["#", "host", "state"], &rows, &[true]), @r"
         #  host    state
         0  node-a  ok
        10  b|c
        ");
    }

    #[test]
    fn plan_renders_as_a_script() {
        let mut plan = Plan::new("/work/e3");
        plan.push(Step::Note("python env is up to date".into()));
        plan.push(Step::Run(
            Cmd::new("python3").args(["-m", "venv", ".e3/venv"]),
        ));
        plan.push(Step::WriteFile {
            path: "a file".into(),
            contents: "EOF\nx".into(),
        });
        plan.push(Step::Together {
            what: "parties".into(),
            jobs: (0..2)
                .map(|i| Job {
                    label: format!("party {i}"),
                    cmd: Cmd::new("python")
                        .arg("-c")
                        .arg("print('hi')")
                        .cwd("demos")
                        .env("X", "1"),
                })
                .collect(),
        });
        insta::assert_snapshot!(plan.render(), @r#"
        cd /work/e3
        # python env is up to date
        python3 -m venv .e3/venv
        cat > 'a file' <<'EOF_'
        EOF
        x
        EOF_
        # parties
        cd demos && X=1 python -c 'print('\''hi'\'')' &  # party 0
        cd demos && X=1 python -c 'print('\''hi'\'')' &  # party 1
        wait
        "#);
    }

    #[test]
    fn pipeline_renders_as_one_line() {
        let mut plan = Plan::new("/work/e3");
        plan.push(Step::Pipe(
            Cmd::new("zstdcat").arg("disk image.zst").pipe(
                Cmd::new("dd")
                    .args(["of=/dev/sdX", "bs=4M"])
                    .env("LC_ALL", "C"),
            ),
        ));
        plan.push(Step::Pipe(
            Cmd::new("nix")
                .args(["eval", "--json", ".#hosts"])
                .cwd("infra")
                .env("NIX_TOKEN", Value::secret("tok-123"))
                .pipe(Cmd::new("jq").arg(".[] | .name"))
                .pipe(Cmd::new("sort").cwd("/tmp")),
        ));
        plan.push(Step::Pipe(Pipeline::new(Cmd::new("true"))));
        let text = plan.render();
        assert!(!text.contains("tok-123"));
        // Pasted after the `cd`, each member runs where it would under e3:
        // `infra` is /work/e3/infra, and no member's `cd` or `K=V` reaches
        // another.
        insta::assert_snapshot!(text, @r"
        cd /work/e3
        zstdcat 'disk image.zst' | LC_ALL=C dd of=/dev/sdX bs=4M
        (cd infra && NIX_TOKEN=*** nix eval --json '.#hosts') | jq '.[] | .name' | (cd /tmp && sort)
        true
        ");
    }
}
