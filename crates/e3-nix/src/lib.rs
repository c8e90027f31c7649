//! The Nix side of e3, as seen from Rust: which flake output builds which
//! image and the plan that builds it ([`image`]), whether this machine can
//! build for aarch64 ([`binfmt`]) and what Nix's settings allow
//! ([`settings`]). Readers take a root folder, so tests feed them fixture
//! trees; nothing here prints.

pub mod binfmt;
pub mod image;
pub mod settings;
