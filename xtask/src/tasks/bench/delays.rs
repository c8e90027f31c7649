//! `bench net`'s exact delays: round trips of 0, 1, 2, 20 and 80 ms
//! through the relays, measured two ways, on an idle machine and beside
//! two busy threads:
//!
//! - **the relays alone**: one relay in this process between two Rust
//!   endpoints that block in `read` until their byte comes and have the
//!   kernel stamp its arrival, so that each round trip splits into the
//!   ends' waking and the relays' part; with the relays' own record of
//!   how late after its due time they wrote each chunk;
//! - **Python parties**: `crates/e3-net/pingpong.py` through `run --net`
//!   (3 parties, one region each), whose parties wait in `epoll` as
//!   MPyC's do: their own wake-ups are in the figure. The same program
//!   without `--net` is the 0 ms baseline without relays.
//!
//! What the second adds to the first is the parties' own, not the relays':
//! Python waking up in its event loop after idling for the round trip.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use camino::Utf8Path;
use e3_net::{Lateness, Link, Relays, Route};
use e3_plan::Cmd;

use e3_run::python;

use super::stats::median;
use super::timing::run_summary;
use crate::error::{Context, Result, failure};

/// The profile round trips measured, in ms.
pub const ROUND_TRIPS: [f64; 5] = [0.0, 1.0, 2.0, 20.0, 80.0];
/// Pings a pair (and a round trip of the relays alone).
const PINGS: usize = 100;
/// Idle time before each ping, ms (on average; from 0 to twice this).
const GAP_MS: f64 = 2.0;

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
            let alone = relays_alone()?;
            crate::out::errln!("bench: exact delays, Python parties, {hogs} busy threads");
            let (python, without) = python_parties(root, xtask)?;
            crate::out::errln!("bench: exact delays, the ends' waking up, {hogs} busy threads");
            let interpreter = root.join(python::VENV_DIR).join("bin/python");
            let mut python_waking = Medians::new();
            for rtt in ROUND_TRIPS.into_iter().filter(|r| *r > 0.0) {
                python_waking.insert(key(rtt), endpoints_waking(rtt, &interpreter)?);
            }
            rows.push(Row {
                alone,
                python,
                python_waking,
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
    alone: Alone,
    python: Medians,
    /// What two Python ends add by waking up.
    python_waking: Medians,
    without: f64,
}

fn key(ms: f64) -> u64 {
    (ms * 1000.0).round() as u64
}

fn table(rows: &[Row]) -> String {
    let mut text = String::from(
        "\nExact delays: one-byte round trips at each profile round trip (medians; each ping after \
         0-4 ms idle), through the relays, with what the two ends of a round trip add by waking up. \
         *Rust ends*: one relay in e3's process between two Rust endpoints that block in `read` \
         until their byte comes; both have the kernel stamp its arrival (`SO_TIMESTAMPNS`), so \
         each round trip splits in two: *their waking*, from the byte's arrival to each end's \
         return from its read (the echo's and the pinger's, added), and the rest less the profile, \
         *left to the relays*: e3's part (target: within 0.2 ms). Each column is the median over \
         the same round trips. *Python parties*: `crates/e3-net/pingpong.py` through `run --net`, \
         3 parties in 3 regions, waiting in asyncio's `epoll` as MPyC's parties do. Their waking \
         cannot be stamped inside asyncio, so it is measured apart: the median time from a write, \
         on time, to the return of a read that had been blocked for half the round trip (the \
         echo) plus for all of it (the pinger), by a Python reader as the parties are; *left to \
         the relays* is their round trip less the profile and less that (below zero when the \
         waking, measured apart, came to more than the whole excess). 0 ms is a link without \
         delay (the relay copies \
         straight through); *without relays* is the same program without `--net`.\n",
    );
    let ms = |x: f64| format!("{x:.3} ms");
    for (row, load) in rows
        .iter()
        .zip(["On an idle machine", "Beside two busy threads"])
    {
        let _ = writeln!(
            text,
            "\n{load}:\n\n\
             | profile round trip | Rust ends: round trip | their waking | left to the relays | Python parties: round trip | their waking | left to the relays |\n\
             |---|---|---|---|---|---|---|"
        );
        for rtt in ROUND_TRIPS {
            let k = key(rtt);
            let mut line = format!("| {rtt} ms |");
            let alone = &row.alone;
            match (alone.trip.get(&k), alone.waking.get(&k), alone.left.get(&k)) {
                (Some(t), Some(w), Some(left)) => {
                    let _ = write!(line, " {} | {} | {} |", ms(*t), ms(*w), ms(*left));
                }
                _ => line.push_str(" — | — | — |"),
            }
            match (row.python.get(&k), row.python_waking.get(&k)) {
                (Some(t), Some(w)) => {
                    let _ = write!(line, " {} | {} | {} |", ms(*t), ms(*w), ms(t - rtt - w));
                }
                (Some(t), None) => {
                    let _ = write!(line, " {} | — | {} |", ms(*t), ms(t - rtt));
                }
                _ => line.push_str(" — | — | — |"),
            }
            let _ = writeln!(text, "{line}");
        }
        let _ = writeln!(
            text,
            "| 0 ms, without relays | — | — | — | {} | — | — |",
            ms(row.without)
        );
    }
    let us = |d: Option<Duration>| d.map_or("—".into(), |d| format!("{} µs", d.as_micros()));
    let said: Vec<String> = rows
        .iter()
        .zip(["idle", "beside two busy threads"])
        .map(|(row, load)| {
            format!(
                "{load}, half of {} chunks within {}, 99 % within {}, the latest {}",
                row.alone.lateness.chunks,
                us(row.alone.lateness.within(0.5)),
                us(row.alone.lateness.within(0.99)),
                us(Some(row.alone.lateness.max))
            )
        })
        .collect();
    let _ = writeln!(
        text,
        "\nThe relays' own record of how late after its due time (the kernel's arrival stamp plus the link's delay) they wrote each chunk of the Rust ends' rounds: {}. None is ever written before its due time.",
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
fn relays_alone() -> Result<Alone> {
    let mut alone = Alone::default();
    for rtt in ROUND_TRIPS {
        let (trips, late) = relay_round_trips(Duration::from_secs_f64(rtt / 1000.0), PINGS)
            .map_err(|e| failure(format!("the relays-alone probe at {rtt} ms failed: {e}")))?;
        let column = |f: &dyn Fn(&Trip) -> f64| median(&trips.iter().map(f).collect::<Vec<_>>());
        alone.trip.insert(key(rtt), column(&|t| t.whole));
        alone.waking.insert(key(rtt), column(&|t| t.waking));
        alone
            .left
            .insert(key(rtt), column(&|t| t.whole - t.waking - rtt));
        alone.lateness.chunks += late.chunks;
        alone.lateness.max = alone.lateness.max.max(late.max);
        for (sum, n) in alone.lateness.counts.iter_mut().zip(late.counts) {
            *sum += n;
        }
    }
    Ok(alone)
}

/// The relays-alone probe's figures, by profile round trip: medians of
/// the round trips, of the ends' waking in each, and of what each left to
/// the relays, with the relays' own record of their lateness.
#[derive(Default)]
struct Alone {
    trip: Medians,
    waking: Medians,
    left: Medians,
    lateness: Lateness,
}

/// One round trip of the relays-alone probe (ms): the whole, and the part
/// of it the two ends spent waking up (from the kernel's stamp of their
/// byte's arrival to their own reading of the clock after their read).
struct Trip {
    whole: f64,
    waking: f64,
}

/// `pings` round trips through one relay of round trip `rtt`, after an
/// untimed one, between two endpoints that block in `read` until their
/// byte comes (as a party waits in `epoll`; no spinning or polling, which
/// on two cores would keep the relays' own threads from a CPU), and the
/// relays' record of how late they wrote. Both ends have the kernel stamp
/// their byte's arrival (`SO_TIMESTAMPNS`), so each round trip splits into
/// the ends' waking (wall-clock times, as the stamps are) and the rest,
/// the relays'.
fn relay_round_trips(rtt: Duration, pings: usize) -> io::Result<(Vec<Trip>, Lateness)> {
    use std::os::fd::AsRawFd;
    use std::time::SystemTime;
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
    // A stamped blocking read of one byte: when it arrived, when the
    // reader had it.
    let read_one = |socket: &TcpStream| -> io::Result<Option<(SystemTime, SystemTime)>> {
        let mut byte = [0u8; 1];
        let (n, stamp) = e3_net::recv_stamped(socket.as_raw_fd(), &mut byte, 0)?;
        let now = SystemTime::now();
        Ok((n == 1).then(|| (stamp.unwrap_or(now), now)))
    };
    let gap = |from: SystemTime, to: SystemTime| {
        to.duration_since(from).unwrap_or_default().as_secs_f64() * 1000.0
    };
    // The echo's waking in each round trip, in order.
    let echo = thread::spawn(move || -> io::Result<Vec<f64>> {
        let (mut socket, _) = target.accept()?;
        socket.set_nodelay(true)?;
        e3_net::stamp_arrivals_on(socket.as_raw_fd());
        let mut waking = Vec::new();
        while let Some((arrived, had)) = read_one(&socket)? {
            waking.push(gap(arrived, had));
            socket.write_all(b"x")?;
        }
        Ok(waking)
    });
    e3_net::precise_sleeps();
    let mut client = TcpStream::connect(relays.addresses()[0])?;
    client.set_nodelay(true)?;
    e3_net::stamp_arrivals_on(client.as_raw_fd());
    // Gaps from a fixed sequence (a small LCG): the same every run.
    let mut seed = 7u64;
    let mut trips = Vec::with_capacity(pings + 1);
    let result = (|| -> io::Result<()> {
        for _ in 0..=pings {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let unit = (seed >> 11) as f64 / (1u64 << 53) as f64;
            thread::sleep(Duration::from_secs_f64(unit * 2.0 * GAP_MS / 1000.0));
            let start = Instant::now();
            client.write_all(b"x")?;
            let (arrived, had) = read_one(&client)?
                .ok_or_else(|| io::Error::other("the relay closed the connection"))?;
            trips.push(Trip {
                whole: start.elapsed().as_secs_f64() * 1000.0,
                waking: gap(arrived, had),
            });
        }
        Ok(())
    })();
    drop(client);
    let echoed = echo
        .join()
        .map_err(|_| io::Error::other("the echo panicked"))?;
    let lateness = relays.lateness();
    drop(relays);
    result?;
    let echoed = echoed?;
    // The untimed first round trip goes; the echo's waking joins each.
    let trips = trips
        .into_iter()
        .zip(echoed)
        .skip(1)
        .map(|(trip, echo)| Trip {
            whole: trip.whole,
            waking: trip.waking + echo,
        })
        .collect();
    Ok((trips, lateness))
}

/// A Python reader as the parties are: asyncio, blocked in `readexactly`
/// until its byte comes; it prints the monotonic clock (the one Rust's
/// `Instant` reads) when it has it.
const PYTHON_READER: &str = "import asyncio, sys, time\n\
async def main():\n    r, w = await asyncio.open_connection('127.0.0.1', int(sys.argv[1]))\n    \
while True:\n        try:\n            await r.readexactly(1)\n        except asyncio.IncompleteReadError:\n            return\n        \
print(time.monotonic_ns(), flush=True)\n\
asyncio.run(main())\n";

/// CLOCK_MONOTONIC now, in ns: what Python's `time.monotonic_ns()` reads.
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// How long a reader blocked for `idle` takes to have a byte written to it
/// (from the write's start to the reader's return from its read: the
/// write, the kernel, the reader waking): the median of `samples`, in ms.
/// The reader is a `python` process as the parties are ([`PYTHON_READER`]):
/// asyncio gives no arrival stamp, so its waking is measured apart (the
/// Rust ends' is stamped in their own round trips). The writer sleeps with no timer slack
/// and is awake for the last 200 µs, so that the write is on time.
fn wake_after(idle: Duration, samples: usize, python: &Utf8Path) -> io::Result<f64> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    // The reader's clock readings, one printed line per byte.
    let mut reader = e3_exec::Background::start(
        None,
        "the Python reader",
        &Cmd::new(python.as_str()).args(["-c", PYTHON_READER, &port.to_string()]),
    )
    .map_err(io::Error::other)?;
    let mut next_reading = move || -> io::Result<u64> {
        reader
            .wait_for("", Duration::from_secs(30))
            .map_err(io::Error::other)?
            .trim()
            .parse()
            .map_err(|_| io::Error::other("the Python reader printed no clock reading"))
    };
    let (mut writer, _) = listener.accept()?;
    writer.set_nodelay(true)?;
    e3_net::precise_sleeps();
    let awake = Duration::from_micros(200);
    let mut took = Vec::with_capacity(samples);
    let result = (|| {
        for i in 0..=samples {
            let due = Instant::now() + idle;
            thread::sleep(idle.saturating_sub(awake));
            while Instant::now() < due {
                std::hint::spin_loop();
            }
            let at = monotonic_ns();
            writer.write_all(b"x")?;
            let got = next_reading()?;
            if i > 0 {
                took.push(got.saturating_sub(at) as f64 / 1e6);
            }
        }
        Ok(())
    })();
    drop(writer);
    drop(next_reading);
    result.map(|()| median(&took))
}

/// What the two ends of a round trip of `rtt` add by waking up: the echo
/// after idling half of it, the pinger after idling all of it (ms).
fn endpoints_waking(rtt: f64, python: &Utf8Path) -> Result<f64> {
    let samples = if rtt >= 20.0 { 30 } else { 60 };
    let idle = |ms: f64| Duration::from_secs_f64(ms / 1000.0);
    let probe = |ms: f64| {
        wake_after(idle(ms), samples, python)
            .map_err(|e| failure(format!("measuring a wake-up after {ms} ms failed: {e}")))
    };
    Ok(probe(rtt / 2.0)? + probe(rtt)?)
}

/// Median round trip by profile round trip of the Python parties through
/// `run --net`, and their median without `--net` (ms).
fn python_parties(root: &Utf8Path, xtask: &Utf8Path) -> Result<(Medians, f64)> {
    let cmds = commands(root, xtask);
    let pairs = |cmd: &Cmd| -> Result<Vec<(usize, usize, f64)>> {
        let mut found = Vec::new();
        for words in run_summary(root, cmd)?.lines(root, "pingpong ") {
            if let [a, b, ms] = &words[..]
                && let (Ok(a), Ok(b), Ok(ms)) = (a.parse(), b.parse(), ms.parse())
            {
                found.push((a, b, ms));
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
            let (trips, lateness) =
                relay_round_trips(Duration::from_secs_f64(rtt / 1000.0), 10).unwrap();
            assert_eq!(trips.len(), 10);
            let wholes: Vec<f64> = trips.iter().map(|t| t.whole).collect();
            assert!(wholes.iter().all(|t| *t >= rtt), "{wholes:?}");
            assert!(trips.iter().all(|t| t.waking >= 0.0));
            // The delayed link's pings went through the timer (both ways,
            // the untimed round too, and perhaps the two ends' closes);
            // the direct one's did not.
            match rtt > 0.0 {
                true => assert!((22..=24).contains(&lateness.chunks), "{lateness:?}"),
                false => assert_eq!(lateness.chunks, 0, "{lateness:?}"),
            }
        }
    }

    /// A Python reader's waking is measured from the write it woke for: a
    /// positive time (no upper bound: a busy machine may take any).
    #[test]
    fn a_wake_up_is_timed_from_its_write() {
        match which::which("python3") {
            Ok(python) => {
                let python = camino::Utf8PathBuf::try_from(python).unwrap();
                let woke = wake_after(Duration::from_millis(2), 5, &python).unwrap();
                assert!(woke > 0.0 && woke.is_finite(), "{woke}");
            }
            Err(_) => {
                assert!(std::env::var_os("CI").is_none(), "CI has python3");
                eprintln!("skipped the Python reader: no python3 on PATH (CI installs it)");
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
        let waking: Medians = ROUND_TRIPS[1..].iter().map(|r| (key(*r), 0.02)).collect();
        let row = |without| Row {
            alone: Alone {
                trip: m.clone(),
                waking: ROUND_TRIPS.iter().map(|r| (key(*r), 0.02)).collect(),
                left: ROUND_TRIPS.iter().map(|r| (key(*r), 0.03)).collect(),
                lateness: lateness.clone(),
            },
            python: m.clone(),
            python_waking: waking.clone(),
            without,
        };
        insta::assert_snapshot!(table(&[row(0.06), row(0.2)]));
    }
}
