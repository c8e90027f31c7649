//! `bench net`: `run --net` against its profile: what a ping-pong measures
//! between every pair of parties (6 parties, then 64), a bulk transfer
//! against its cap, and what going through the relays costs (secretsanta
//! under `--net lan` against no `--net`).

use std::fmt::Write as _;
use std::time::Instant;

use camino::Utf8Path;
use e3_plan::Cmd;

use super::contender::Contender;
use super::delays;
use super::report::{self, Section};
use super::stats::{enough_runs, median};
use super::timing::{RunSummary, run_summary, time_once};
use crate::error::{Context, Result, failure};

pub const SECTION: Section = Section {
    name: "net",
    title: "Regions on one machine: `run --net` against its profile",
    before: "cargo build -p xtask && ",
    needs: "",
};

/// The fewest `--runs` it takes (its help says so).
pub const LEAST_RUNS: usize = 5;

/// Refuses options it cannot measure with: usage errors naming the flag.
pub fn check(runs: usize) -> Result<()> {
    enough_runs(runs, LEAST_RUNS)
}

/// Its options as typed, for the Reproduce line.
pub fn options(runs: usize) -> Vec<String> {
    vec!["--runs".into(), runs.to_string()]
}

const PINGPONG: &str = "crates/e3-net/pingpong.py";
const PLACEMENT: &str = "ams3=16,sfo3=16,nyc3=16,sgp1=16";
const CAP_MBIT: f64 = 50.0;
/// 2 s at the cap.
const BULK_BYTES: u64 = 12_500_000;
/// Where the capped link's profile is written while the benchmark runs.
const CAP_PROFILE: &str = ".e3/bench-cap.toml";

/// The commands of the benchmark, as values.
pub struct Plan {
    /// Makes the Python environment, warms the caches.
    pub prepare: Cmd,
    /// Round trips between 6 parties in 4 regions.
    pub six: Cmd,
    /// Round trips between 64 parties, 16 a region, one pair at a time.
    pub sixty_four: Cmd,
    /// A bulk transfer over one capped link.
    pub bulk: Cmd,
    /// secretsanta straight between its parties, then through the relays.
    pub direct: Contender,
    pub lan: Contender,
    /// Round trips of 0 to 80 ms between 3 Python parties (with the
    /// relays alone measured in this process beside them).
    pub delays: Vec<Cmd>,
}

pub fn plan(root: &Utf8Path, xtask: &Utf8Path) -> Plan {
    let run = |args: &[&str]| Cmd::new(xtask).arg("run").args(args.iter().copied());
    let cap_profile = root.join(CAP_PROFILE);
    let secretsanta = ["secretsanta", "--parties", "6", "--json"];
    Plan {
        prepare: run(&["helloworld", "--parties", "2"]),
        six: run(&[
            PINGPONG,
            "--parties",
            "6",
            "--net",
            "e3-4regions",
            "--json",
            "--",
            "--pings",
            "20",
        ]),
        sixty_four: run(&[
            PINGPONG,
            "--parties",
            "64",
            "--net",
            "e3-4regions",
            "--placement",
            PLACEMENT,
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
        ]),
        bulk: run(&[
            PINGPONG,
            "--parties",
            "2",
            "--net",
            cap_profile.as_str(),
            "--json",
            "--",
            "--pings",
            "3",
            "--bulk",
            &BULK_BYTES.to_string(),
        ]),
        direct: Contender::other("secretsanta without --net", run(&secretsanta)),
        lan: Contender::other(
            "secretsanta with --net lan",
            run(&secretsanta).args(["--net", "lan"]),
        ),
        delays: delays::commands(root, xtask),
    }
}

/// What `--dry-run` prints: the three measurements, then the two
/// contenders of the comparison.
pub fn dry_run(plan: &Plan, runs: usize) -> String {
    let mut text = String::new();
    for cmd in [&plan.six, &plan.sixty_four, &plan.bulk] {
        text.push_str(&format!("{cmd}\n"));
    }
    for c in [&plan.direct, &plan.lan] {
        for line in c.dry_run_lines() {
            text.push_str(&format!("{line}, {runs} runs each, interleaved\n"));
        }
    }
    for cmd in &plan.delays {
        text.push_str(&format!(
            "{cmd}  # exact delays, idle and beside two busy threads\n"
        ));
    }
    text
}

pub fn run(root: &Utf8Path, dry_run: bool, runs: usize) -> Result<Option<String>> {
    check(runs)?;
    let xtask = crate::request::launcher()?;
    let plan = plan(root, &xtask);
    if dry_run {
        crate::out::print(&self::dry_run(&plan, runs));
        return Ok(None);
    }
    let cap_profile = root.join(CAP_PROFILE);
    std::fs::write(
        &cap_profile,
        format!("source = \"bench: a {CAP_MBIT} Mbit/s link\"\nplacement = {{ x = 2 }}\n[rtt_ms]\nintra = 2\n[bandwidth_mbit]\ndefault = {CAP_MBIT}\n"),
    )
    .context(|| format!("cannot write {cap_profile}"))?;
    let result = measure(root, &plan, runs);
    let _ = std::fs::remove_file(&cap_profile);
    result.map(Some)
}

fn measure(root: &Utf8Path, plan: &Plan, runs: usize) -> Result<String> {
    let profile = crate::request::profile(root, "e3-4regions", None, "--net")?;
    // Round trips: (pairs, within the tolerance, worst error in ms and %).
    let accuracy = |profile: &e3_net::Profile, run: &RunSummary| {
        let regions = profile.regions_of_parties();
        let (mut pairs, mut within, mut worst_ms, mut worst_pct) = (0, 0, 0.0f64, 0.0f64);
        for words in run.lines(root, "pingpong ") {
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
    time_once(root, &plan.prepare)?;
    crate::out::errln!("bench: ping-pong, 6 parties");
    let six = accuracy(&profile, &run_summary(root, &plan.six)?);
    crate::out::errln!("bench: ping-pong, 64 parties");
    let sixty_four = accuracy(
        &profile
            .with_placement(PLACEMENT)
            .map_err(|e| failure(e.to_string()))?,
        &run_summary(root, &plan.sixty_four)?,
    );
    crate::out::errln!("bench: bulk transfer at {CAP_MBIT} Mbit/s");
    let bulk = run_summary(root, &plan.bulk)?;
    let bulk_mbit: f64 = bulk
        .lines(root, "bulk ")
        .first()
        .and_then(|w| w.get(2))
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| failure("the bulk transfer printed no figure"))?;
    let (mut direct, mut lan) = (Vec::new(), Vec::new());
    let (mut direct_mpyc, mut lan_mpyc) = (Vec::new(), Vec::new());
    for round in 1..=runs {
        for (c, times, mpyc) in [
            (&plan.direct, &mut direct, &mut direct_mpyc),
            (&plan.lan, &mut lan, &mut lan_mpyc),
        ] {
            let start = Instant::now();
            let run = run_summary(root, &c.steps[0])?;
            times.push(start.elapsed().as_secs_f64());
            mpyc.push(run.slowest("mpyc_elapsed_secs"));
        }
        crate::out::errln!(
            "bench: secretsanta round {round}/{runs}: {:.2}s without --net, {:.2}s with --net lan",
            direct[round - 1],
            lan[round - 1]
        );
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Measured {} on this machine ({} cores) with `{PINGPONG}` (not MPyC: each party times one-byte round trips to every higher party through `run --net`, the median per pair) and `demos/secretsanta.py`.\n",
        report::now_utc(),
        report::cores(),
    );
    let _ = writeln!(text, "| what | measured | target |");
    let _ = writeln!(text, "|---|---|---|");
    for (name, (pairs, within, worst_ms, worst_pct)) in [
        (
            "round trips, 6 parties, `e3-4regions` (20 pings a pair)".to_string(),
            six,
        ),
        (
            format!(
                "round trips, 64 parties, `e3-4regions` at {PLACEMENT} (5 pings a pair; one pair of a party at a time, 0-50 ms idle before each ping: 64 Python processes timing at once on 2 cores would time their own queue for the CPU)"
            ),
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
        "| bulk transfer, {} MB over a {CAP_MBIT} Mbit/s link | {bulk_mbit:.1} Mbit/s ({:.1} % of the cap) | within 10 % of the cap |",
        BULK_BYTES / 1_000_000,
        100.0 * bulk_mbit / CAP_MBIT
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
    text.push_str(&delays::measure(root, &crate::request::launcher()?)?);
    Ok(text)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub fn plan_in_e3() -> Plan {
        plan("/e3".into(), "/e3/target/debug/xtask".into())
    }

    #[test]
    fn dry_run_prints_every_measurement() {
        insta::assert_snapshot!(dry_run(&plan_in_e3(), 7));
    }
}
