//! `cargo xtask bench ...`: performance figures, measured against the
//! baseline each one names, written to `docs/benchmarks.md`.
//!
//! A benchmark times whole commands as a person would at a shell, so it runs
//! them with xshell (one [`Shell`] at the workspace root, passed to each
//! benchmark), not as plans: the one task that starts processes itself.

use std::fmt::Write as _;
use std::time::Instant;

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::Cmd as PlanCmd;
use e3_run::python::{self, Python};
use jiff::tz::TimeZone;
use xshell::{Cmd, Shell, cmd};

use crate::cli::{Bench, BenchArgs};
use crate::error::{Context, Result, failure, usage};
use crate::tools;

const DOC: &str = "docs/benchmarks.md";

pub fn run(root: &Utf8Path, dry_run: bool, args: &BenchArgs) -> Result<()> {
    let sh = Shell::new().map_err(|e| failure(format!("cannot make a shell: {e}")))?;
    sh.change_dir(root);
    match args.which {
        Bench::RunOverhead { runs } => run_overhead(&sh, root, dry_run, runs),
        Bench::ColdBuild => cold_build(&sh, root, dry_run),
        Bench::Remote { hosts, runs } => remote(&sh, root, dry_run, hosts, runs),
        Bench::ManyParties { runs, ref parties } => many_parties(&sh, root, dry_run, runs, parties),
        Bench::Net { runs } => net(&sh, root, dry_run, runs),
    }
}

/// A command to time (in `dir`, when not at the root), and what it stands for.
struct Contender<'a> {
    name: &'static str,
    cmd: Cmd<'a>,
    dir: Option<Utf8PathBuf>,
    target: Option<f64>,
    times: Vec<f64>,
}

impl Contender<'_> {
    fn time(&self, sh: &Shell) -> Result<f64> {
        let _dir = self.dir.as_ref().map(|dir| sh.push_dir(dir));
        time_once(&self.cmd)
    }
}

fn run_overhead(sh: &Shell, root: &Utf8Path, dry_run: bool, runs: usize) -> Result<()> {
    if runs < 5 {
        return Err(usage(
            "--runs must be at least 5 for a median worth reporting",
        ));
    }
    let xtask = std::env::current_exe().context(|| "cannot find the xtask binary".to_string())?;
    let xtask = xtask.to_string_lossy().into_owned();
    let cargo = tools::require("cargo", "install Rust with rustup (https://rustup.rs)")?;
    let python = super::run::resolve_python(root, None)?;
    let interpreter = python.interpreter();
    let e3_args = ["run", "secretsanta", "--parties", "6", "--", "3"];
    let mut contenders = vec![
        Contender {
            name: "MPyC's own launcher: `python secretsanta.py 3 -M6` (baseline)",
            cmd: cmd!(sh, "{interpreter} secretsanta.py 3 -M6").ignore_status(),
            dir: Some(root.join("demos")),
            target: None,
            times: vec![],
        },
        Contender {
            name: "e3, the built xtask binary: `xtask run secretsanta --parties 6 -- 3`",
            cmd: cmd!(sh, "{xtask} {e3_args...}").ignore_status(),
            dir: None,
            target: Some(1.05),
            times: vec![],
        },
        Contender {
            name: "e3 through cargo: `cargo xtask run secretsanta --parties 6 -- 3`",
            cmd: cmd!(sh, "{cargo} xtask {e3_args...}").ignore_status(),
            dir: None,
            target: Some(1.10),
            times: vec![],
        },
    ];
    if dry_run {
        for c in &contenders {
            let dir = c
                .dir
                .as_ref()
                .map(|d| format!("cd {d} && "))
                .unwrap_or_default();
            println!("{dir}{}  # {}", c.cmd, c.name);
        }
        return Ok(());
    }
    if let Python::Managed(m) = &python
        && !m.up_to_date
    {
        eprintln!("bench: making the python env first");
    }
    // One untimed run of each: builds the environment, warms the caches.
    for c in &contenders {
        c.time(sh)?;
    }
    for round in 1..=runs {
        for c in &mut contenders {
            let secs = c.time(sh)?;
            c.times.push(secs);
        }
        eprintln!(
            "bench: round {round}/{runs}: {}",
            contenders
                .iter()
                .map(|c| format!("{:.3}s", c.times[round - 1]))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let base = median(&contenders[0].times);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Measured {} on this machine ({} cores), {runs} interleaved runs each after one warm-up run; \
         6 parties of `demos/secretsanta.py 3`, the same interpreter (`{}`) for all.\n",
        now_utc(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        python::VENV_DIR
    );
    let _ = writeln!(
        text,
        "| command | median wall | min | max | ratio to baseline | target |"
    );
    let _ = writeln!(text, "|---|---|---|---|---|---|");
    let mut missed = Vec::new();
    for c in &contenders {
        let m = median(&c.times);
        let ratio = m / base;
        let target = c.target.map_or("-".to_string(), |t| format!("≤ {t:.2}"));
        if c.target.is_some_and(|t| ratio > t) {
            missed.push(c.name);
        }
        let _ = writeln!(
            text,
            "| {} | {m:.3} s | {:.3} s | {:.3} s | {ratio:.3} | {target} |",
            c.name,
            c.times.iter().cloned().fold(f64::INFINITY, f64::min),
            c.times.iter().cloned().fold(0.0, f64::max),
        );
    }
    let _ = writeln!(
        text,
        "\nReproduce: `cargo build -p xtask && cargo xtask bench run-overhead --runs {runs}`."
    );
    print!("{text}");
    write_section(
        root,
        "run-overhead",
        "Run overhead: e3 against MPyC's own launcher",
        &text,
    )?;
    eprintln!("bench: wrote {DOC}");
    if !missed.is_empty() {
        eprintln!("bench: target missed by: {}", missed.join("; "));
    }
    Ok(())
}

fn cold_build(sh: &Shell, root: &Utf8Path, dry_run: bool) -> Result<()> {
    let git = tools::require("git", "install git (Debian/Ubuntu: `apt-get install git`)")?;
    let cargo = tools::require("cargo", "install Rust with rustup (https://rustup.rs)")?;
    let tmp = std::env::temp_dir().join(format!("e3-cold-build-{}", std::process::id()));
    let tmp = camino::Utf8PathBuf::from_path_buf(tmp)
        .map_err(|_| failure("the temp folder is not UTF-8"))?;
    let clone = cmd!(sh, "{git} clone --quiet {root} {tmp}").ignore_status();
    let build = cmd!(sh, "{cargo} xtask --help")
        .env("CARGO_TARGET_DIR", tmp.join("target"))
        .ignore_status();
    if dry_run {
        println!("{clone}\ncd {tmp} && CARGO_TARGET_DIR={tmp}/target {build}\nrm -rf {tmp}");
        return Ok(());
    }
    let result = (|| {
        time_once(&clone)?;
        let _clone = sh.push_dir(&tmp);
        time_once(&build)
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    let secs = result?;
    let text = format!(
        "Measured {} on this machine ({} cores): a fresh clone of the committed tree, an empty target \
         folder, crates already in cargo's download cache.\n\n\
         | command | wall | target |\n|---|---|---|\n| `cargo xtask --help`, cold | {secs:.1} s | < 60 s |\n\n\
         Reproduce: `cargo xtask bench cold-build`.\n",
        now_utc(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    print!("{text}");
    write_section(root, "cold-build", "Cold build of the xtask binary", &text)?;
    eprintln!("bench: wrote {DOC}");
    Ok(())
}

/// e3's `run --hosts` (with its sync) against the original way: parallel-rsync
/// (4 at a time), then parallel-ssh running a prun.sh-style script on every
/// host. Both on a fresh testbed of `hosts` network namespaces.
fn remote(sh: &Shell, root: &Utf8Path, dry_run: bool, hosts: usize, runs: usize) -> Result<()> {
    if runs < 5 {
        return Err(usage(
            "--runs must be at least 5 for a median worth reporting",
        ));
    }
    if !(2..=64).contains(&hosts) {
        return Err(usage("--hosts must be 2 to 64"));
    }
    let prsync = tools::require(
        "parallel-rsync",
        "install pssh (Debian/Ubuntu: `apt-get install pssh`)",
    )?;
    let pssh = tools::require(
        "parallel-ssh",
        "install pssh (Debian/Ubuntu: `apt-get install pssh`)",
    )?;
    let xtask = std::env::current_exe().context(|| "cannot find the xtask binary".to_string())?;
    let xtask =
        Utf8PathBuf::from_path_buf(xtask).map_err(|_| failure("the xtask path is not UTF-8"))?;
    let tmp = Utf8PathBuf::from_path_buf(std::env::temp_dir())
        .map_err(|_| failure("the temp folder is not UTF-8"))?;
    let bed = tmp.join("e3-bench-testnet");
    let staging = tmp.join("e3-bench-baseline");
    let out_dir = tmp.join("e3-bench-pssh-out");
    let (hosts_file, ssh_config) = (bed.join("hosts.pssh"), bed.join("ssh_config"));
    let python = root.join(python::VENV_DIR).join("bin/python");
    let n = hosts.to_string();
    let up = cmd!(
        sh,
        "{xtask} testnet up {n} --name e3bench --subnet 10.213.250 --dir {bed}"
    )
    .ignore_status();
    let down = cmd!(sh, "{xtask} testnet down --name e3bench --dir {bed}")
        .ignore_status()
        .quiet();
    let e3 = cmd!(
        sh,
        "{xtask} run helloworld --hosts {hosts_file} --ssh-config {ssh_config} --remote-python {python} --json"
    )
    .ignore_status();
    let (ssh_option, run_there) = (
        format!("-F {ssh_config}"),
        format!("cd /root/e3-baseline && PYTHON={python} ./prun-baseline.sh helloworld.py"),
    );
    let baseline_sync = cmd!(
        sh,
        "{prsync} -h {hosts_file} -p 4 -z -a -r -S {ssh_option} {staging}/ /root/e3-baseline"
    )
    .ignore_status();
    let baseline_run = cmd!(
        sh,
        "{pssh} -h {hosts_file} -t 0 -x {ssh_option} -o {out_dir} {run_there}"
    )
    .ignore_status();
    if dry_run {
        for cmd in [&up, &e3, &baseline_sync, &baseline_run, &down] {
            println!("{cmd}");
        }
        return Ok(());
    }
    // Make the Python environment the hosts will use (a local run does it).
    time_once(&cmd!(sh, "{xtask} run helloworld --parties 1").ignore_status())?;
    let _ = down.output();
    time_once(&up)?;
    let result = (|| {
        // The baseline's folder: the demos, its prun script and the hosts file.
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).context(|| format!("cannot create {staging}"))?;
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
        std::fs::copy(&hosts_file, staging.join("hosts.pssh"))
            .context(|| "cannot copy hosts.pssh".to_string())?;
        // MPyC logs local times; the parties run on this machine.
        let zone = TimeZone::system();
        let mut e3_wall = Vec::new();
        let mut e3_connected = Vec::new();
        let mut base_wall = Vec::new();
        let mut base_connected = Vec::new();
        for round in 0..=runs {
            let started = now_secs();
            let t = Instant::now();
            let out = e3.output().map_err(|e| failure(e.to_string()))?;
            let wall = t.elapsed().as_secs_f64();
            if !out.status.success() {
                return Err(failure(format!(
                    "e3's run failed ({}):\n{}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
            let summary: serde_json::Value = serde_json::from_slice(&out.stdout)
                .map_err(|e| failure(format!("e3 printed no summary: {e}")))?;
            let logs: Vec<String> = summary["parties"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| std::fs::read_to_string(root.join(p["log"].as_str()?)).ok())
                .collect();
            let connected = all_connected_at(&logs, hosts, &zone).map(|at| at - started);

            let _ = std::fs::remove_dir_all(&out_dir);
            let base_started = now_secs();
            let t = Instant::now();
            time_once(&baseline_sync)?;
            time_once(&baseline_run)?;
            let bwall = t.elapsed().as_secs_f64();
            let logs: Vec<String> = out_dir
                .read_dir_utf8()
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect();
            let bconnected = all_connected_at(&logs, hosts, &zone).map(|at| at - base_started);
            eprintln!(
                "bench: round {round}/{runs}: e3 {wall:.3}s (all connected {}), baseline {bwall:.3}s (all connected {})",
                fmt_opt(connected),
                fmt_opt(bconnected)
            );
            if round == 0 {
                continue; // warm-up
            }
            e3_wall.push(wall);
            base_wall.push(bwall);
            e3_connected.extend(connected);
            base_connected.extend(bconnected);
        }
        let (e, b) = (median(&e3_wall), median(&base_wall));
        let (ec, bc) = (median(&e3_connected), median(&base_connected));
        let text = format!(
            "Measured {} on this machine ({} cores): a testbed of {hosts} hosts (`cargo xtask testnet up {hosts}`: \
             network namespaces with their own sshd), one party of `demos/helloworld.py` per host, \
             {runs} interleaved runs each after one warm-up run. \"All connected\" is from the start of the \
             command until the last party logged MPyC's `All {hosts} parties connected.`\n\n\
             | command | median wall | median until all connected | ratio (wall) |\n|---|---|---|---|\n\
             | original: `parallel-rsync -p 4` then `parallel-ssh` running `scripts/prun-baseline.sh` (baseline) | {b:.3} s | {bc:.3} s | 1.000 |\n\
             | e3: `xtask run helloworld --hosts ... --parties {hosts}` (sync included) | {e:.3} s | {ec:.3} s | {:.3} (target ≤ 0.80) |\n\n\
             Reproduce (as root, with openssh-server, rsync and pssh installed): \
             `cargo build -p xtask && cargo xtask bench remote --hosts {hosts} --runs {runs}`.\n",
            now_utc(),
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            e / b,
        );
        print!("{text}");
        write_section(
            root,
            "remote",
            "Remote runs: e3 against parallel-rsync + parallel-ssh + prun.sh",
            &text,
        )?;
        eprintln!("bench: wrote {DOC}");
        Ok(())
    })();
    let _ = down.output();
    let _ = std::fs::remove_dir_all(&staging);
    let _ = std::fs::remove_dir_all(&out_dir);
    result
}

/// Many local parties: e3 warm and cold against MPyC's own `-M m -T1`
/// launcher, the same interpreter for all, interleaved; wall time and the
/// peak memory of the whole run (PSS summed over its process tree).
fn many_parties(
    sh: &Shell,
    root: &Utf8Path,
    dry_run: bool,
    runs: usize,
    counts: &[usize],
) -> Result<()> {
    if runs < 3 {
        return Err(usage("--runs must be at least 3 for a median"));
    }
    if counts.is_empty() || counts.iter().any(|m| !(2..=256).contains(m)) {
        return Err(usage("--parties: counts from 2 to 256"));
    }
    let xtask = super::run::launcher()?;
    let python = super::run::resolve_python(root, None)?;
    let interpreter = python.interpreter();
    // Sampled while they run, so these go through the executor (which
    // starts them) rather than xshell.
    let contenders = |m: usize| {
        let m = m.to_string();
        [
            (
                "MPyC's own launcher: `python helloworld.py -M m -T1` (baseline)",
                PlanCmd::new(&interpreter)
                    .args(["helloworld.py", &format!("-M{m}"), "-T1"])
                    .cwd(root.join("demos")),
            ),
            (
                "e3 warm: `xtask run helloworld --parties m --warm -- -T1`",
                PlanCmd::new(&xtask).args([
                    "run",
                    "helloworld",
                    "--parties",
                    &m,
                    "--warm",
                    "--json",
                    "--",
                    "-T1",
                ]),
            ),
            (
                "e3 cold: `xtask run helloworld --parties m -- -T1`",
                PlanCmd::new(&xtask).args([
                    "run",
                    "helloworld",
                    "--parties",
                    &m,
                    "--json",
                    "--",
                    "-T1",
                ]),
            ),
        ]
    };
    if dry_run {
        for &m in counts {
            for (name, cmd) in contenders(m) {
                println!("{cmd}  # {name}");
            }
        }
        return Ok(());
    }
    // One untimed run: makes the Python environment, warms the caches.
    time_once(&cmd!(sh, "{xtask} run helloworld --parties 2").ignore_status())?;
    let mut rows = Vec::new();
    for &m in counts {
        let list = contenders(m);
        let mut times = vec![Vec::new(); list.len()];
        let mut peaks = vec![0u64; list.len()];
        for round in 1..=runs {
            for (i, (_, cmd)) in list.iter().enumerate() {
                let (secs, peak_kb) = time_with_memory(root, cmd)?;
                times[i].push(secs);
                peaks[i] = peaks[i].max(peak_kb);
            }
            eprintln!(
                "bench: {m} parties, round {round}/{runs}: {}",
                times
                    .iter()
                    .map(|t| format!("{:.2}s", t[round - 1]))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        rows.push((m, times, peaks));
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Measured {} on this machine ({} cores): local parties of e3's `demos/helloworld.py` with `-T1` \
         (every party says hello, then they securely add up their indices: the work of MPyC's own \
         helloworld, which its PyPI package does not ship), {runs} interleaved runs of each, the same \
         interpreter (`{}`) for all. Peak memory is the most the whole run held at once: the PSS of \
         every process in its tree, summed, sampled every 50 ms.\n",
        now_utc(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        python::VENV_DIR
    );
    let _ = writeln!(
        text,
        "| parties | MPyC `-M m` (baseline) | e3 warm | ratio | e3 cold | ratio | peak memory: MPyC / warm / cold |"
    );
    let _ = writeln!(text, "|---|---|---|---|---|---|---|");
    for (m, times, peaks) in &rows {
        let base = median(&times[0]);
        let (warm, cold) = (median(&times[1]), median(&times[2]));
        let target = if *m == 64 { " (target ≤ 0.35)" } else { "" };
        let _ = writeln!(
            text,
            "| {m} | {base:.2} s | {warm:.2} s | {:.2}{target} | {cold:.2} s | {:.2} | {} / {} / {} MB |",
            warm / base,
            cold / base,
            peaks[0] / 1024,
            peaks[1] / 1024,
            peaks[2] / 1024,
        );
    }
    let _ = writeln!(
        text,
        "\nReproduce: `cargo build -p xtask && cargo xtask bench many-parties --runs {runs}`."
    );
    print!("{text}");
    write_section(
        root,
        "many-parties",
        "Many parties on one machine: warm and cold starts against MPyC's own launcher",
        &text,
    )?;
    eprintln!("bench: wrote {DOC}");
    Ok(())
}

/// `run --net` against its profile: what a ping-pong measures between every
/// pair of parties (6 parties, then 64), a bulk transfer against its cap,
/// and what going through the relays costs (lan against no --net).
fn net(sh: &Shell, root: &Utf8Path, dry_run: bool, runs: usize) -> Result<()> {
    if runs < 5 {
        return Err(usage(
            "--runs must be at least 5 for a median worth reporting",
        ));
    }
    let xtask = super::run::launcher()?;
    let pingpong = "crates/e3-net/pingpong.py";
    let cap_profile = root.join(".e3/bench-cap.toml");
    let cap_mbit = 50.0;
    let bulk_bytes = 12_500_000u64; // 2 s at the cap
    let commands = [
        format!("{xtask} run {pingpong} --parties 6 --net e3-4regions --json -- --pings 20"),
        format!(
            "{xtask} run {pingpong} --parties 64 --net e3-4regions --placement ams3=16,sfo3=16,nyc3=16,sgp1=16 --timeout 600 --json -- --pings 5 --concurrency 1 --gap 25"
        ),
        format!(
            "{xtask} run {pingpong} --parties 2 --net {cap_profile} --json -- --pings 3 --bulk {bulk_bytes}"
        ),
        format!(
            "{xtask} run secretsanta --parties 6 --net lan --json   # against the same without --net, {runs} runs each, interleaved"
        ),
    ];
    if dry_run {
        for c in commands {
            println!("{c}");
        }
        return Ok(());
    }
    std::fs::write(
        &cap_profile,
        format!("source = \"bench: a {cap_mbit} Mbit/s link\"\nplacement = {{ x = 2 }}\n[rtt_ms]\nintra = 2\n[bandwidth_mbit]\ndefault = {cap_mbit}\n"),
    )
    .context(|| format!("cannot write {cap_profile}"))?;
    let profile = super::run::resolve_profile(root, "e3-4regions", None)?;
    let run_json = |args: &[&str]| -> Result<serde_json::Value> {
        let out = cmd!(sh, "{xtask} run {args...}")
            .ignore_status()
            .output()
            .map_err(|e| failure(format!("xtask run failed to start: {e}")))?;
        if !out.status.success() {
            return Err(failure(format!(
                "`xtask run {}` failed:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        serde_json::from_slice(&out.stdout).map_err(|e| failure(format!("not a summary: {e}")))
    };
    let lines_of = |summary: &serde_json::Value, prefix: &str| -> Vec<Vec<String>> {
        summary["parties"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["log"].as_str())
            .filter_map(|log| std::fs::read_to_string(root.join(log)).ok())
            .flat_map(|text| {
                text.lines()
                    .filter_map(|l| l.strip_prefix(prefix))
                    .map(|l| l.split_whitespace().map(str::to_string).collect())
                    .collect::<Vec<Vec<String>>>()
            })
            .collect()
    };
    // Round trips: (pairs, within the tolerance, worst error in ms and %).
    let accuracy = |profile: &e3_net::Profile, summary: &serde_json::Value| {
        let regions = profile.regions_of_parties();
        let (mut pairs, mut within, mut worst_ms, mut worst_pct) = (0, 0, 0.0f64, 0.0f64);
        for words in lines_of(summary, "pingpong ") {
            let (a, b): (usize, usize) =
                (words[0].parse().unwrap_or(0), words[1].parse().unwrap_or(0));
            let measured: f64 = words[2].parse().unwrap_or(f64::NAN);
            let want = profile.rtt(&regions[a], &regions[b]);
            let error = (measured - want).abs();
            pairs += 1;
            if error <= (want * 0.05).max(1.0) {
                within += 1;
            }
            worst_ms = worst_ms.max(error);
            if want > 0.0 {
                worst_pct = worst_pct.max(100.0 * error / want);
            }
        }
        (pairs, within, worst_ms, worst_pct)
    };
    // One untimed run: makes the Python environment, warms the caches.
    time_once(&cmd!(sh, "{xtask} run helloworld --parties 2").ignore_status())?;
    eprintln!("bench: ping-pong, 6 parties");
    let six = accuracy(
        &profile,
        &run_json(&[
            pingpong,
            "--parties",
            "6",
            "--net",
            "e3-4regions",
            "--json",
            "--",
            "--pings",
            "20",
        ])?,
    );
    eprintln!("bench: ping-pong, 64 parties");
    let placement = "ams3=16,sfo3=16,nyc3=16,sgp1=16";
    let sixty_four = accuracy(
        &profile
            .with_placement(placement)
            .map_err(|e| failure(e.to_string()))?,
        &run_json(&[
            pingpong,
            "--parties",
            "64",
            "--net",
            "e3-4regions",
            "--placement",
            placement,
            "--timeout",
            "600",
            "--json",
            "--",
            "--pings",
            "5",
            "--concurrency",
            "1",
            "--gap",
            "25",
        ])?,
    );
    eprintln!("bench: bulk transfer at {cap_mbit} Mbit/s");
    let bulk = run_json(&[
        pingpong,
        "--parties",
        "2",
        "--net",
        cap_profile.as_str(),
        "--json",
        "--",
        "--pings",
        "3",
        "--bulk",
        &bulk_bytes.to_string(),
    ])?;
    let bulk_mbit: f64 = lines_of(&bulk, "bulk ")
        .first()
        .and_then(|w| w.get(2))
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| failure("the bulk transfer printed no figure"))?;
    let mpyc_secs = |summary: &serde_json::Value| {
        summary["parties"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["mpyc_elapsed_secs"].as_f64())
            .fold(0.0, f64::max)
    };
    let (mut direct, mut lan) = (Vec::new(), Vec::new());
    let (mut direct_mpyc, mut lan_mpyc) = (Vec::new(), Vec::new());
    for round in 1..=runs {
        for (with_net, times, mpyc) in [
            (false, &mut direct, &mut direct_mpyc),
            (true, &mut lan, &mut lan_mpyc),
        ] {
            let mut args = vec!["secretsanta", "--parties", "6", "--json"];
            if with_net {
                args.extend(["--net", "lan"]);
            }
            let start = Instant::now();
            let summary = run_json(&args)?;
            times.push(start.elapsed().as_secs_f64());
            mpyc.push(mpyc_secs(&summary));
        }
        eprintln!(
            "bench: secretsanta round {round}/{runs}: {:.2}s without --net, {:.2}s with --net lan",
            direct[round - 1],
            lan[round - 1]
        );
    }
    let _ = std::fs::remove_file(&cap_profile);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Measured {} on this machine ({} cores) with `crates/e3-net/pingpong.py` (not MPyC: each party times one-byte round trips to every higher party through `run --net`, the median per pair) and `demos/secretsanta.py`.\n",
        now_utc(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let _ = writeln!(text, "| what | measured | target |");
    let _ = writeln!(text, "|---|---|---|");
    for (name, (pairs, within, worst_ms, worst_pct)) in [
        (
            "round trips, 6 parties, `e3-4regions` (20 pings a pair)",
            six,
        ),
        (
            "round trips, 64 parties, `e3-4regions` at ams3=16,sfo3=16,nyc3=16,sgp1=16 (5 pings a pair; one pair of a party at a time, 0-50 ms idle before each ping: 64 Python processes timing at once on 2 cores would time their own queue for the CPU)",
            sixty_four,
        ),
    ] {
        let _ = writeln!(
            text,
            "| {name} | {within} of {pairs} pairs within; worst {worst_ms:.2} ms ({worst_pct:.1} %) | every pair within 5 % or 1 ms |"
        );
    }
    let _ = writeln!(
        text,
        "| bulk transfer, {} MB over a {cap_mbit} Mbit/s link | {bulk_mbit:.1} Mbit/s ({:.1} % of the cap) | within 10 % of the cap |",
        bulk_bytes / 1_000_000,
        100.0 * bulk_mbit / cap_mbit
    );
    let _ = writeln!(
        text,
        "| secretsanta, 6 parties, `--net lan` against no `--net` ({runs} runs each, interleaved, medians) | {:.2} s against {:.2} s: ratio {:.2} (MPyC's own time: {:.3} s against {:.3} s) | ≤ 1.1 |",
        median(&lan),
        median(&direct),
        median(&lan) / median(&direct),
        median(&lan_mpyc),
        median(&direct_mpyc),
    );
    let _ = writeln!(
        text,
        "\nReproduce: `cargo build -p xtask && cargo xtask bench net --runs {runs}`."
    );
    print!("{text}");
    write_section(
        root,
        "net",
        "Regions on one machine: `run --net` against its profile",
        &text,
    )?;
    eprintln!("bench: wrote {DOC}");
    Ok(())
}

/// Wall time of one run and the most memory its process tree held at once
/// (kB of PSS, summed); a failed run is an error.
fn time_with_memory(root: &Utf8Path, cmd: &PlanCmd) -> Result<(f64, u64)> {
    let start = Instant::now();
    let mut peak = 0;
    let out = e3_exec::run_watched(
        Some(root),
        cmd,
        std::time::Duration::from_millis(50),
        &mut |pid| peak = peak.max(tree_pss_kb(pid)),
    )?;
    let secs = start.elapsed().as_secs_f64();
    if !out.end.success() {
        return Err(failure(format!(
            "`{cmd}` failed ({}):\n{}",
            out.end, out.stderr
        )));
    }
    Ok((secs, peak))
}

/// The PSS of `pid` and every process below it, in kB.
fn tree_pss_kb(pid: u32) -> u64 {
    let mut parent_of = std::collections::HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The fields after the command name, which may hold spaces.
        let ppid = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parent_of.insert(p, ppid);
        }
    }
    let in_tree = |mut p: u32| loop {
        if p == pid {
            return true;
        }
        match parent_of.get(&p) {
            Some(&pp) if pp != 0 && pp != p => p = pp,
            _ => return false,
        }
    };
    parent_of
        .keys()
        .filter(|p| in_tree(**p))
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok())
        .filter_map(|text| {
            text.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .sum()
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

/// `2026-11-23T19:53:00Z`: when a figure was measured.
fn now_utc() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Wall time of one run; a failed run is an error (it would skew the figures).
/// `cmd` is made with `ignore_status`, so that a failure can show its stderr.
fn time_once(cmd: &Cmd<'_>) -> Result<f64> {
    let start = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| failure(format!("`{cmd}` failed: {e}")))?;
    let secs = start.elapsed().as_secs_f64();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(10).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(failure(format!(
            "`{cmd}` failed ({}):\n{}",
            out.status,
            tail.join("\n")
        )));
    }
    Ok(secs)
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Replaces (or appends) the section between `<!-- bench:NAME -->` markers.
fn write_section(root: &Utf8Path, name: &str, title: &str, body: &str) -> Result<()> {
    let path = root.join(DOC);
    let old = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        "# Benchmarks\n\nFigures written by `cargo xtask bench ...`; each section says how to reproduce it.\n".into()
    });
    let new = replace_section(&old, name, &format!("## {title}\n\n{body}"));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpyc_log_times() {
        let line = "2026-11-23 20:53:00,250 All 3 parties connected.";
        assert_eq!(logged_at(line, &TimeZone::UTC), Some(1_795_467_180.25));
        let cet = TimeZone::fixed(jiff::tz::offset(1));
        assert_eq!(logged_at(line, &cet), Some(1_795_463_580.25));
        assert_eq!(logged_at("Start MPyC runtime v0.11", &TimeZone::UTC), None);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn sections_are_replaced_in_place() {
        let doc = replace_section("# B\n", "x", "one\n");
        assert_eq!(doc, "# B\n<!-- bench:x -->\none\n<!-- /bench:x -->\n");
        let doc = replace_section(&format!("{doc}tail\n"), "x", "two\n");
        assert_eq!(doc, "# B\n<!-- bench:x -->\ntwo\n<!-- /bench:x -->\ntail\n");
    }
}
