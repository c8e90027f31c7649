//! `bench remote`: e3's `run --hosts` (with its sync) against the original
//! way, parallel-rsync (4 at a time) then parallel-ssh running a
//! prun.sh-style script on every host; both on a fresh testbed of network
//! namespaces (needs root).

use std::time::Instant;

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::Cmd;
use e3_run::python;
use jiff::tz::TimeZone;

use super::contender::Contender;
use super::report::{self, Section};
use super::stats::{enough_runs, median};
use super::timing::{Testbed, run_summary, time, time_once};
use crate::error::{Context, Result, failure, usage};
use crate::tools;

pub const SECTION: Section = Section {
    name: "remote",
    title: "Remote runs: e3 against parallel-rsync + parallel-ssh + prun.sh",
    before: "cargo build -p xtask && ",
    needs: " (as root, with openssh-server, rsync and pssh installed)",
};

/// The fewest `--runs` it takes (its help says so).
pub const LEAST_RUNS: usize = 5;
/// The testbed's sizes (`--hosts`; its help says so).
pub const HOSTS: std::ops::RangeInclusive<usize> = 2..=250;

/// Parties per host of the packed measurement (`--packed`).
pub const PACKED_PER_HOST: usize = 4;

/// Refuses options it cannot measure with: usage errors naming the flag.
pub fn check(sizes: &[usize], runs: usize, packed: usize) -> Result<()> {
    if packed != 0 && !HOSTS.contains(&packed) {
        return Err(usage(format!(
            "--packed {packed}: the testbed holds {} to {} hosts",
            HOSTS.start(),
            HOSTS.end()
        ))
        .hint("pass a number of hosts, e.g. --packed 64, or 0 for none"));
    }
    if let Some(hosts) = sizes.iter().find(|h| !HOSTS.contains(h)) {
        return Err(usage(format!(
            "--hosts {hosts}: the testbed holds {} to {} hosts",
            HOSTS.start(),
            HOSTS.end()
        ))
        .hint(format!(
            "pass sizes from {} to {}, comma-separated",
            HOSTS.start(),
            HOSTS.end()
        )));
    }
    if sizes.is_empty() {
        return Err(usage("--hosts: no size given").hint("e.g. --hosts 16,64,128"));
    }
    enough_runs(runs, LEAST_RUNS)
}

/// Its options as typed, for the Reproduce line.
pub fn options(sizes: &[usize], runs: usize, packed: usize) -> Vec<String> {
    let sizes: Vec<String> = sizes.iter().map(usize::to_string).collect();
    vec![
        "--hosts".into(),
        sizes.join(","),
        "--runs".into(),
        runs.to_string(),
        "--packed".into(),
        packed.to_string(),
    ]
}

/// The programs the benchmark runs.
pub struct Tools {
    pub xtask: Utf8PathBuf,
    pub prsync: Utf8PathBuf,
    pub pssh: Utf8PathBuf,
}

/// Where the testbed and the baseline's files go.
pub struct Dirs {
    /// The testbed's folder: its hosts file and ssh config.
    pub bed: Utf8PathBuf,
    /// What the baseline copies to every host.
    pub staging: Utf8PathBuf,
    /// parallel-ssh's output, one file per host.
    pub out: Utf8PathBuf,
}

impl Dirs {
    pub fn in_folder(tmp: &Utf8Path) -> Dirs {
        Dirs {
            bed: tmp.join("e3-bench-testnet"),
            staging: tmp.join("e3-bench-baseline"),
            out: tmp.join("e3-bench-pssh-out"),
        }
    }
}

/// The commands of a remote benchmark, as values.
pub struct Plan {
    /// Makes the Python environment the hosts will use (a local run does it).
    pub prepare: Cmd,
    pub up: Cmd,
    pub down: Cmd,
    /// The baseline: parallel-rsync, then parallel-ssh.
    pub baseline: Contender,
    /// e3 as it runs by default: a run after the first reuses the master
    /// connections the one before kept open.
    pub e3: Contender,
    /// e3 with `--keep-connections 0`: every run connects anew.
    pub e3_anew: Contender,
}

pub fn plan(root: &Utf8Path, tools: &Tools, dirs: &Dirs, hosts: usize) -> Plan {
    let xtask = || Cmd::new(&tools.xtask);
    let (hosts_file, ssh_config) = (dirs.bed.join("hosts.pssh"), dirs.bed.join("ssh_config"));
    let python = root.join(python::VENV_DIR).join("bin/python");
    let ssh_option = format!("-F {ssh_config}");
    let run_there =
        format!("cd /root/e3-baseline && PYTHON={python} ./prun-baseline.sh helloworld.py -T1");
    Plan {
        prepare: xtask().args(["run", "helloworld", "--parties", "1"]),
        up: xtask().args(["testnet", "up", &hosts.to_string()]).args([
            "--name",
            "e3bench",
            "--subnet",
            "10.213.250",
            "--dir",
            dirs.bed.as_str(),
        ]),
        down: xtask().args(["testnet", "down", "--name", "e3bench", "--dir", dirs.bed.as_str()]),
        baseline: Contender::other(
            "original: `parallel-rsync -p 4` then `parallel-ssh` running `scripts/prun-baseline.sh` (baseline)",
            Cmd::new(&tools.prsync).args([
                "-h",
                hosts_file.as_str(),
                "-p",
                "4",
                "-z",
                "-a",
                "-r",
                "-S",
                &ssh_option,
                &format!("{}/", dirs.staging),
                "/root/e3-baseline",
            ]),
        )
        // parallel-ssh's own default of 32 at a time would never connect
        // more parties than that: every host at once.
        .then(Cmd::new(&tools.pssh).args([
            "-h",
            hosts_file.as_str(),
            "-p",
            &hosts.to_string(),
            "-t",
            "0",
            "-x",
            &ssh_option,
            "-o",
            dirs.out.as_str(),
            &run_there,
        ])),
        e3: e3_contender(root, tools, dirs, hosts, Packing::One, true),
        e3_anew: e3_contender(root, tools, dirs, hosts, Packing::One, false),
    }
}

/// How many parties e3 puts on each host, and how it starts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packing {
    One,
    Packed { warm: bool },
}

/// e3's `run --hosts` on the testbed: every host at once, sync included;
/// `kept`: with the connections a run before kept open (e3's default),
/// else connecting anew.
pub fn e3_contender(
    root: &Utf8Path,
    tools: &Tools,
    dirs: &Dirs,
    hosts: usize,
    packing: Packing,
    kept: bool,
) -> Contender {
    let (hosts_file, ssh_config) = (dirs.bed.join("hosts.pssh"), dirs.bed.join("ssh_config"));
    let python = root.join(python::VENV_DIR).join("bin/python");
    let mut cmd = Cmd::new(&tools.xtask).args(["run", "helloworld"]);
    let what = match packing {
        Packing::One if kept => {
            "e3: `xtask run --hosts`, one party a host (sync included), every host at once, over the connections the run before kept open".into()
        }
        Packing::One => {
            cmd = cmd.args(["--keep-connections", "0"]);
            "e3, connecting anew: the same, each run opening and closing its own connections".into()
        }
        Packing::Packed { warm } => {
            cmd = cmd.args([
                "--parties",
                &(hosts * PACKED_PER_HOST).to_string(),
                "--parties-per-host",
                &PACKED_PER_HOST.to_string(),
                if warm { "--warm" } else { "--cold" },
            ]);
            format!(
                "e3, {PACKED_PER_HOST} parties a host, {}",
                if warm { "warm" } else { "cold" }
            )
        }
    };
    Contender::other(
        &what,
        cmd.args([
            "--parallel",
            &hosts.to_string(),
            "--hosts",
            hosts_file.as_str(),
            "--ssh-config",
            ssh_config.as_str(),
            "--remote-python",
            python.as_str(),
            "--json",
            "--",
            "-T1",
        ]),
    )
}

/// What `--dry-run` prints: the testbed made, the contenders, the testbed
/// taken down.
pub fn dry_run(plan: &Plan) -> String {
    let mut text = format!("{}\n", plan.up);
    for c in [&plan.e3, &plan.e3_anew, &plan.baseline] {
        for line in c.dry_run_lines() {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text.push_str(&format!("{}\n", plan.down));
    text
}

/// e3's contenders of the packed measurement on `hosts`, with their
/// numbers of parties: one a host, then packed cold and warm.
fn packed_contenders(
    root: &Utf8Path,
    tools: &Tools,
    dirs: &Dirs,
    hosts: usize,
) -> Vec<(Contender, usize)> {
    let per_host = hosts * PACKED_PER_HOST;
    vec![
        (
            e3_contender(root, tools, dirs, hosts, Packing::One, true),
            hosts,
        ),
        (
            e3_contender(
                root,
                tools,
                dirs,
                hosts,
                Packing::Packed { warm: false },
                true,
            ),
            per_host,
        ),
        (
            e3_contender(
                root,
                tools,
                dirs,
                hosts,
                Packing::Packed { warm: true },
                true,
            ),
            per_host,
        ),
    ]
}

pub fn run(
    root: &Utf8Path,
    dry_run: bool,
    sizes: &[usize],
    runs: usize,
    packed: usize,
) -> Result<Option<String>> {
    check(sizes, runs, packed)?;
    let tools = Tools {
        prsync: tools::require(
            "parallel-rsync",
            "install pssh (Debian/Ubuntu: `apt-get install pssh`)",
        )?,
        pssh: tools::require(
            "parallel-ssh",
            "install pssh (Debian/Ubuntu: `apt-get install pssh`)",
        )?,
        xtask: crate::request::launcher()?,
    };
    let tmp = Utf8PathBuf::from_path_buf(std::env::temp_dir())
        .map_err(|_| failure("the temp folder is not UTF-8"))?;
    let dirs = Dirs::in_folder(&tmp);
    if dry_run {
        for &hosts in sizes {
            crate::out::print(&self::dry_run(&plan(root, &tools, &dirs, hosts)));
        }
        if packed > 0 {
            let plan = plan(root, &tools, &dirs, packed);
            let mut text = format!("{}\n", plan.up);
            for (c, _) in packed_contenders(root, &tools, &dirs, packed) {
                text.push_str(&format!("{}\n", c.dry_run_lines().join("\n")));
            }
            text.push_str(&format!("{}\n", plan.down));
            crate::out::print(&text);
        }
        return Ok(None);
    }
    let mut rows = Vec::new();
    let mut last_plan = None;
    for &hosts in sizes {
        let plan = plan(root, &tools, &dirs, hosts);
        time_once(root, &plan.prepare)?;
        let bed = Testbed::up(root, &plan.up, &plan.down)?;
        let result = measure(root, &plan, &dirs, hosts, runs);
        drop(bed);
        let _ = std::fs::remove_dir_all(&dirs.staging);
        let _ = std::fs::remove_dir_all(&dirs.out);
        rows.push((hosts, result?));
        last_plan = Some(plan);
    }
    let packed_rows = match packed {
        0 => None,
        hosts => {
            let plan = plan(root, &tools, &dirs, hosts);
            let bed = Testbed::up(root, &plan.up, &plan.down)?;
            let contenders = packed_contenders(root, &tools, &dirs, hosts);
            let result = measure_packed(root, &contenders, runs);
            drop(bed);
            Some((hosts, contenders, result?))
        }
    };
    let plan = last_plan.expect("at least one size");
    let mut text = format!(
        "Measured {} on this machine ({} cores): testbeds of {} hosts (`cargo xtask testnet up N`: \
         network namespaces with their own sshd, every host knowing every other's link-layer address), \
         one party of `demos/helloworld.py -T1` per host (MPyC's default threshold at 128 parties would make the protocol, not the start, the measure), {runs} interleaved runs each after one warm-up run. \
         \"All connected\" is from the start of the command until the last party logged MPyC's \
         `All N parties connected.` Both sides reach every host at once: parallel-ssh with `-p N` \
         (its default of 32 at a time would never connect more than 32 parties: the first 32 wait for \
         the rest, which never start), e3 with `--parallel N`. \
         e3 keeps each host's ssh connection open after a run (`--keep-connections`, 600 s by default), so its \
         measured runs, after the warm-up, reuse them, as a researcher's second and later runs do; \
         \"e3 anew\" is e3 with `--keep-connections 0`, every run opening its connections (one key exchange a host, \
         against the original's two: parallel-rsync's and parallel-ssh's), as a first run does.\n\n\
         | hosts | original wall | original all connected | e3 wall | e3 all connected | ratio (wall) | e3 anew wall | e3 anew all connected | ratio anew |\n\
         |---|---|---|---|---|---|---|---|---|\n",
        report::now_utc(),
        report::cores(),
        sizes
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    );
    for (hosts, m) in &rows {
        text.push_str(&format!(
            "| {hosts} | {:.3} s | {:.3} s | {:.3} s | {:.3} s | {:.3} (target ≤ 0.70) | {:.3} s | {:.3} s | {:.3} |\n",
            m.base_wall,
            m.base_connected,
            m.e3.wall,
            m.e3.connected,
            m.e3.wall / m.base_wall,
            m.anew.wall,
            m.anew.connected,
            m.anew.wall / m.base_wall,
        ));
    }
    text.push_str(&format!(
        "\nCommands, at {} hosts:\n\n{}",
        sizes[sizes.len() - 1],
        report::commands(root, [&plan.baseline, &plan.e3, &plan.e3_anew])
    ));
    if let Some((hosts, contenders, medians)) = packed_rows {
        text.push_str(&packed_table(root, hosts, &contenders, &medians, runs));
    }
    Ok(Some(text))
}

/// The packed measurement's paragraph, table and commands.
fn packed_table(
    root: &Utf8Path,
    hosts: usize,
    contenders: &[(Contender, usize)],
    medians: &[(f64, Option<f64>)],
    runs: usize,
) -> String {
    let parties = hosts * PACKED_PER_HOST;
    let mut text = format!(
        "\n{parties} parties on {hosts} hosts ({PACKED_PER_HOST} a host) against e3's own {hosts} \
         hosts × 1, on one testbed of {hosts} hosts, {runs} interleaved runs each after one \
         warm-up round. prun.sh cannot do this (it finds one index per hostname), so the \
         original path has no row here. Warm: one Python a host loads numpy and gmpy2 once, \
         then forks its {PACKED_PER_HOST} parties.\n\n\
         | parties | wall | all connected | wall against {hosts} × 1 |\n|---|---|---|---|\n"
    );
    let base = medians.first().map_or(f64::NAN, |m| m.0);
    let starts = ["", " cold", " warm"];
    for (((_, n), (wall, connected)), start) in contenders.iter().zip(medians).zip(starts) {
        let how = match *n == hosts {
            true => format!("{hosts} × 1"),
            false => format!("{n} on {hosts},{start}"),
        };
        text.push_str(&format!(
            "| {how} | {wall:.3} s | {} | {:.2} |\n",
            connected.map_or("—".into(), |c| format!("{c:.3} s")),
            wall / base
        ));
    }
    let cs: Vec<&Contender> = contenders.iter().map(|(c, _)| c).collect();
    text.push_str(&format!(
        "\nCommands:\n\n{}",
        report::commands(root, cs[1..].iter().copied())
    ));
    text
}

/// One size's medians.
struct Measured {
    base_wall: f64,
    base_connected: f64,
    e3: Medians,
    anew: Medians,
}

/// An e3 contender's medians.
struct Medians {
    wall: f64,
    connected: f64,
}

/// An e3 contender's runs.
#[derive(Default)]
struct E3Runs {
    wall: Vec<f64>,
    connected: Vec<f64>,
}

impl E3Runs {
    fn medians(&self) -> Medians {
        Medians {
            wall: median(&self.wall),
            connected: median(&self.connected),
        }
    }
}

fn measure(
    root: &Utf8Path,
    plan: &Plan,
    dirs: &Dirs,
    hosts: usize,
    runs: usize,
) -> Result<Measured> {
    stage_baseline(root, dirs)?;
    // MPyC logs local times; the parties run on this machine.
    let zone = TimeZone::system();
    let (mut e3, mut anew) = (E3Runs::default(), E3Runs::default());
    let mut base_wall = Vec::new();
    let mut base_connected = Vec::new();
    for round in 0..=runs {
        let (wall, connected) = e3_once(root, &plan.e3, hosts, &zone)?;
        let (awall, aconnected) = e3_once(root, &plan.e3_anew, hosts, &zone)?;

        let _ = std::fs::remove_dir_all(&dirs.out);
        let base_started = now_secs();
        let t = Instant::now();
        time(root, &plan.baseline)?;
        let bwall = t.elapsed().as_secs_f64();
        let logs: Vec<String> = dirs
            .out
            .read_dir_utf8()
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect();
        let bconnected = all_connected_at(&logs, hosts, &zone).map(|at| at - base_started);
        crate::out::errln!(
            "bench: round {round}/{runs}: e3 {wall:.3}s (all connected {}), e3 anew {awall:.3}s (all connected {}), baseline {bwall:.3}s (all connected {})",
            fmt_opt(connected),
            fmt_opt(aconnected),
            fmt_opt(bconnected)
        );
        if round == 0 {
            continue; // warm-up
        }
        e3.wall.push(wall);
        e3.connected.extend(connected);
        anew.wall.push(awall);
        anew.connected.extend(aconnected);
        base_wall.push(bwall);
        base_connected.extend(bconnected);
    }
    Ok(Measured {
        base_wall: median(&base_wall),
        base_connected: median(&base_connected),
        e3: e3.medians(),
        anew: anew.medians(),
    })
}

/// One e3 run of `parties`: its wall time and when all had connected.
fn e3_once(
    root: &Utf8Path,
    e3: &Contender,
    parties: usize,
    zone: &TimeZone,
) -> Result<(f64, Option<f64>)> {
    let started = now_secs();
    let run = run_summary(root, &e3.steps[0])?;
    Ok((
        run.secs,
        all_connected_at(&run.logs(root), parties, zone).map(|at| at - started),
    ))
}

/// e3 alone on a testbed of `hosts`: one party a host, then
/// [`PACKED_PER_HOST`] a host cold and warm, interleaved; medians of each
/// (wall, all connected), in that order.
fn measure_packed(
    root: &Utf8Path,
    contenders: &[(Contender, usize)],
    runs: usize,
) -> Result<Vec<(f64, Option<f64>)>> {
    let zone = TimeZone::system();
    let mut walls = vec![Vec::new(); contenders.len()];
    let mut connected = vec![Vec::new(); contenders.len()];
    for round in 0..=runs {
        for (i, (e3, parties)) in contenders.iter().enumerate() {
            let (wall, all) = e3_once(root, e3, *parties, &zone)?;
            crate::out::errln!(
                "bench: round {round}/{runs}: {} parties: {wall:.3}s (all connected {})",
                parties,
                fmt_opt(all)
            );
            if round > 0 {
                walls[i].push(wall);
                connected[i].extend(all);
            }
        }
    }
    Ok(walls
        .iter()
        .zip(&connected)
        .map(|(w, c)| (median(w), (!c.is_empty()).then(|| median(c))))
        .collect())
}

/// The baseline's folder: the demos, its prun script and the hosts file.
fn stage_baseline(root: &Utf8Path, dirs: &Dirs) -> Result<()> {
    let staging = &dirs.staging;
    let _ = std::fs::remove_dir_all(staging);
    std::fs::create_dir_all(staging).context(|| format!("cannot create {staging}"))?;
    for entry in root
        .join("demos")
        .read_dir_utf8()
        .context(|| "cannot read demos/".to_string())?
        .flatten()
    {
        if entry.file_name().ends_with(".py") {
            std::fs::copy(entry.path(), staging.join(entry.file_name()))
                .context(|| format!("cannot copy {}", entry.path()))?;
        }
    }
    std::fs::copy(
        root.join("scripts/prun-baseline.sh"),
        staging.join("prun-baseline.sh"),
    )
    .context(|| "cannot copy scripts/prun-baseline.sh".to_string())?;
    std::fs::copy(dirs.bed.join("hosts.pssh"), staging.join("hosts.pssh"))
        .context(|| "cannot copy hosts.pssh".to_string())?;
    Ok(())
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map_or("?".to_string(), |s| format!("{s:.3}s"))
}

fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// When the last of `parties` logs said MPyC's "All n parties connected."
fn all_connected_at(logs: &[String], parties: usize, zone: &TimeZone) -> Option<f64> {
    let times: Vec<f64> = logs
        .iter()
        .filter_map(|log| {
            let line = log.lines().find(|l| prun::mpyc::is_connected_line(l))?;
            logged_at(line, zone)
        })
        .collect();
    (times.len() == parties).then(|| times.into_iter().fold(f64::MIN, f64::max))
}

/// When MPyC logged a line, in seconds since the epoch: its lines start with
/// Python logging's asctime, `2026-11-23 20:18:40,473`, in `zone`'s time.
fn logged_at(line: &str, zone: &TimeZone) -> Option<f64> {
    let civil = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S,%f", line.get(..23)?).ok()?;
    // A time that a clock change repeats or skips is taken as before the change.
    let at = zone.to_timestamp(civil).ok()?;
    Some(at.as_millisecond() as f64 / 1000.0)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub fn plan_of_four() -> Plan {
        let tools = Tools {
            xtask: "/e3/target/debug/xtask".into(),
            prsync: "/usr/bin/parallel-rsync".into(),
            pssh: "/usr/bin/parallel-ssh".into(),
        };
        plan("/e3".into(), &tools, &Dirs::in_folder("/tmp".into()), 4)
    }

    #[test]
    fn dry_run_prints_the_testbed_and_both_contenders() {
        insta::assert_snapshot!(dry_run(&plan_of_four()));
    }

    #[test]
    fn commands_as_the_figures_show_them() {
        let plan = plan_of_four();
        insta::assert_snapshot!(report::commands("/e3".into(), [&plan.baseline, &plan.e3]));
    }

    /// The packed table names its rows by what they ran, compares each with
    /// one party a host, and says when the parties never all connected.
    #[test]
    fn packed_rows_against_one_a_host() {
        let tools = Tools {
            xtask: "/e3/target/debug/xtask".into(),
            prsync: "/usr/bin/parallel-rsync".into(),
            pssh: "/usr/bin/parallel-ssh".into(),
        };
        let contenders =
            packed_contenders("/e3".into(), &tools, &Dirs::in_folder("/tmp".into()), 4);
        let medians = [(2.0, Some(1.5)), (5.0, Some(4.0)), (3.0, None)];
        insta::assert_snapshot!(packed_table("/e3".into(), 4, &contenders, &medians, 5));
    }

    #[test]
    fn mpyc_log_times() {
        let line = "2026-11-23 20:53:00,250 All 3 parties connected.";
        assert_eq!(logged_at(line, &TimeZone::UTC), Some(1_795_467_180.25));
        let cet = TimeZone::fixed(jiff::tz::offset(1));
        assert_eq!(logged_at(line, &cet), Some(1_795_463_580.25));
        assert_eq!(logged_at("Start MPyC runtime v0.11", &TimeZone::UTC), None);
    }
}
