//! `bench net`'s exact delays: round trips of 0, 1, 2, 20 and 80 ms
//! through the relays, measured two ways, on an idle machine and beside
//! two busy threads:
//!
//! - **the relays alone**: one relay in this process between two Rust
//!   endpoints that are awake when a reply is due (each sleeps until
//!   shortly before, then polls), so that what is measured is the relays'
//!   own timing and not an endpoint's wake-up;
//! - **Python parties**: `crates/e3-net/pingpong.py` through `run --net`
//!   (3 parties, one region each), whose parties wait in `epoll` as
//!   MPyC's do: their own wake-ups are in the figure. The same program
//!   without `--net` is the 0 ms baseline without relays.
//!
//! What the second adds to the first is the parties' own, not the relays'.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use camino::Utf8Path;
use e3_net::{Lateness, Link, Relays, Route};
use e3_plan::Cmd;

use super::stats::median;
use super::timing::capture;
use crate::error::{Context, Result, failure};

/// The profile round trips measured, in ms.
pub const ROUND_TRIPS: [f64; 5] = [0.0, 1.0, 2.0, 20.0, 80.0];
/// Pings a pair (and a round trip of the relays alone).
const PINGS: usize = 100;
/// Idle time before each ping, ms (on average; from 0 to twice this).
const GAP_MS: f64 = 2.0;
/// How long before its byte is due an endpoint of the relays-alone probe
/// stops sleeping and polls, for a round trip of `rtt`: long enough to
/// cover a long sleep's late end (a machine waking from idle), short
/// enough that on two cores the endpoints leave the relays their CPU.
fn awake(rtt: Duration) -> Duration {
    (rtt / 8).clamp(Duration::from_micros(100), Duration::from_millis(2))
}

/// Three parties, one region each, and their pairs' round trips: the
/// profiles' files, and which pair has which round trip.
const PROFILES: [(&str, &str); 2] = [
    (
        ".e3/bench-delays-1.toml",
        "source = \"bench: exact delays\"\nplacement = { a = 1, b = 1, c = 1 }\n[rtt_ms]\nintra = 0\n\"a-b\" = 1\n\"a-c\" = 2\n\"b-c\" = 20\n",
    ),
    (
        ".e3/bench-delays-2.toml",
        "source = \"bench: exact delays\"\nplacement = { a = 1, b = 1, c = 1 }\n[rtt_ms]\nintra = 0\n\"a-b\" = 80\n\"a-c\" = 0\n\"b-c\" = 80\n",
    ),
];
/// The round trip of pair (0,1), (0,2), (1,2) under each profile.
const PAIRS: [[f64; 3]; 2] = [[1.0, 2.0, 20.0], [80.0, 0.0, 80.0]];

/// The `run` commands of the Python measurement: under each profile, then
/// without `--net`.
pub fn commands(root: &Utf8Path, xtask: &Utf8Path) -> Vec<Cmd> {
    let pingpong = |net: Option<&str>| {
        let mut cmd = Cmd::new(xtask).args([
            "run",
            "crates/e3-net/pingpong.py",
            "--parties",
            "3",
            "--json",
        ]);
        if let Some(net) = net {
            cmd = cmd.args(["--net", net]);
        }
        cmd.args([
            "--",
            "--pings",
            &PINGS.to_string(),
            "--concurrency",
            "1",
            "--gap",
            &GAP_MS.to_string(),
        ])
    };
    PROFILES
        .iter()
        .map(|(file, _)| pingpong(Some(root.join(file).as_str())))
        .chain([pingpong(None)])
        .collect()
}

/// Median round trips (ms) by profile round trip, one way of measuring.
type Medians = BTreeMap<u64, f64>;

/// Both measurements, idle and beside two busy threads: the section's
/// paragraph and table.
pub fn measure(root: &Utf8Path, xtask: &Utf8Path) -> Result<String> {
    for (file, text) in PROFILES {
        let path = root.join(file);
        std::fs::write(&path, text).context(|| format!("cannot write {path}"))?;
    }
    let result = (|| -> Result<Vec<Row>> {
        let mut rows = Vec::new();
        for hogs in [0, 2] {
            let _busy = Hogs::start(hogs);
            crate::out::errln!("bench: exact delays, relays alone, {hogs} busy threads");
            let (alone, lateness) = relays_alone()?;
            crate::out::errln!("bench: exact delays, Python parties, {hogs} busy threads");
            let (python, without) = python_parties(root, xtask)?;
            rows.push(Row {
                alone,
                lateness,
                python,
                without,
            });
        }
        Ok(rows)
    })();
    for (file, _) in PROFILES {
        let _ = std::fs::remove_file(root.join(file));
    }
    let rows = result?;
    Ok(table(&rows))
}

/// One load's figures.
struct Row {
    alone: Medians,
    lateness: Lateness,
    python: Medians,
    without: f64,
}

fn key(ms: f64) -> u64 {
    (ms * 1000.0).round() as u64
}

fn table(rows: &[Row]) -> String {
    let mut text = String::from(
        "\nExact delays: the median round trip (excess over the profile in brackets) of one-byte pings, \
         each after 0-4 ms idle. *Relays alone*: one relay between two Rust endpoints in e3's \
         process that are awake when a reply is due, so the figure is the relays' own timing \
         (target: within 0.2 ms of the profile). *Python parties*: `crates/e3-net/pingpong.py` \
         through `run --net`, 3 parties in 3 regions, whose parties wait in `epoll` as MPyC's do: \
         what they add over the relays alone is their own waking up, not the relays'. \
         0 ms is a link without delay (the relay copies straight through); *without relays* is \
         the same program without `--net`.\n\n\
         | profile round trip | relays alone, idle | Python parties, idle | relays alone, two busy threads | Python parties, two busy threads |\n\
         |---|---|---|---|---|\n",
    );
    let cell = |m: &Medians, rtt: f64| match m.get(&key(rtt)) {
        Some(ms) => format!("{ms:.3} ms (+{:.3})", ms - rtt),
        None => "—".to_string(),
    };
    for rtt in ROUND_TRIPS {
        let mut line = format!("| {rtt} ms |");
        for row in rows {
            let _ = write!(
                line,
                " {} | {} |",
                cell(&row.alone, rtt),
                cell(&row.python, rtt)
            );
        }
        let _ = writeln!(text, "{line}");
    }
    let mut line = "| 0 ms, without relays | — |".to_string();
    for (i, row) in rows.iter().enumerate() {
        let _ = write!(line, " {:.3} ms |", row.without);
        if i + 1 < rows.len() {
            line.push_str(" — |");
        }
    }
    let _ = writeln!(text, "{line}");
    let us = |d: Option<Duration>| d.map_or("—".into(), |d| format!("{} µs", d.as_micros()));
    let said: Vec<String> = rows
        .iter()
        .zip(["idle", "beside two busy threads"])
        .map(|(row, load)| {
            format!(
                "{load}, half of {} chunks within {}, 99 % within {}, the latest {}",
                row.lateness.chunks,
                us(row.lateness.within(0.5)),
                us(row.lateness.within(0.99)),
                us(Some(row.lateness.max))
            )
        })
        .collect();
    let _ = writeln!(
        text,
        "\nThe relays' own record of how late after its due time (the kernel's arrival stamp plus the link's delay) they wrote each chunk of the relays-alone rounds: {}. None is ever written before its due time.",
        said.join("; ")
    );
    text
}

/// Busy threads beside a measurement, until dropped.
struct Hogs {
    stop: Arc<AtomicBool>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Hogs {
    fn start(n: usize) -> Hogs {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..n)
            .map(|_| {
                let stop = stop.clone();
                thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        Hogs { stop, threads }
    }
}

impl Drop for Hogs {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Median round trip through one relay at each of [`ROUND_TRIPS`], and
/// how late after their due times the relays wrote (their own record).
fn relays_alone() -> Result<(Medians, Lateness)> {
    let mut medians = Medians::new();
    let mut lateness = Lateness::default();
    for rtt in ROUND_TRIPS {
        let (times, late) = relay_round_trips(Duration::from_secs_f64(rtt / 1000.0), PINGS)
            .map_err(|e| failure(format!("the relays-alone probe at {rtt} ms failed: {e}")))?;
        medians.insert(key(rtt), median(&times));
        lateness.chunks += late.chunks;
        lateness.max = lateness.max.max(late.max);
        for (sum, n) in lateness.counts.iter_mut().zip(late.counts) {
            *sum += n;
        }
    }
    Ok((medians, lateness))
}

/// Sleeps until `at` less `awake` (if that is ahead).
fn sleep_until_near(at: Instant, awake: Duration) {
    if let Some(left) = at.checked_sub(awake)
        && let Some(wait) = left.checked_duration_since(Instant::now())
    {
        thread::sleep(wait);
    }
}

/// Reads one byte from a non-blocking socket, polling;
/// `None` at its end.
fn poll_byte(socket: &mut TcpStream) -> io::Result<Option<u8>> {
    let mut byte = [0u8; 1];
    loop {
        match socket.read(&mut byte) {
            Ok(0) => return Ok(None),
            Ok(_) => return Ok(Some(byte[0])),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::hint::spin_loop(),
            Err(e) => return Err(e),
        }
    }
}

/// `pings` round trips (ms) through one relay of round trip `rtt`, after
/// an untimed one. The client tells the echo when it sends, so that each
/// end is awake (polling) only from shortly before its byte is due.
fn relay_round_trips(rtt: Duration, pings: usize) -> io::Result<(Vec<f64>, Lateness)> {
    let target = TcpListener::bind("127.0.0.1:0")?;
    let relays = Relays::start(&[Route {
        listen: "127.0.0.1:0".parse().expect("an address"),
        target: target.local_addr()?,
        link: Link {
            one_way: rtt / 2,
            bits_per_sec: None,
            jitter: Duration::ZERO,
        },
    }])?;
    let base = Instant::now();
    // When the next ping is sent, in ns after `base` (0: none yet).
    let sent = Arc::new(AtomicU64::new(0));
    let echo = {
        let sent = sent.clone();
        thread::spawn(move || -> io::Result<()> {
            e3_net::precise_sleeps();
            let (mut socket, _) = target.accept()?;
            socket.set_nodelay(true)?;
            socket.set_nonblocking(true)?;
            let mut seen = 0;
            loop {
                // Until the client says it sent the next ping (or ends).
                let at = loop {
                    match sent.load(Ordering::Acquire) {
                        u64::MAX => return Ok(()),
                        at if at != seen => break at,
                        _ => thread::sleep(Duration::from_micros(100)),
                    }
                };
                seen = at;
                sleep_until_near(base + Duration::from_nanos(at) + rtt / 2, awake(rtt));
                match poll_byte(&mut socket)? {
                    Some(byte) => socket.write_all(&[byte])?,
                    None => return Ok(()),
                }
            }
        })
    };
    e3_net::precise_sleeps();
    let mut client = TcpStream::connect(relays.addresses()[0])?;
    client.set_nodelay(true)?;
    client.set_nonblocking(true)?;
    // Gaps from a fixed sequence (a small LCG): the same every run.
    let mut seed = 7u64;
    let mut times = Vec::with_capacity(pings);
    let result = (|| {
        for i in 0..=pings {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let unit = (seed >> 11) as f64 / (1u64 << 53) as f64;
            thread::sleep(Duration::from_secs_f64(unit * 2.0 * GAP_MS / 1000.0));
            let start = Instant::now();
            sent.store(
                (start.duration_since(base).as_nanos() as u64).max(1),
                Ordering::Release,
            );
            client.write_all(b"x")?;
            sleep_until_near(start + rtt, awake(rtt));
            if poll_byte(&mut client)?.is_none() {
                return Err(io::Error::other("the echo ended"));
            }
            if i > 0 {
                times.push(start.elapsed().as_secs_f64() * 1000.0);
            }
        }
        Ok(())
    })();
    sent.store(u64::MAX, Ordering::Release);
    drop(client);
    let echoed = echo
        .join()
        .map_err(|_| io::Error::other("the echo panicked"))?;
    let lateness = relays.lateness();
    drop(relays);
    result.and(echoed).map(|()| (times, lateness))
}

/// Median round trip by profile round trip of the Python parties through
/// `run --net`, and their median without `--net` (ms).
fn python_parties(root: &Utf8Path, xtask: &Utf8Path) -> Result<(Medians, f64)> {
    let cmds = commands(root, xtask);
    let pairs = |cmd: &Cmd| -> Result<Vec<(usize, usize, f64)>> {
        let (_, out) = capture(root, cmd)?;
        let summary: serde_json::Value = serde_json::from_str(&out.stdout)
            .map_err(|e| failure(format!("`{cmd}` printed no summary: {e}")))?;
        let mut found = Vec::new();
        for log in summary["parties"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["log"].as_str())
        {
            let text = std::fs::read_to_string(root.join(log)).unwrap_or_default();
            for words in text
                .lines()
                .filter_map(|l| l.strip_prefix("pingpong "))
                .map(|l| l.split_whitespace().collect::<Vec<_>>())
            {
                if let [a, b, ms] = words[..]
                    && let (Ok(a), Ok(b), Ok(ms)) = (a.parse(), b.parse(), ms.parse())
                {
                    found.push((a, b, ms));
                }
            }
        }
        match found.len() {
            3 => Ok(found),
            n => Err(failure(format!(
                "`{cmd}` gave {n} of its 3 pairs' round trips"
            ))),
        }
    };
    let mut by_rtt: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for (cmd, rtts) in cmds.iter().zip(PAIRS) {
        for (a, b, ms) in pairs(cmd)? {
            let pair = match (a, b) {
                (0, 1) => 0,
                (0, 2) => 1,
                _ => 2,
            };
            by_rtt.entry(key(rtts[pair])).or_default().push(ms);
        }
    }
    let without: Vec<f64> = pairs(&cmds[2])?.into_iter().map(|(_, _, ms)| ms).collect();
    Ok((
        by_rtt.into_iter().map(|(k, v)| (k, median(&v))).collect(),
        median(&without),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probe is exact enough to be worth reading, and never faster
    /// than its link: every round trip at least the link's (a lower bound
    /// only: a busy machine may make any of them slower).
    #[test]
    fn the_relays_alone_probe_never_beats_its_link() {
        for rtt in [0.0, 2.0] {
            let (times, lateness) =
                relay_round_trips(Duration::from_secs_f64(rtt / 1000.0), 10).unwrap();
            assert_eq!(times.len(), 10);
            assert!(times.iter().all(|t| *t >= rtt), "{times:?}");
            // The delayed link's pings went through the timer (both ways,
            // the untimed round too, and perhaps the two ends' closes);
            // the direct one's did not.
            match rtt > 0.0 {
                true => assert!((22..=24).contains(&lateness.chunks), "{lateness:?}"),
                false => assert_eq!(lateness.chunks, 0, "{lateness:?}"),
            }
        }
    }

    #[test]
    fn the_table_names_every_round_trip_and_both_loads() {
        let m: Medians = ROUND_TRIPS.iter().map(|r| (key(*r), r + 0.05)).collect();
        let mut counts = [0; 13];
        (counts[0], counts[3]) = (3, 1);
        let lateness = Lateness {
            chunks: 4,
            counts,
            max: Duration::from_micros(70),
        };
        let row = |without| Row {
            alone: m.clone(),
            lateness: lateness.clone(),
            python: m.clone(),
            without,
        };
        insta::assert_snapshot!(table(&[row(0.06), row(0.2)]));
    }
}
