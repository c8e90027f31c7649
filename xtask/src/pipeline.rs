//! e3 inside a CI pipeline. With `CI` set or no terminal, nothing waits for
//! a person ([`require_yes`]); with `GITHUB_ACTIONS=true`, failures are also
//! `::error` annotations and the tasks append a Markdown summary to the file
//! named by `GITHUB_STEP_SUMMARY`. No secret value reaches either: both go
//! through [`redact`].

use std::io::{IsTerminal as _, Write as _};

use crate::error::{Result, usage};

/// Whether no person can answer a question: in CI, or with no terminal.
pub fn unattended() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty()) || !std::io::stdin().is_terminal()
}

/// A task that asks for a confirmation, started where no one can give it
/// and without `--yes`: a usage error naming the flag, before the task
/// reads, creates or deletes anything.
pub fn require_yes(task: &str, yes: bool) -> Result<()> {
    if yes || !unattended() {
        return Ok(());
    }
    let why = match std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        true => "CI is set",
        false => "stdin is not a terminal",
    };
    Err(usage(format!(
        "`cargo xtask {task}` needs a yes, and no one is at a terminal to give it ({why})"
    ))
    .hint("pass --yes"))
}

/// Whether this runs as a GitHub Actions step.
pub fn github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Variables whose values are secrets: deploy's and destroy's (from
/// e3-deploy's preflight) and the others e3 or its tools may be given.
pub fn secret_variables() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = e3_deploy::preflight::SECRETS
        .iter()
        .flat_map(|(alternatives, _)| alternatives.iter().flat_map(|a| a.iter().copied()))
        .collect();
    names.extend([
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "TF_VAR_image_url",
        "TS_AUTHKEY",
        "TAILSCALE_AUTHKEY",
        "GITHUB_TOKEN",
        "NIX_TOKEN",
    ]);
    names
}

/// `text` with the value of every secret variable that is set replaced by
/// `***` (values shorter than 4 characters are not secrets worth the name,
/// and replacing them would mangle the text).
pub fn redact(text: &str) -> String {
    redact_with(text, |name| std::env::var(name).ok())
}

fn redact_with(text: &str, get: impl Fn(&str) -> Option<String>) -> String {
    let mut out = text.to_string();
    for name in secret_variables() {
        if let Some(value) = get(name)
            && value.len() >= 4
        {
            out = out.replace(&value, "***");
        }
    }
    out
}

/// An `::error` workflow command: `title` and `message` escaped as GitHub
/// documents (`%`, CR and LF in both; `:` and `,` in the title too).
pub fn error_annotation(title: &str, message: &str) -> String {
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    format!(
        "::error title={}::{}",
        property(&redact(title)),
        data(&redact(message))
    )
}

/// In GitHub Actions: prints an `::error` annotation (to stderr, which the
/// runner reads as it reads stdout, and which stays free of a `--json`
/// document).
pub fn annotate_error(title: &str, message: &str) {
    if github_actions() {
        crate::out::err_line(&error_annotation(title, message));
    }
}

/// In GitHub Actions with `GITHUB_STEP_SUMMARY` set: appends `markdown`
/// (redacted) to the job summary. A summary that cannot be written is said
/// on stderr and otherwise ignored: it must not fail the run it describes.
pub fn append_summary(markdown: &str) {
    if !github_actions() {
        return;
    }
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| writeln!(file, "{}\n", redact(markdown).trim_end()));
    if let Err(err) = written {
        crate::out::errln!(
            "e3: could not append to GITHUB_STEP_SUMMARY ({}): {err}",
            path.to_string_lossy()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_escape_what_github_reads_as_syntax() {
        assert_eq!(
            error_annotation(
                "party 1, on h2: failed",
                "100% lost\r\nsee logs/x/party-1.log"
            ),
            "::error title=party 1%2C on h2%3A failed::100%25 lost%0D%0Asee logs/x/party-1.log"
        );
    }

    #[test]
    fn secret_values_are_replaced() {
        let env = |name: &str| match name {
            "TAILSCALE_API_KEY" => Some("tskey-api-abc123".to_string()),
            "SPACES_ACCESS_KEY_ID" => Some("DO00KEY".to_string()),
            "TS_AUTHKEY" => Some("x".to_string()),
            _ => None,
        };
        assert_eq!(
            redact_with("key tskey-api-abc123, id DO00KEY, x stays", env),
            "key ***, id ***, x stays"
        );
    }

    #[test]
    fn every_deploy_secret_is_redacted() {
        let names = secret_variables();
        for name in [
            "DIGITALOCEAN_TOKEN",
            "DIGITALOCEAN_ACCESS_TOKEN",
            "SPACES_ACCESS_KEY_ID",
            "SPACES_SECRET_ACCESS_KEY",
            "TAILSCALE_API_KEY",
            "TAILSCALE_OAUTH_CLIENT_ID",
            "TAILSCALE_OAUTH_CLIENT_SECRET",
        ] {
            assert!(names.contains(&name), "{name} is not redacted");
        }
    }
}
