//! The Nix side of e3, as seen from Rust: which flake output builds which
//! image and the plan that builds it ([`image`]), whether this machine can
//! build for aarch64 ([`binfmt`]) and what Nix's settings allow
//! ([`settings`]). Readers take a root folder, so tests feed them fixture
//! trees; nothing here prints.

pub mod binfmt;
pub mod image;
pub mod settings;

/// How to get Nix, wherever e3 needs it and it is missing.
pub const INSTALL_NIX: &str =
    "install Nix (https://nixos.org/download; Debian/Ubuntu: `apt-get install nix-bin`)";

/// The oldest Nix that evaluates the pinned nixpkgs (its `lib/minver.nix`).
pub const MIN_NIX: (u32, u32, u32) = (2, 18, 0);

/// The version in what `nix --version` prints: `nix (Nix) 2.24.9` gives
/// `(2, 24, 9)`.
pub fn nix_version(text: &str) -> Option<(u32, u32, u32)> {
    let word = text.split_whitespace().last()?;
    let mut parts = word
        .split(['.', 'p', 'r', '-', '+'])
        .map(|p| p.parse::<u32>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

/// Why this Nix cannot build e3's flake, from its `nix --version` line;
/// `None` when it can (or when the version cannot be told).
pub fn nix_too_old(version_line: &str) -> Option<String> {
    let (major, minor, patch) = nix_version(version_line)?;
    ((major, minor, patch) < MIN_NIX).then(|| {
        format!(
            "Nix {major}.{minor}.{patch} is too old for the pinned nixpkgs, which needs {}.{} or newer",
            MIN_NIX.0, MIN_NIX.1
        )
    })
}

/// How to get a Nix new enough, when the one here is not.
pub const UPGRADE_NIX: &str = "install a current Nix from https://nixos.org/download (Debian's nix-bin 2.8 is too old), or use NixOS";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nix_versions() {
        assert_eq!(nix_version("nix (Nix) 2.24.9"), Some((2, 24, 9)));
        assert_eq!(nix_version("nix (Nix) 2.8.0"), Some((2, 8, 0)));
        assert_eq!(
            nix_version("nix (Determinate Nix 3.6.2) 2.29.0"),
            Some((2, 29, 0))
        );
        assert_eq!(
            nix_version("nix (Nix) 2.31pre20250712_abcdef"),
            Some((2, 31, 0))
        );
        assert_eq!(nix_version("garbage"), None);
        assert_eq!(
            nix_too_old("nix (Nix) 2.8.0").unwrap(),
            "Nix 2.8.0 is too old for the pinned nixpkgs, which needs 2.18 or newer"
        );
        assert_eq!(nix_too_old("nix (Nix) 2.18.0"), None);
        assert_eq!(nix_too_old("nix (Nix) 2.24.9"), None);
        assert_eq!(nix_too_old("something else"), None);
    }
}
