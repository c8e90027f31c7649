//! Claims: a testbed name and subnet that no other process uses, held for
//! as long as the claimer wants them, for whatever makes testbeds next to
//! others (test binaries, another clone's tests, a person's own `e3t`).
//!
//! A claimer takes the registry's lock, picks the first slot of its
//! [`Pool`] whose name has no live claim and no testbed on this machine and
//! whose subnet no interface has, locks the slot's claim file (an flock:
//! the kernel releases it when the claimer dies, however it dies), writes
//! a record of it beside, and lets the registry go. So no two live claims
//! share a name or a subnet, and nothing already on the machine is taken.
//!
//! A claim ends with [`Claim::release`] once its testbed is down: the
//! record goes, then the lock. A record found under a free lock is a dead
//! claimer's: its testbed (if it made one) is provably nobody's, and the
//! next claimer of that slot removes it before taking the slot. A claimer
//! never touches a testbed it finds without such a record.

use std::ops::RangeInclusive;

use camino::{Utf8Path, Utf8PathBuf};
use e3_exec::FileLock;
use serde_json::json;

use crate::{TestnetError, check_name, down, plan_down, subnet_user, survey};

/// Where claims are kept: in `/run`, which a reboot (that also removes
/// every namespace) empties. Writing there needs root, as testbeds do.
pub const REGISTRY: &str = "/run/e3-testnet";

/// The testbeds a claimer may take: slot `k` is testbed `{prefix}{k}` on
/// `{subnet}.{k}.0/24`, its folder `{dirs}/e3-testbed-{prefix}{k}`.
#[derive(Clone, Debug)]
pub struct Pool<'a> {
    pub prefix: &'a str,
    /// The first two octets of every slot's subnet.
    pub subnet: [u8; 2],
    pub slots: RangeInclusive<u8>,
    pub dirs: &'a Utf8Path,
}

impl Pool<'_> {
    fn name(&self, slot: u8) -> String {
        format!("{}{slot}", self.prefix)
    }
}

/// A testbed name, subnet and folder that are the claimer's alone until
/// released (or until the claimer dies).
#[derive(Debug)]
pub struct Claim {
    pub name: String,
    pub subnet: [u8; 3],
    /// The testbed's folder (`testnet up --dir`); nothing is there yet.
    pub dir: Utf8PathBuf,
    record: Utf8PathBuf,
    _lock: FileLock,
}

impl Claim {
    /// Ends the claim, once its testbed is down (or was never made). A
    /// claim dropped without this keeps its record, so the next claimer of
    /// the slot removes whatever is left of the testbed.
    pub fn release(self) {
        let _ = std::fs::remove_file(&self.record);
    }
}

/// A claim, and what was done on the way to it.
#[derive(Debug)]
pub struct Claimed {
    pub claim: Claim,
    /// Leftovers of dead claimers that were removed (their testbeds' names).
    pub removed: Vec<String>,
    /// Leftovers of dead claimers that could not be removed, and why; their
    /// slots were passed over (a later claimer tries again).
    pub left: Vec<String>,
}

/// A claimer's record, beside its lock.
struct Record {
    dir: Utf8PathBuf,
}

fn read_record(path: &Utf8Path) -> Option<Record> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(Record {
        dir: value["dir"].as_str()?.into(),
    })
}

/// Claims the first free slot of `pool` in `registry` (see the module's
/// documentation), using `ip` to look at the machine.
pub fn claim(ip: &Utf8Path, registry: &Utf8Path, pool: &Pool<'_>) -> Result<Claimed, TestnetError> {
    for slot in [*pool.slots.start(), *pool.slots.end()] {
        check_name(&pool.name(slot))?;
    }
    let _registry = FileLock::acquire(&registry.join("registry.lock"))?;
    let (mut removed, mut left) = (Vec::new(), Vec::new());
    let mut addresses = crate::addresses(ip)?;
    for slot in pool.slots.clone() {
        let name = pool.name(slot);
        let [a, b] = pool.subnet;
        let subnet = [a, b, slot];
        let Some(lock) = FileLock::try_acquire(&registry.join(format!("{name}.lock")))? else {
            continue; // a live claim
        };
        let record = registry.join(format!("{name}.json"));
        let dir = pool.dirs.join(format!("e3-testbed-{name}"));
        if let Some(stale) = read_record(&record) {
            // A dead claimer's: remove its testbed, then its record.
            let plan = plan_down(ip, &name, &survey(ip, &name), &stale.dir);
            if let Err(err) = down(ip, &name, &stale.dir, &plan) {
                left.push(err.to_string());
                continue;
            }
            let _ = std::fs::remove_file(&record);
            removed.push(name.clone());
            addresses = crate::addresses(ip)?;
        }
        if !survey(ip, &name).is_empty() || subnet_user(&addresses, subnet).is_some() {
            continue; // someone's own testbed, or their subnet
        }
        if dir.exists() {
            // Under a name no one has: a folder nobody's testbed uses.
            let _ = std::fs::remove_dir_all(&dir);
        }
        let contents = json!({
            "pid": std::process::id(),
            "name": name,
            "subnet": format!("{a}.{b}.{slot}"),
            "dir": dir.as_str(),
        });
        std::fs::write(&record, format!("{contents}\n")).map_err(|e| {
            TestnetError::Exec(e3_exec::ExecError {
                message: format!("cannot write {record}: {e}"),
            })
        })?;
        return Ok(Claimed {
            claim: Claim {
                name,
                subnet,
                dir,
                record,
                _lock: lock,
            },
            removed,
            left,
        });
    }
    Err(TestnetError::NoneFree {
        first: pool.name(*pool.slots.start()),
        last: pool.name(*pool.slots.end()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder of the test's own, with an `ip` that reports no namespace
    /// and one interface in 10.250.1.0/24.
    struct Machine(Utf8PathBuf);

    impl Machine {
        fn new(name: &str) -> Machine {
            let dir = std::env::temp_dir().join(format!("e3-claim-{}-{name}", std::process::id()));
            let dir = Utf8PathBuf::try_from(dir).unwrap();
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("dirs")).unwrap();
            let ip = dir.join("ip");
            std::fs::write(
                &ip,
                "#!/bin/sh\n\
                 [ \"$*\" = '-o -4 addr show' ] && echo '2: eth0    inet 10.250.1.7/24 brd 10.250.1.255 scope global eth0'\n\
                 exit 0\n",
            )
            .unwrap();
            std::fs::set_permissions(&ip, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
            Machine(dir)
        }

        fn claim(&self) -> Result<Claimed, TestnetError> {
            let dirs = self.0.join("dirs");
            let pool = Pool {
                prefix: "t",
                subnet: [10, 250],
                slots: 0..=3,
                dirs: &dirs,
            };
            claim(&self.0.join("ip"), &self.0.join("registry"), &pool)
        }
    }

    impl Drop for Machine {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// One test, not several: a process forked by a test running beside
    /// it (the stand-in `ip`) holds copies of this process's descriptors,
    /// a released claim's lock among them, until it execs.
    #[test]
    fn claims_share_no_slot_pass_over_subnets_in_use_and_clean_up_after_the_dead() {
        let machine = Machine::new("claims");
        // A dead claimer's record for t0 (its lock went with it), and its folder.
        let registry = machine.0.join("registry");
        let dead_dir = machine.0.join("dirs/e3-testbed-t0");
        std::fs::create_dir_all(dead_dir.join("hosts")).unwrap();
        std::fs::create_dir_all(&registry).unwrap();
        std::fs::write(
            registry.join("t0.json"),
            format!("{{\"pid\": 1, \"name\": \"t0\", \"dir\": \"{dead_dir}\"}}\n"),
        )
        .unwrap();
        let first = machine.claim().unwrap();
        assert_eq!(
            (first.claim.name.as_str(), first.claim.subnet),
            ("t0", [10, 250, 0])
        );
        assert_eq!(first.removed, ["t0"]);
        assert!(first.left.is_empty());
        assert_eq!(first.claim.dir, dead_dir);
        assert!(!dead_dir.exists(), "the dead claimer's folder is gone");
        let record = std::fs::read_to_string(registry.join("t0.json")).unwrap();
        assert!(
            record.contains(&format!("\"pid\":{}", std::process::id())),
            "{record}"
        );
        // t1's subnet is eth0's.
        let second = machine.claim().unwrap();
        assert_eq!(
            (second.claim.name.as_str(), second.claim.subnet),
            ("t2", [10, 250, 2])
        );
        assert!(second.removed.is_empty());
        let third = machine.claim().unwrap().claim;
        assert_eq!(third.name, "t3");
        let err = machine.claim().unwrap_err();
        assert_eq!(
            err.to_string(),
            "every testbed name from t0 to t3 is in use or claimed"
        );
        // A released claim is free again, with nothing to remove (once its
        // lock is: a fork of this process's may hold it for a moment).
        second.claim.release();
        assert!(!registry.join("t2.json").exists());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let again = loop {
            match machine.claim() {
                Ok(again) => break again,
                Err(err) => assert!(std::time::Instant::now() < deadline, "{err}"),
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert_eq!(again.claim.name, "t2");
        assert!(again.removed.is_empty() && again.left.is_empty());
        drop(first);
        drop(third);
    }
}
