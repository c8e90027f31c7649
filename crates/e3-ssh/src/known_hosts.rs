//! A known_hosts file of e3's own (a deployment's: its droplets' host
//! keys), and forgetting hosts in it: a droplet replaced keeps its name
//! but has a new host key, which ssh would refuse ("Host key verification
//! failed") as long as the old one is known.

/// `text` without the lines of `hosts` (plain names, as e3 writes them:
/// `HashKnownHosts no`; a line may name several hosts, `a,b ssh-ed25519
/// ...`, and a host with a port is `[name]:port`), and the hosts it
/// forgot, in the order given.
pub fn forget(text: &str, hosts: &[&str]) -> (String, Vec<String>) {
    let mut forgotten: Vec<String> = Vec::new();
    let mut kept = String::new();
    for line in text.lines() {
        let names = line.split_whitespace().next().unwrap_or("");
        let matched: Vec<&&str> = hosts
            .iter()
            .filter(|h| !line.trim_start().starts_with('#') && names_host(names, h))
            .collect();
        if matched.is_empty() {
            kept.push_str(line);
            kept.push('\n');
        } else {
            for h in matched {
                if !forgotten.iter().any(|f| f == *h) {
                    forgotten.push(h.to_string());
                }
            }
        }
    }
    let order = |h: &String| hosts.iter().position(|x| x == h).unwrap_or(usize::MAX);
    forgotten.sort_by_key(order);
    (kept, forgotten)
}

/// Whether a known_hosts line's first field names `host`.
fn names_host(names: &str, host: &str) -> bool {
    names.split(',').any(|n| {
        let n = n
            .strip_prefix('[')
            .map_or(n, |rest| rest.split(']').next().unwrap_or(rest));
        n.eq_ignore_ascii_case(host)
    })
}

/// What ssh says when a host's key is not the one known, and the host it
/// names: `Some(host)` when `stderr` is such a refusal.
pub fn changed_key(stderr: &str) -> Option<String> {
    let refused = stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
        || stderr.contains("Host key verification failed");
    if !refused {
        return None;
    }
    // "Host key for NAME has changed and you have requested strict checking."
    stderr
        .lines()
        .find_map(|l| {
            l.split("Host key for ")
                .nth(1)
                .and_then(|rest| rest.split(" has changed").next())
                .map(str::to_string)
        })
        .or_else(|| Some(String::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_only_the_hosts_named() {
        let text = "\
e3--ams3-0-aa ssh-ed25519 AAAA1
e3--sfo3-0-bb,100.64.0.2 ssh-ed25519 AAAA2
# a comment e3--ams3-0-aa
[e3--nyc3-0-cc]:2222 ssh-ed25519 AAAA3
E3--AMS3-0-AA ecdsa-sha2-nistp256 AAAA4
other ssh-ed25519 AAAA5
";
        let (kept, forgotten) = forget(text, &["e3--nyc3-0-cc", "e3--ams3-0-aa", "gone"]);
        assert_eq!(forgotten, ["e3--nyc3-0-cc", "e3--ams3-0-aa"]);
        assert_eq!(
            kept,
            "e3--sfo3-0-bb,100.64.0.2 ssh-ed25519 AAAA2\n# a comment e3--ams3-0-aa\nother ssh-ed25519 AAAA5\n"
        );
        let (same, none) = forget(text, &[]);
        assert_eq!((same.as_str(), none.len()), (text, 0));
    }

    #[test]
    fn a_changed_key_is_read_from_what_ssh_said() {
        let said = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n\
Host key for e3--ams3-0-aa has changed and you have requested strict checking.\n\
Host key verification failed.\n";
        assert_eq!(changed_key(said).as_deref(), Some("e3--ams3-0-aa"));
        assert_eq!(changed_key("Connection refused"), None);
    }
}
