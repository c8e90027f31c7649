//! The relays: one listening socket per route (a source region and a
//! target party), on loopback, that forwards every connection it accepts
//! to the target with its link's delay, bandwidth cap and jitter, in each
//! direction. They run on a small tokio runtime in e3's own process, not a
//! process per link, and stop (every socket closed) when [`Relays`] is
//! dropped.
//!
//! Bytes keep their order and none is dropped: each direction reads
//! chunks, gives each a due time (when its last bit has left the capped
//! link, plus the one-way delay and a jitter draw, never before the
//! chunk ahead of it), and writes them when due. A half close (EOF) is
//! passed on as a half close once the bytes before it are; a reset or a
//! failed write closes both sides abortively.
//!
//! Due times are kept by a timer thread of its own, which sleeps to the
//! microsecond, rather than tokio's timer, which rounds up to the next
//! millisecond: a 1 ms round trip must measure as one.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::profile::Link;

/// Where a relay listens, where it forwards to, and what the link does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Route {
    pub listen: SocketAddr,
    pub target: SocketAddr,
    pub link: Link,
}

/// Running relays; dropping them closes every socket they hold.
pub struct Relays {
    runtime: Option<tokio::runtime::Runtime>,
    timer: Timer,
    /// Where each route listens, in route order (its port, if it asked for 0).
    addresses: Vec<SocketAddr>,
}

impl Relays {
    /// Binds every route's listener (all or none: an error for the first
    /// that cannot be bound), then serves them in the background.
    pub fn start(routes: &[Route]) -> io::Result<Relays> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("e3-relay")
            .enable_io()
            .enable_time()
            .build()?;
        let timer = Timer::start();
        let listeners = runtime.block_on(async {
            let mut bound = Vec::with_capacity(routes.len());
            for route in routes {
                let listener = TcpListener::bind(route.listen).await.map_err(|e| {
                    io::Error::new(e.kind(), format!("relay on {}: {e}", route.listen))
                })?;
                bound.push(listener);
            }
            Ok::<_, io::Error>(bound)
        })?;
        let mut addresses = Vec::with_capacity(routes.len());
        for (listener, route) in listeners.into_iter().zip(routes) {
            addresses.push(listener.local_addr()?);
            runtime.spawn(serve(listener, *route, timer.clone()));
        }
        Ok(Relays {
            runtime: Some(runtime),
            timer,
            addresses,
        })
    }

    /// Where each route listens, in route order.
    pub fn addresses(&self) -> &[SocketAddr] {
        &self.addresses
    }
}

impl Drop for Relays {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Every task (and so every socket) is dropped.
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
        self.timer.stop();
    }
}

/// Open files the relays of `parties` parties in `regions` regions hold
/// at most: a listener per route, and two sockets per link (one TCP
/// connection per pair of parties, each end through the relay), with room
/// for the parties' own pipes.
pub fn files_needed(parties: usize, regions: usize) -> u64 {
    let (m, r) = (parties as u64, regions as u64);
    m * (m.saturating_sub(1)) + r * m + 8 * m + 256
}

/// This process's open-file limit (the soft one), after raising it as far
/// as allowed.
pub fn open_files_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit on a zeroed struct of the right type.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return limit.rlim_max;
            }
        }
        limit.rlim_cur
    }
}

/// How many processes the relays of `parties` parties in `regions`
/// regions need under an open-file limit of `limit`: 1 (e3's own) when
/// they fit, else enough relay processes that each holds at most three
/// quarters of the limit.
pub fn relay_processes(parties: usize, regions: usize, limit: u64) -> usize {
    let needed = files_needed(parties, regions);
    if needed <= limit {
        return 1;
    }
    needed.div_ceil((limit * 3 / 4).max(1)) as usize
}

/// The routes split into `count` shards, each for a relay process of its
/// own: by target party, round robin (links are spread about evenly:
/// MPyC's higher parties are connected to more than its lower ones).
pub fn shards(routes: &[Route], count: usize) -> Vec<Vec<Route>> {
    let count = count.max(1);
    let mut shards = vec![Vec::new(); count];
    for route in routes {
        let target = usize::from(route.target.port());
        shards[target % count].push(*route);
    }
    shards.retain(|s| !s.is_empty());
    shards
}

impl Route {
    /// As one JSON object, for a relay process of its own.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "listen": self.listen.to_string(),
            "target": self.target.to_string(),
            "one_way_us": self.link.one_way.as_micros() as u64,
            "bits_per_sec": self.link.bits_per_sec,
            "jitter_us": self.link.jitter.as_micros() as u64,
        })
    }

    pub fn from_json(v: &serde_json::Value) -> Option<Route> {
        Some(Route {
            listen: v["listen"].as_str()?.parse().ok()?,
            target: v["target"].as_str()?.parse().ok()?,
            link: Link {
                one_way: Duration::from_micros(v["one_way_us"].as_u64()?),
                bits_per_sec: v["bits_per_sec"].as_u64(),
                jitter: Duration::from_micros(v["jitter_us"].as_u64()?),
            },
        })
    }
}

async fn serve(listener: TcpListener, route: Route, timer: Timer) {
    loop {
        let inbound = match listener.accept().await {
            Ok((inbound, _)) => inbound,
            // Out of files, say: wait a moment rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        tokio::spawn(connection(inbound, route, timer.clone()));
    }
}

/// How long a relay keeps trying a target that refuses connections.
const TARGET_PATIENCE: Duration = Duration::from_secs(600);

async fn connection(inbound: TcpStream, route: Route, timer: Timer) {
    // A party may connect before the one it connects to listens: without
    // the relay it would be refused and try again, with it the connection
    // is already accepted. So the relay tries again itself, and the party
    // sees a slow connection rather than a reset (what it sends meanwhile
    // waits in the kernel's buffers).
    let given_up = Instant::now() + TARGET_PATIENCE;
    let outbound = loop {
        match TcpStream::connect(route.target).await {
            Ok(outbound) => break outbound,
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused && Instant::now() < given_up => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(_) => {
                let _ = inbound.set_zero_linger();
                return;
            }
        }
    };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    if route.link.is_direct() {
        // No delay, cap or jitter (`lan`): bytes go straight through, half
        // closes included; a failure on either side resets both.
        let (mut inbound, mut outbound) = (inbound, outbound);
        if tokio::io::copy_bidirectional(&mut inbound, &mut outbound)
            .await
            .is_err()
        {
            let _ = inbound.set_zero_linger();
            let _ = outbound.set_zero_linger();
        }
        return;
    }
    let (a_read, a_write) = inbound.into_split();
    let (b_read, b_write) = outbound.into_split();
    let abort = Arc::new(Notify::new());
    let forward = pump(a_read, b_write, route.link, timer.clone(), abort.clone());
    let backward = pump(b_read, a_write, route.link, timer, abort.clone());
    tokio::select! {
        _ = async { tokio::join!(forward, backward) } => {}
        _ = abort.notified() => {}
    }
}

enum Chunk {
    Data(Vec<u8>),
    /// The sender closed its side: pass on a half close.
    Eof,
    /// The sender's side failed (reset): close both sides abortively.
    Reset,
}

/// One direction: read, give each chunk its due time, write it when due.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    link: Link,
    timer: Timer,
    abort: Arc<Notify>,
) {
    let (tx, mut rx) = mpsc::channel::<(Instant, Chunk)>(1024);
    let read_side = async move {
        let mut rng = fastrand::Rng::new();
        let mut link_free = Instant::now();
        let mut last_due = Instant::now();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let chunk = match from.read(&mut buf).await {
                Ok(0) => Chunk::Eof,
                Ok(n) => Chunk::Data(buf[..n].to_vec()),
                Err(_) => Chunk::Reset,
            };
            let now = Instant::now();
            let sent = match (&chunk, link.bits_per_sec) {
                (Chunk::Data(data), Some(bps)) => {
                    let start = link_free.max(now);
                    link_free =
                        start + Duration::from_secs_f64(data.len() as f64 * 8.0 / bps as f64);
                    link_free
                }
                _ => link_free.max(now),
            };
            let jitter = if link.jitter.is_zero() {
                Duration::ZERO
            } else {
                link.jitter.mul_f64(rng.f64())
            };
            // Jitter around the one-way delay: late or early by up to
            // `jitter`, never earlier than the chunk ahead.
            let due = if rng.bool() {
                sent + link.one_way + jitter
            } else {
                sent + link.one_way.saturating_sub(jitter)
            };
            let due = due.max(last_due);
            last_due = due;
            let end = !matches!(chunk, Chunk::Data(_));
            if tx.send((due, chunk)).await.is_err() || end {
                return;
            }
        }
    };
    let write_side = async move {
        while let Some((due, chunk)) = rx.recv().await {
            timer.until(due).await;
            match chunk {
                Chunk::Data(data) => {
                    if to.write_all(&data).await.is_err() {
                        let _ = to.as_ref().set_zero_linger();
                        abort.notify_one();
                        return;
                    }
                }
                Chunk::Eof => {
                    let _ = to.shutdown().await;
                    return;
                }
                Chunk::Reset => {
                    let _ = to.as_ref().set_zero_linger();
                    abort.notify_one();
                    return;
                }
            }
        }
    };
    tokio::join!(read_side, write_side);
}

/// Due times, kept by a thread that sleeps to the microsecond.
#[derive(Clone)]
struct Timer {
    shared: Arc<(Mutex<TimerState>, Condvar)>,
}

struct TimerState {
    due: BinaryHeap<Reverse<(Instant, u64)>>,
    waiting: std::collections::HashMap<u64, oneshot::Sender<()>>,
    next_id: u64,
    stopped: bool,
}

impl Timer {
    fn start() -> Timer {
        let timer = Timer {
            shared: Arc::new((
                Mutex::new(TimerState {
                    due: BinaryHeap::new(),
                    waiting: std::collections::HashMap::new(),
                    next_id: 0,
                    stopped: false,
                }),
                Condvar::new(),
            )),
        };
        let shared = timer.shared.clone();
        std::thread::Builder::new()
            .name("e3-relay-timer".into())
            .spawn(move || {
                let (lock, wake) = &*shared;
                let mut state = lock.lock().expect("timer lock");
                loop {
                    if state.stopped {
                        return;
                    }
                    let now = Instant::now();
                    while let Some(Reverse((due, id))) = state.due.peek().copied() {
                        if due > now {
                            break;
                        }
                        state.due.pop();
                        if let Some(sender) = state.waiting.remove(&id) {
                            let _ = sender.send(());
                        }
                    }
                    state = match state.due.peek() {
                        Some(Reverse((due, _))) => {
                            let wait = due.saturating_duration_since(Instant::now());
                            wake.wait_timeout(state, wait).expect("timer lock").0
                        }
                        None => wake.wait(state).expect("timer lock"),
                    };
                }
            })
            .expect("the relay timer thread starts");
        timer
    }

    /// Resolves at `due` (at once if it has passed).
    async fn until(&self, due: Instant) {
        if due <= Instant::now() {
            return;
        }
        let (sender, receiver) = oneshot::channel();
        {
            let (lock, wake) = &*self.shared;
            let mut state = lock.lock().expect("timer lock");
            let id = state.next_id;
            state.next_id += 1;
            state.due.push(Reverse((due, id)));
            state.waiting.insert(id, sender);
            wake.notify_one();
        }
        let _ = receiver.await;
    }

    fn stop(&self) {
        let (lock, wake) = &*self.shared;
        if let Ok(mut state) = lock.lock() {
            state.stopped = true;
            state.waiting.clear();
        }
        wake.notify_one();
    }
}
