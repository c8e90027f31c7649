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
//! Due times count from when the kernel received a chunk (its
//! `SO_TIMESTAMPNS` stamp), and are kept by a timer thread of its own,
//! which wakes shortly before each and writes the chunk itself at the due
//! time, rather than tokio's timer, which rounds up to the next
//! millisecond: a 1 ms round trip must measure as one, not 1.5.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncWriteExt, Interest};
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

    /// How late after its due time each chunk has been written so far.
    pub fn lateness(&self) -> Lateness {
        self.timer.lateness()
    }
}

/// How late after their due times the relays wrote what they carried: a
/// histogram of the delays, in [`Lateness::BOUNDS`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lateness {
    /// Chunks written (and half closes passed on).
    pub chunks: u64,
    /// How many were late by at most each of [`Lateness::BOUNDS`] (and
    /// more than the one before); the last, by more than all of them.
    pub counts: [u64; 13],
    /// The latest.
    pub max: Duration,
}

impl Lateness {
    /// The histogram's upper bounds.
    pub const BOUNDS: [Duration; 12] = [
        Duration::from_micros(10),
        Duration::from_micros(20),
        Duration::from_micros(50),
        Duration::from_micros(100),
        Duration::from_micros(200),
        Duration::from_micros(500),
        Duration::from_millis(1),
        Duration::from_millis(2),
        Duration::from_millis(5),
        Duration::from_millis(10),
        Duration::from_millis(20),
        Duration::from_millis(50),
    ];

    fn record(&mut self, late: Duration) {
        let bucket = Self::BOUNDS
            .iter()
            .position(|b| late <= *b)
            .unwrap_or(Self::BOUNDS.len());
        self.counts[bucket] += 1;
        self.chunks += 1;
        self.max = self.max.max(late);
    }

    /// A bound the fraction `q` of chunks were within: the histogram's
    /// bound of the chunk at `q`, or the latest, whichever is less; none
    /// with no chunk.
    pub fn within(&self, q: f64) -> Option<Duration> {
        let wanted = ((self.chunks as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= wanted {
                let bound = Self::BOUNDS.get(i).copied().unwrap_or(self.max);
                return Some(bound.min(self.max));
            }
        }
        None
    }

    /// How many were later than `d`, one of [`Lateness::BOUNDS`] (another
    /// duration is taken as the next bound up).
    pub fn later_than(&self, d: Duration) -> u64 {
        match Self::BOUNDS.iter().position(|b| *b >= d) {
            Some(i) => self.counts[i + 1..].iter().sum(),
            None => 0,
        }
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
/// at most: a listener per route, and four per link (one TCP connection
/// per pair of parties, each end through the relay: two sockets, and the
/// timer thread's duplicate of each for its writes), with room for the
/// parties' own pipes.
pub fn files_needed(parties: usize, regions: usize) -> u64 {
    let (m, r) = (parties as u64, regions as u64);
    2 * m * (m.saturating_sub(1)) + r * m + 8 * m + 256
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
///
/// A chunk's due time counts from when the kernel received it (its
/// `SO_TIMESTAMPNS` stamp), not from when the relay got round to reading
/// it, and the timer thread itself writes it at its due time, so that
/// neither the relay's wake-up to read nor its wake-up to write adds to
/// the link's delay.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    link: Link,
    timer: Timer,
    abort: Arc<Notify>,
) {
    let (tx, mut rx) = mpsc::channel::<(Instant, Chunk)>(1024);
    stamp_arrivals(from.as_ref());
    // The timer thread's own handle on the socket (a duplicate: it stays
    // valid for a write already due when this direction ends).
    let out = to.as_ref().as_raw_fd();
    // SAFETY: `out` is an open socket for as long as `to` lives (here).
    let out = unsafe { libc::dup(out) };
    let out = match out {
        -1 => None,
        fd => Some(Arc::new(unsafe { OwnedFd::from_raw_fd(fd) })),
    };
    let read_side = async move {
        let mut rng = fastrand::Rng::new();
        let mut link_free = Instant::now();
        let mut last_due = Instant::now();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let (chunk, arrived) = match read_stamped(&mut from, &mut buf).await {
                Ok((0, _)) => (Chunk::Eof, Instant::now()),
                Ok((n, arrived)) => (Chunk::Data(buf[..n].to_vec()), arrived),
                Err(_) => (Chunk::Reset, Instant::now()),
            };
            let sent = match (&chunk, link.bits_per_sec) {
                (Chunk::Data(data), Some(bps)) => {
                    let start = link_free.max(arrived);
                    link_free =
                        start + Duration::from_secs_f64(data.len() as f64 * 8.0 / bps as f64);
                    link_free
                }
                _ => link_free.max(arrived),
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
            let failed = match chunk {
                Chunk::Data(data) => {
                    // Written by the timer thread as far as the socket
                    // takes it at once; the rest (a full buffer) from here.
                    let rest = match &out {
                        Some(out) => timer.send_at(due, out.clone(), data).await,
                        None => {
                            timer.until(due).await;
                            Sent::Part(data, 0)
                        }
                    };
                    match rest {
                        Sent::All => false,
                        Sent::Part(data, n) => to.write_all(&data[n..]).await.is_err(),
                        Sent::Failed => true,
                    }
                }
                Chunk::Eof => {
                    timer.until(due).await;
                    let _ = to.shutdown().await;
                    return;
                }
                Chunk::Reset => {
                    timer.until(due).await;
                    true
                }
            };
            if failed {
                let _ = to.as_ref().set_zero_linger();
                abort.notify_one();
                return;
            }
        }
    };
    tokio::join!(read_side, write_side);
}

/// Asks the kernel to stamp what `socket` receives with the time it
/// arrived (`SO_TIMESTAMPNS`). Without it, due times count from the read.
fn stamp_arrivals(socket: &TcpStream) {
    stamp_arrivals_on(socket.as_raw_fd());
}

/// The same for any socket (`fd`): what a measurement of the relays reads
/// its own ends' arrivals with ([`recv_stamped`]).
pub fn stamp_arrivals_on(fd: RawFd) {
    let on: libc::c_int = 1;
    // SAFETY: a socket the caller holds open, an int option of the right
    // size (a bad fd only fails the call).
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// Reads into `buf`: how many bytes, and when the kernel received them
/// (now, when it gave no stamp).
async fn read_stamped(from: &mut OwnedReadHalf, buf: &mut [u8]) -> io::Result<(usize, Instant)> {
    let socket: &TcpStream = from.as_ref();
    loop {
        socket.readable().await?;
        match socket.try_io(Interest::READABLE, || {
            recv_stamped(socket.as_raw_fd(), buf, libc::MSG_DONTWAIT)
        }) {
            Ok((n, stamp)) => return Ok((n, arrival(stamp))),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The instant the kernel's stamp (a wall-clock time) stands for: now,
/// less how long ago it was (none if the clock says it is ahead, or if it
/// was stepped so far that the stamp is over a second old). The wall clock
/// is read first, so that the time between the two readings can only make
/// the arrival later, never earlier, than it was.
fn arrival(stamp: Option<SystemTime>) -> Instant {
    let wall = SystemTime::now();
    let now = Instant::now();
    let ago = stamp
        .and_then(|at| wall.duration_since(at).ok())
        .filter(|ago| *ago < Duration::from_secs(1))
        .unwrap_or_default();
    now.checked_sub(ago).unwrap_or(now)
}

/// `recvmsg` (with `flags`: `MSG_DONTWAIT` on a socket the relay polls, 0
/// to block), with the `SCM_TIMESTAMPNS` stamp of when what it read
/// arrived, if the socket was asked for one ([`stamp_arrivals_on`]).
pub fn recv_stamped(
    fd: RawFd,
    buf: &mut [u8],
    flags: libc::c_int,
) -> io::Result<(usize, Option<SystemTime>)> {
    // Room for one control message holding a timespec, aligned for cmsghdr.
    let mut control = [0u64; 8];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: msghdr is plain data; every pointer in it outlives the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: as above; the kernel writes at most the lengths given.
    let n = unsafe { libc::recvmsg(fd, &mut msg, flags) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut stamp = None;
    // SAFETY: walking the control messages the kernel wrote, within
    // msg_controllen, as CMSG_FIRSTHDR/CMSG_NXTHDR do.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_TIMESTAMPNS
            {
                let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                stamp = (ts.tv_sec > 0).then(|| {
                    SystemTime::UNIX_EPOCH
                        + Duration::new(ts.tv_sec as u64, ts.tv_nsec.clamp(0, 999_999_999) as u32)
                });
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    Ok((n as usize, stamp))
}

/// What became of a chunk the timer thread was to write.
enum Sent {
    All,
    /// The first `n` bytes were written (the socket's buffer was full):
    /// the rest is the caller's.
    Part(Vec<u8>, usize),
    /// The socket failed (the other side reset it, say).
    Failed,
}

/// What the timer thread does at a due time.
enum Action {
    Wake(oneshot::Sender<()>),
    Write {
        fd: Arc<OwnedFd>,
        data: Vec<u8>,
        done: oneshot::Sender<Sent>,
    },
}

impl Action {
    fn fire(self) {
        match self {
            Action::Wake(sender) => {
                let _ = sender.send(());
            }
            Action::Write { fd, data, done } => {
                // SAFETY: a socket kept open by `fd`; at most data.len() bytes read.
                let n = unsafe {
                    libc::send(
                        fd.as_raw_fd(),
                        data.as_ptr().cast(),
                        data.len(),
                        libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                    )
                };
                let sent = match n {
                    n if n as usize == data.len() => Sent::All,
                    n if n >= 0 => Sent::Part(data, n as usize),
                    _ => match io::Error::last_os_error().kind() {
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => {
                            Sent::Part(data, 0)
                        }
                        _ => Sent::Failed,
                    },
                };
                let _ = done.send(sent);
            }
        }
    }
}

/// Due times, kept by a thread of its own. It sleeps (with no timer slack)
/// until shortly before the next due time (by how late its sleeps have
/// been ending: the machine's wake-up from idle), then waits out the rest
/// awake, and fires at the due time: never before it, and, on an idle
/// machine, within microseconds after it.
#[derive(Clone)]
struct Timer {
    shared: Arc<(Mutex<TimerState>, Condvar)>,
}

struct TimerState {
    due: BinaryHeap<Reverse<(Instant, u64)>>,
    waiting: std::collections::HashMap<u64, Action>,
    next_id: u64,
    stopped: bool,
    lateness: Lateness,
}

/// How much earlier than a due time the timer thread wakes, at least and
/// at most: awake for longer, on a machine of two cores, it would keep the
/// relays' other threads (and the parties) from a CPU, and the scheduler
/// would make it wait for its own turn, later than it woke early.
const EARLY: (Duration, Duration) = (Duration::from_micros(30), Duration::from_micros(400));

/// How early to wake, from how late sleeps have been ending (an
/// exponentially weighted average): twice that, within [`EARLY`].
fn early_by(late_avg: Duration) -> Duration {
    (late_avg * 2).clamp(EARLY.0, EARLY.1)
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
                    lateness: Lateness::default(),
                }),
                Condvar::new(),
            )),
        };
        let shared = timer.shared.clone();
        std::thread::Builder::new()
            .name("e3-relay-timer".into())
            .spawn(move || run_timer(&shared))
            .expect("the relay timer thread starts");
        timer
    }

    fn schedule(&self, due: Instant, action: Action) {
        let (lock, wake) = &*self.shared;
        let mut state = lock.lock().expect("timer lock");
        if state.stopped {
            return; // dropping the action: its receiver sees the end
        }
        let id = state.next_id;
        state.next_id += 1;
        // The timer thread need only hear of a new earliest due time: it
        // sleeps toward the earliest, and reads the heap again when awake.
        let earliest = state
            .due
            .peek()
            .is_none_or(|Reverse((head, _))| due < *head);
        state.due.push(Reverse((due, id)));
        state.waiting.insert(id, action);
        if earliest {
            wake.notify_one();
        }
    }

    /// Resolves at `due` (at once if it has passed).
    async fn until(&self, due: Instant) {
        if due <= Instant::now() {
            return;
        }
        let (sender, receiver) = oneshot::channel();
        self.schedule(due, Action::Wake(sender));
        let _ = receiver.await;
    }

    /// Writes `data` to `fd` at `due`, as far as the socket takes it.
    async fn send_at(&self, due: Instant, fd: Arc<OwnedFd>, data: Vec<u8>) -> Sent {
        let (done, receiver) = oneshot::channel();
        let action = Action::Write { fd, data, done };
        let now = Instant::now();
        if due <= now {
            // Already due when read (a relay that got to it late).
            if let Ok(mut state) = self.shared.0.lock() {
                state.lateness.record(now - due);
            }
            action.fire();
        } else {
            self.schedule(due, action);
        }
        receiver.await.unwrap_or(Sent::Failed)
    }

    fn lateness(&self) -> Lateness {
        self.shared
            .0
            .lock()
            .map(|s| s.lateness.clone())
            .unwrap_or_default()
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

/// Asks the kernel to end this thread's sleeps on time: its default timer
/// slack lets a sleep end up to 50 µs late (to batch wake-ups), which every
/// due time would add. A setting of this thread only.
pub fn precise_sleeps() {
    // SAFETY: PR_SET_TIMERSLACK takes the slack in ns, for the calling thread.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
    }
}

/// The timer thread: fires what is due, sleeps until shortly before the
/// next due time, waits out the rest awake.
fn run_timer(shared: &(Mutex<TimerState>, Condvar)) {
    precise_sleeps();
    let (lock, wake) = shared;
    let mut late_avg = Duration::from_micros(100);
    let mut state = lock.lock().expect("timer lock");
    loop {
        if state.stopped {
            return;
        }
        let now = Instant::now();
        let mut ready = Vec::new();
        while let Some(Reverse((due, id))) = state.due.peek().copied() {
            if due > now {
                break;
            }
            state.due.pop();
            if let Some(action) = state.waiting.remove(&id) {
                ready.push((due, action));
            }
        }
        if !ready.is_empty() {
            drop(state);
            // Each one's lateness as it is carried out (after those before
            // it in the batch), recorded once the lock is taken again.
            let late: Vec<Duration> = ready
                .into_iter()
                .map(|(due, action)| {
                    let late = Instant::now().saturating_duration_since(due);
                    action.fire();
                    late
                })
                .collect();
            state = lock.lock().expect("timer lock");
            for late in late {
                state.lateness.record(late);
            }
            continue;
        }
        let Some(Reverse((next, _))) = state.due.peek().copied() else {
            state = wake.wait(state).expect("timer lock");
            continue;
        };
        let wake_at = next.checked_sub(early_by(late_avg)).unwrap_or(next);
        if now < wake_at {
            let (s, result) = wake.wait_timeout(state, wake_at - now).expect("timer lock");
            state = s;
            if result.timed_out() {
                // How late the sleep ended: what to wake that much earlier for.
                let late = Instant::now().saturating_duration_since(wake_at);
                late_avg = (late_avg * 7 + late) / 8;
            }
            continue;
        }
        // Within the margin: awake until the earliest due time (which a
        // new, earlier one may have become). Not yielding: on a busy
        // machine a yield hands the CPU over for a whole time slice, and
        // the margin is short.
        drop(state);
        std::hint::spin_loop();
        state = lock.lock().expect("timer lock");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lateness_histogram_bounds_and_counts() {
        let mut l = Lateness::default();
        assert_eq!(l.within(0.5), None);
        for us in [0, 3, 8, 15, 40, 40, 90, 700, 3000, 60_000] {
            l.record(Duration::from_micros(us));
        }
        assert_eq!(l.chunks, 10);
        assert_eq!(l.max, Duration::from_millis(60));
        // Half within 50 µs (the 5th is 40 µs), 90 % within 5 ms.
        assert_eq!(l.within(0.5), Some(Duration::from_micros(50)));
        assert_eq!(l.within(0.9), Some(Duration::from_millis(5)));
        assert_eq!(l.within(1.0), Some(Duration::from_millis(60)));
        assert_eq!(l.later_than(Duration::from_micros(100)), 3);
        assert_eq!(l.later_than(Duration::from_millis(50)), 1);
        // All on time: the bound is the latest, not the bucket's.
        let mut on_time = Lateness::default();
        on_time.record(Duration::from_micros(2));
        assert_eq!(on_time.within(0.99), Some(Duration::from_micros(2)));
    }
}
