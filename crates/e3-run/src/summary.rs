//! What a run did, party by party: the table people read and the JSON that
//! CI pipelines read (`summary.json`, `--json`).

use std::time::Duration;

use camino::Utf8PathBuf;
use e3_exec::End;
use prun::mpyc::StopLine;
use serde_json::json;

/// How a party came out of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Ended on its own with an error: a culprit.
    Failed,
    /// e3 stopped it (or never started it) because of another party, a
    /// timeout or Ctrl-C.
    Stopped,
}

impl Status {
    pub fn of(end: Option<End>, stopped: bool) -> Status {
        match end {
            Some(end) if end.success() => Status::Ok,
            Some(_) if !stopped => Status::Failed,
            _ => Status::Stopped,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Stopped => "stopped",
        }
    }
}

/// One party's line of the summary.
#[derive(Clone, Debug)]
pub struct PartySummary {
    pub index: usize,
    /// The address other parties used for it.
    pub host: String,
    pub port: u16,
    /// `[user@]host` it was reached at over ssh (remote runs).
    pub ssh: Option<String>,
    /// The hostname it reported running on (remote runs).
    pub ran_on: Option<String>,
    pub status: Status,
    /// `None` when it never started.
    pub end: Option<End>,
    /// A remote party whose ssh lost its host: what ssh said of it (and
    /// `end` is only ssh's exit code 255).
    pub lost: Option<String>,
    pub wall: Duration,
    pub connected_after: Option<Duration>,
    pub stop: Option<StopLine>,
    /// Relative to the workspace root.
    pub log: Utf8PathBuf,
    /// Its region under a network profile (`run --net`).
    pub region: Option<String>,
}

impl PartySummary {
    /// `host:port` as people read it (an IPv6 address in brackets).
    fn address(&self) -> String {
        let host = e3_inventory::Address::of(&self.host).bracketed_or(&self.host);
        format!("{host}:{}", self.port)
    }
}

#[derive(Clone, Debug)]
pub struct Summary {
    pub run_id: String,
    pub started_at: String,
    /// `local` or `ssh`.
    pub mode: &'static str,
    /// Warm or cold.
    pub start: crate::Start,
    /// The parties spoke TLS (`--tls`).
    pub tls: bool,
    /// Hosts from which the run's TLS keys could not be removed (they did
    /// not answer at the end).
    pub tls_keys_left_on: Vec<String>,
    /// What may have skewed the run's figures, said by the caller (a
    /// testbed that dropped packets during it).
    pub warnings: Vec<String>,
    pub program: String,
    pub args: Vec<String>,
    pub parties: Vec<PartySummary>,
    pub stopped: Option<String>,
    pub wall: Duration,
    /// The network profile the run was under (`run --net`).
    pub net: Option<NetSummary>,
    /// Where its numbers come from: e3's commit, the command line, the
    /// parties' Python and packages ([`crate::provenance::record`]).
    pub environment: Option<serde_json::Value>,
    /// A run on hosts: how many ssh connections it opened (a key exchange
    /// each, in its wall time) and how many an earlier run had kept open.
    pub ssh_connections: Option<e3_ssh::Connections>,
}

/// Which network profile a run was under, and where it put the parties.
#[derive(Clone, Debug, PartialEq)]
pub struct NetSummary {
    pub profile: String,
    /// Where its figures come from (an estimate is labelled one).
    pub source: String,
    /// sha256 of the profile's file.
    pub hash: String,
    /// Parties per region, in party order.
    pub placement: Vec<(String, usize)>,
}

impl Summary {
    /// Why the run failed, naming the culprits; `None` when it succeeded.
    pub fn failure(&self) -> Option<String> {
        let culprits: Vec<String> = self
            .parties
            .iter()
            .filter(|p| p.status == Status::Failed)
            .map(|p| match (&p.ssh, p.end, &p.lost) {
                (_, _, Some(lost)) => format!("party {} {lost}", p.index),
                (Some(host), Some(end), None) => {
                    format!("party {} on {host} ({end}) failed", p.index)
                }
                (None, Some(end), None) => format!("party {} ({end}) failed", p.index),
                (_, None, None) => format!("party {} failed", p.index),
            })
            .collect();
        let any_not_ok = self.parties.iter().any(|p| p.status != Status::Ok);
        match (culprits.is_empty(), &self.stopped) {
            (false, _) => Some(format!("the run failed: {}", culprits.join(", "))),
            (true, Some(reason)) => Some(format!("the run was stopped: {reason}")),
            (true, None) if any_not_ok => Some("the run failed".to_string()),
            (true, None) => None,
        }
    }

    pub fn ok_count(&self) -> usize {
        self.parties
            .iter()
            .filter(|p| p.status == Status::Ok)
            .count()
    }

    pub fn to_json(&self) -> serde_json::Value {
        let parties: Vec<_> = self
            .parties
            .iter()
            .map(|p| {
                let (exit_code, signal) = match (p.end, &p.lost) {
                    (_, Some(_)) => (None, None),
                    (Some(End::Code(c)), None) => (Some(c), None),
                    (Some(End::Signal(s)), None) => (None, Some(e3_exec::signal_name(s))),
                    (None, None) => (None, None),
                };
                let mut party = json!({
                    "index": p.index,
                    "host": p.host,
                    "port": p.port,
                    "address": p.address(),
                    "ssh": p.ssh,
                    "ran_on": p.ran_on,
                    "status": p.status.as_str(),
                    "exit_code": exit_code,
                    "signal": signal,
                    "lost": p.lost,
                    "wall_secs": round3(p.wall.as_secs_f64()),
                    "connected_after_secs": p.connected_after.map(|d| round3(d.as_secs_f64())),
                    "mpyc_elapsed": p.stop.as_ref().map(|s| s.elapsed.clone()),
                    "mpyc_elapsed_secs": p.stop.as_ref().map(|s| s.elapsed_secs),
                    "bytes_sent": p.stop.as_ref().map(|s| s.bytes_sent),
                    "log": p.log.as_str(),
                });
                // Under a network profile only (`run --net`).
                if let Some(region) = &p.region {
                    party["region"] = json!(region);
                }
                party
            })
            .collect();
        let mut summary = json!({
            "run_id": self.run_id,
            "started_at": self.started_at,
            "mode": self.mode,
            "start": self.start.name(),
            "tls": self.tls,
            "program": self.program,
            "args": self.args,
            "parties": parties,
            "ok": self.failure().is_none(),
            "error": self.failure(),
            "stopped": self.stopped,
            "wall_secs": round3(self.wall.as_secs_f64()),
        });
        if let Some(net) = &self.net {
            summary["net"] = json!({
                "profile": net.profile,
                "source": net.source,
                "hash": net.hash,
                "placement": net
                    .placement
                    .iter()
                    .map(|(r, n)| json!({"region": r, "parties": n}))
                    .collect::<Vec<_>>(),
            });
        }
        if !self.warnings.is_empty() {
            summary["warnings"] = json!(self.warnings);
        }
        if !self.tls_keys_left_on.is_empty() {
            summary["tls_keys_left_on"] = json!(self.tls_keys_left_on);
        }
        if let Some(c) = &self.ssh_connections {
            summary["ssh_connections"] = json!({"opened": c.opened, "reused": c.reused});
        }
        if let Some(environment) = &self.environment {
            summary["environment"] = environment.clone();
        }
        summary
    }

    /// The table people read at the end of a run; remote runs get a host
    /// column (where e3 reached the party over ssh).
    pub fn table(&self) -> String {
        let (header, rows, right) = self.grid();
        e3_plan::columns(&header, &rows, &right)
    }

    /// The same table in Markdown, for a CI job's summary.
    pub fn markdown_table(&self) -> String {
        let (header, rows, right) = self.grid();
        e3_plan::markdown_table(&header, &rows, &right)
    }

    /// The table's header, rows and right-aligned columns.
    fn grid(&self) -> (Vec<&'static str>, Vec<Vec<String>>, Vec<bool>) {
        let rows: Vec<PartyRow> = self
            .parties
            .iter()
            .map(|p| PartyRow {
                index: p.index,
                ssh: p.ssh.clone(),
                region: p.region.clone(),
                address: p.address(),
                status: p.status.as_str().to_string(),
                exit: match (p.end, &p.lost) {
                    (_, Some(_)) => "lost".into(),
                    (Some(End::Code(c)), None) => c.to_string(),
                    (Some(End::Signal(s)), None) => e3_exec::signal_name(s),
                    (None, None) => "-".into(),
                },
                mpyc_time: p.stop.as_ref().map(|s| s.elapsed.clone()),
                bytes_sent: p.stop.as_ref().map(|s| s.bytes_sent),
                wall_secs: Some(p.wall.as_secs_f64()),
            })
            .collect();
        party_grid(&rows)
    }
}

/// One party's row of a run's table, however it was learnt (the run that
/// just ended, or a `summary.json` read back by `cargo xtask runs show`).
pub struct PartyRow {
    pub index: usize,
    /// Where e3 reached it over ssh (remote runs): a host column.
    pub ssh: Option<String>,
    /// Its region under a network profile: a region column.
    pub region: Option<String>,
    pub address: String,
    pub status: String,
    /// An exit code, a signal's name, `lost` or `-`.
    pub exit: String,
    pub mpyc_time: Option<String>,
    pub bytes_sent: Option<u64>,
    pub wall_secs: Option<f64>,
}

/// A run's table: header, rows and right-aligned columns, for
/// [`e3_plan::columns`] or [`e3_plan::markdown_table`].
pub fn party_grid(parties: &[PartyRow]) -> (Vec<&'static str>, Vec<Vec<String>>, Vec<bool>) {
    let remote = parties.iter().any(|p| p.ssh.is_some());
    let regions = parties.iter().any(|p| p.region.is_some());
    let mut header = vec!["party"];
    let mut right = vec![true];
    if remote {
        header.push("host");
        right.push(false);
    }
    if regions {
        header.push("region");
        right.push(false);
    }
    header.extend([
        "address",
        "status",
        "exit",
        "mpyc time",
        "bytes sent",
        "wall",
    ]);
    right.extend([false, false, true, true, true, true]);
    let rows = parties
        .iter()
        .map(|p| {
            let mut row = vec![p.index.to_string()];
            if remote {
                row.push(p.ssh.clone().unwrap_or_default());
            }
            if regions {
                row.push(p.region.clone().unwrap_or_default());
            }
            row.extend([
                p.address.clone(),
                p.status.clone(),
                p.exit.clone(),
                p.mpyc_time.clone().unwrap_or_else(|| "-".into()),
                p.bytes_sent.map_or("-".into(), |b| b.to_string()),
                p.wall_secs.map_or("-".into(), |w| format!("{w:.2}s")),
            ]);
            row
        })
        .collect();
    (header, rows, right)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(statuses: &[(Status, Option<End>)], stopped: Option<&str>, remote: bool) -> Summary {
        Summary {
            run_id: "20261123-195300-secretsanta".into(),
            started_at: "2026-11-23T19:53:00Z".into(),
            mode: if remote { "ssh" } else { "local" },
            start: crate::Start::Cold,
            tls: false,
            tls_keys_left_on: Vec::new(),
            warnings: Vec::new(),
            program: "demos/secretsanta.py".into(),
            args: vec!["3".into()],
            parties: statuses
                .iter()
                .enumerate()
                .map(|(i, (status, end))| PartySummary {
                    index: i,
                    host: if remote {
                        format!("node-{i}")
                    } else {
                        "127.0.0.1".into()
                    },
                    port: if remote { 11599 } else { 11599 + i as u16 },
                    ssh: remote.then(|| format!("root@node-{i}")),
                    ran_on: remote.then(|| format!("node-{i}")),
                    status: *status,
                    end: *end,
                    lost: None,
                    wall: Duration::from_millis(1500 + 10 * i as u64),
                    connected_after: Some(Duration::from_millis(800)),
                    stop: (*status == Status::Ok).then(|| StopLine {
                        elapsed: "0:00:00.232".into(),
                        elapsed_secs: 0.232,
                        bytes_sent: 5312 + i as u64,
                    }),
                    log: format!("logs/20261123-195300-secretsanta/party-{i}.log").into(),
                    region: None,
                })
                .collect(),
            stopped: stopped.map(str::to_string),
            wall: Duration::from_millis(1620),
            net: None,
            ssh_connections: remote.then_some(e3_ssh::Connections {
                opened: 1,
                reused: 2,
            }),
            environment: Some(crate::provenance::record(
                &crate::provenance::Provenance {
                    commit: Some("8a92bcf5e9f8e8492d5e692f63b035f399036e1a".into()),
                    dirty: Some(false),
                    command: ["cargo xtask", "run", "secretsanta", "--", "3"]
                        .map(String::from)
                        .to_vec(),
                },
                &crate::provenance::Places {
                    versions: vec![crate::provenance::PlaceVersions {
                        place: "local".into(),
                        versions: json!({"python": "3.11.7", "mpyc": "0.11", "numpy": "2.4.6", "gmpy2": "2.3.2"}),
                        asked_at: None,
                    }],
                    hosts: Vec::new(),
                },
                "2026-11-23T19:53:00Z",
            )),
        }
    }

    const OK: (Status, Option<End>) = (Status::Ok, Some(End::Code(0)));
    const TERMED: (Status, Option<End>) = (Status::Stopped, Some(End::Signal(15)));

    #[test]
    fn statuses() {
        assert_eq!(Status::of(Some(End::Code(0)), true), Status::Ok);
        assert_eq!(Status::of(Some(End::Code(1)), false), Status::Failed);
        assert_eq!(Status::of(Some(End::Signal(15)), true), Status::Stopped);
        assert_eq!(Status::of(None, true), Status::Stopped);
    }

    #[test]
    fn a_good_run() {
        let s = summary(&[OK; 3], None, false);
        assert_eq!(s.failure(), None);
        insta::assert_snapshot!(s.table(), @r"
        party  address          status  exit    mpyc time  bytes sent   wall
            0  127.0.0.1:11599  ok         0  0:00:00.232        5312  1.50s
            1  127.0.0.1:11600  ok         0  0:00:00.232        5313  1.51s
            2  127.0.0.1:11601  ok         0  0:00:00.232        5314  1.52s
        ");
        insta::assert_snapshot!(serde_json::to_string_pretty(&s.to_json()["parties"][1]).unwrap(), @r#"
        {
          "address": "127.0.0.1:11600",
          "bytes_sent": 5313,
          "connected_after_secs": 0.8,
          "exit_code": 0,
          "host": "127.0.0.1",
          "index": 1,
          "log": "logs/20261123-195300-secretsanta/party-1.log",
          "lost": null,
          "mpyc_elapsed": "0:00:00.232",
          "mpyc_elapsed_secs": 0.232,
          "port": 11600,
          "ran_on": null,
          "signal": null,
          "ssh": null,
          "status": "ok",
          "wall_secs": 1.51
        }
        "#);
    }

    /// `summary.json` as a whole: the run, its parties and where it came
    /// from (e3's commit, the command, the parties' versions), one shape
    /// with an experiment's environment.json. This machine's own figures
    /// (cores, os, arch) are filtered.
    #[test]
    fn summary_json_records_where_the_run_came_from() {
        let s = summary(&[OK, OK], None, false);
        let mut json = s.to_json();
        json["environment"]["machine"] =
            json!({"cores": "[cores]", "os": "[os]", "arch": "[arch]"});
        insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
    }

    #[test]
    fn a_failed_run_names_the_culprit() {
        let s = summary(
            &[TERMED, (Status::Failed, Some(End::Code(1))), TERMED],
            Some("party 1 failed (exit code 1)"),
            false,
        );
        assert_eq!(
            s.failure().unwrap(),
            "the run failed: party 1 (exit code 1) failed"
        );
        insta::assert_snapshot!(s.table(), @r"
        party  address          status      exit  mpyc time  bytes sent   wall
            0  127.0.0.1:11599  stopped  SIGTERM          -           -  1.50s
            1  127.0.0.1:11600  failed         1          -           -  1.51s
            2  127.0.0.1:11601  stopped  SIGTERM          -           -  1.52s
        ");
        let timed_out = summary(&[TERMED], Some("timed out after 5s"), false);
        assert_eq!(
            timed_out.failure().unwrap(),
            "the run was stopped: timed out after 5s"
        );
    }

    #[test]
    fn a_remote_run_has_a_host_column() {
        let s = summary(
            &[
                OK,
                (Status::Failed, Some(End::Code(255))),
                (Status::Stopped, None),
            ],
            Some("x"),
            true,
        );
        assert_eq!(
            s.failure().unwrap(),
            "the run failed: party 1 on root@node-1 (exit code 255) failed"
        );
        insta::assert_snapshot!(s.table(), @r"
        party  host         address       status   exit    mpyc time  bytes sent   wall
            0  root@node-0  node-0:11599  ok          0  0:00:00.232        5312  1.50s
            1  root@node-1  node-1:11599  failed    255            -           -  1.51s
            2  root@node-2  node-2:11599  stopped     -            -           -  1.52s
        ");
    }

    /// IPv6 hosts are shown bracketed, with the ssh port when the file
    /// gives one, so two hosts of one address are told apart.
    #[test]
    fn ipv6_hosts_are_shown_bracketed() {
        let mut s = summary(&[OK, OK], None, true);
        for (i, ssh) in ["root@[::1]", "root@[::1]:2222"].into_iter().enumerate() {
            s.parties[i].host = "::1".into();
            s.parties[i].port = 11599 + i as u16;
            s.parties[i].ssh = Some(ssh.into());
        }
        assert_eq!(s.to_json()["parties"][1]["address"], "[::1]:11600");
        assert_eq!(s.to_json()["parties"][1]["host"], "::1");
        // How the hosts were reached: a run on hosts says, a local one not.
        assert_eq!(
            s.to_json()["ssh_connections"],
            json!({"opened": 1, "reused": 2})
        );
        let local = summary(&[OK], None, false).to_json();
        assert!(local.get("ssh_connections").is_none(), "{local:#}");
        insta::assert_snapshot!(s.table(), @r"
        party  host             address      status  exit    mpyc time  bytes sent   wall
            0  root@[::1]       [::1]:11599  ok         0  0:00:00.232        5312  1.50s
            1  root@[::1]:2222  [::1]:11600  ok         0  0:00:00.232        5313  1.51s
        ");
    }

    /// A party whose host stopped answering is named as lost, not by ssh's
    /// exit code 255.
    #[test]
    fn a_lost_host_is_named() {
        let mut s = summary(
            &[OK, (Status::Failed, Some(End::Code(255))), TERMED],
            Some("x"),
            true,
        );
        s.parties[1].lost = Some("lost the connection to node-1 (no answer for 15 s)".into());
        assert_eq!(
            s.failure().unwrap(),
            "the run failed: party 1 lost the connection to node-1 (no answer for 15 s)"
        );
        let json = s.to_json();
        assert_eq!(json["parties"][1]["exit_code"], serde_json::Value::Null);
        assert_eq!(
            json["parties"][1]["lost"],
            "lost the connection to node-1 (no answer for 15 s)"
        );
        insta::assert_snapshot!(s.table(), @r"
        party  host         address       status      exit    mpyc time  bytes sent   wall
            0  root@node-0  node-0:11599  ok             0  0:00:00.232        5312  1.50s
            1  root@node-1  node-1:11599  failed      lost            -           -  1.51s
            2  root@node-2  node-2:11599  stopped  SIGTERM            -           -  1.52s
        ");
    }
}
