//! The party-run engine: everything between "run this MPyC program with
//! these parties" and a summary of what each party did.
//!
//! - [`program`]: which program, found by name or path;
//! - [`python`]: the interpreter the parties use (e3's own `.e3/venv`, or one
//!   given), and the steps that make the environment;
//! - [`ports`]: free local ports, reserved against other e3 runs;
//! - [`engine`]: the plan of a local or remote run ([`plan_local`],
//!   [`RemotePlan`]), and running it ([`run_local`], [`run_remote`]) under an
//!   observer that watches every party, stops them all when one fails, and
//!   keeps each party's log;
//! - [`net`]: a local run under a network profile (`run --net`): each
//!   party's `-P` list through the relays, and the relays' routes;
//! - [`start`]: warm or cold, and e3's one default for it;
//! - [`request`]: one description of a run ([`RunRequest`]), filled by
//!   `run`'s flags or an experiment's cell, checked and planned here;
//! - [`provenance`]: e3's commit, the command line and the parties'
//!   versions, recorded with every run and experiment;
//! - [`logs`] and [`summary`]: `logs/<run-id>/`, and what the run did, party
//!   by party, as a table and as `summary.json`.
//!
//! The engine prints nothing and knows no flags: it reports progress as
//! [`RunEvent`]s and returns values and typed errors, and the caller (a task
//! of `cargo xtask`) decides what people see. `run` and `experiment` drive
//! the same engine.

pub mod engine;
pub mod logs;
pub mod net;
pub mod ports;
pub mod program;
pub mod provenance;
pub mod python;
pub mod request;
pub mod start;
pub mod summary;
pub mod tls;
pub mod warm;

pub use engine::{
    LocalOptions, Outcome, PartyEnd, RemotePlan, RemoteSettings, RunError, RunEvent, RunParty,
    RunSpec, plan_local, run_local, run_remote,
};
pub use program::{Program, ProgramError, resolve_program};
pub use provenance::Provenance;
pub use request::{Place, Prepared, RequestError, RunRequest};
pub use start::{Placement, Start};
