//! Regions on one machine. A network profile ([`profile`]) says the round
//! trip, bandwidth and jitter between cloud regions and where the parties
//! are; the relays ([`relay`]) give every link between local parties its
//! region pair's delay, in e3's own process.
//!
//! MPyC's party i listens on its own `-P` entry and reaches party j at its
//! entry j, so the address party i is given for party j decides the path
//! of that link: e3 gives it a relay's, one relay per (source region,
//! target party), which needs no knowledge of MPyC's wire format.

pub mod probe;
pub mod profile;
pub mod relay;

pub use profile::{Link, Profile, ProfileError};

/// The ping-pong program (Python, not MPyC, with MPyC's `-I`/`-P` command
/// line): round trips and bulk transfers between every pair of parties.
/// `netprobe` runs it on hosts; `bench net` and the tests through `--net`.
pub const PINGPONG: &str = include_str!("../pingpong.py");
pub use relay::{
    Lateness, Relays, Route, files_needed, open_files_limit, precise_sleeps, recv_stamped,
    relay_processes, shards, stamp_arrivals_on,
};
