//! The NixOS images e3 builds: which flake attribute, the build plan, the
//! image file inside the result, and the record `deploy` reads to upload it.

use std::fmt;
use std::io::Read;

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::{Cmd, Plan, Step};
use md5::Md5;
use serde_json::json;
use sha2::{Digest, Sha256};

/// An image e3 can build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// x86_64 qcow2 for DigitalOcean droplets.
    DigitalOcean,
    /// aarch64 SD-card image for a Raspberry Pi 4.
    RaspberryPi4,
}

impl Target {
    /// The name of the out link and of the record: `digitalocean`.
    pub fn name(self) -> &'static str {
        match self {
            Target::DigitalOcean => "digitalocean",
            Target::RaspberryPi4 => "raspberry-pi-4",
        }
    }

    /// The Nix system the image is for.
    pub fn system(self) -> &'static str {
        match self {
            Target::DigitalOcean => "x86_64-linux",
            Target::RaspberryPi4 => "aarch64-linux",
        }
    }

    /// The flake output that builds it.
    pub fn attr(self) -> String {
        let package = match self {
            Target::DigitalOcean => "digitalOceanImage",
            Target::RaspberryPi4 => "raspberryPi4Image",
        };
        format!("packages.{}.{package}", self.system())
    }

    /// Endings of the image file in the result: the name varies by release
    /// (`nixos.qcow2.gz`, `nixos-image-...qcow2.gz`, `sd-image/*.img.zst`).
    fn endings(self) -> &'static [&'static str] {
        match self {
            Target::DigitalOcean => &[".qcow2.gz", ".qcow2.bz2", ".qcow2"],
            Target::RaspberryPi4 => &[".img.zst", ".img"],
        }
    }
}

/// The experimental features `nix build` of a flake needs.
pub const NIX_FEATURES: &str = "nix-command flakes";

/// `nix build` of the target's flake output into `out_dir/<name>` (an out
/// link that also keeps the image from Nix's garbage collector).
pub fn build_plan(
    root: &Utf8Path,
    nix: &Utf8Path,
    target: Target,
    out_dir: &Utf8Path,
    build_logs: bool,
) -> Plan {
    let mut plan = Plan::new(root);
    plan.push(Step::Run(Cmd::new("mkdir").arg("-p").arg(out_dir)));
    let mut build = Cmd::new(nix)
        .args(["--extra-experimental-features", NIX_FEATURES, "build"])
        .arg(format!(".#{}", target.attr()))
        .arg("--out-link")
        .arg(out_dir.join(target.name()));
    if build_logs {
        build = build.arg("--print-build-logs");
    }
    plan.push(Step::Run(build));
    plan
}

/// Why the image or its record could not be made.
#[derive(Debug)]
pub enum ImageError {
    /// The result holds no image file, or more than one.
    NotFound {
        result: Utf8PathBuf,
        candidates: Vec<Utf8PathBuf>,
    },
    /// A file could not be read or written.
    Io {
        path: Utf8PathBuf,
        source: std::io::Error,
    },
    /// `flake.lock` has no nixpkgs revision.
    Lock { path: Utf8PathBuf, why: String },
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::NotFound { result, candidates } if candidates.is_empty() => {
                write!(f, "no image file in {result}")
            }
            ImageError::NotFound { result, candidates } => {
                let list: Vec<&str> = candidates.iter().map(|c| c.as_str()).collect();
                write!(
                    f,
                    "more than one image file in {result}: {}",
                    list.join(", ")
                )
            }
            ImageError::Io { path, source } => write!(f, "cannot read {path}: {source}"),
            ImageError::Lock { path, why } => write!(f, "{path}: {why}"),
        }
    }
}

impl std::error::Error for ImageError {}

/// The one image file inside a build result (a folder or an out link to one).
pub fn find_image(result: &Utf8Path, target: Target) -> Result<Utf8PathBuf, ImageError> {
    let mut found = Vec::new();
    let mut stack = vec![result.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = dir.read_dir_utf8().map_err(|source| ImageError::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path().to_path_buf();
            // Follows links: a result is a link into the store.
            if path.is_dir() {
                stack.push(path);
            } else if target
                .endings()
                .iter()
                .any(|e| entry.file_name().ends_with(e))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    match <[Utf8PathBuf; 1]>::try_from(found) {
        Ok([one]) => Ok(one),
        Err(candidates) => Err(ImageError::NotFound {
            result: result.to_path_buf(),
            candidates,
        }),
    }
}

/// A file's size and digests, read once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDigest {
    pub size: u64,
    /// Hex: DigitalOcean Spaces' ETag of a single-part upload.
    pub md5: String,
    /// Hex.
    pub sha256: String,
}

pub fn digest(path: &Utf8Path) -> Result<FileDigest, ImageError> {
    let io = |source| ImageError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let (mut md5, mut sha256) = (Md5::new(), Sha256::new());
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        sha256.update(&buf[..n]);
        size += n as u64;
    }
    Ok(FileDigest {
        size,
        md5: hex(&md5.finalize()),
        sha256: hex(&sha256.finalize()),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The nixpkgs revision `flake.lock` pins.
pub fn nixpkgs_rev(lock_path: &Utf8Path) -> Result<String, ImageError> {
    let text = std::fs::read_to_string(lock_path).map_err(|source| ImageError::Io {
        path: lock_path.to_path_buf(),
        source,
    })?;
    let lock = |why: &str| ImageError::Lock {
        path: lock_path.to_path_buf(),
        why: why.to_string(),
    };
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| lock(&format!("not JSON: {e}")))?;
    // The root's input `nixpkgs` names the node that pins it.
    let root = doc["root"].as_str().unwrap_or("root");
    let node = doc["nodes"][root]["inputs"]["nixpkgs"]
        .as_str()
        .ok_or_else(|| lock("the root has no nixpkgs input"))?;
    doc["nodes"][node]["locked"]["rev"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| lock("the nixpkgs input has no locked rev"))
}

/// What `cargo xtask image` built, for `deploy` to upload: written as
/// `<out>/<name>.json` next to the out link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRecord {
    pub target: Target,
    /// The image file, through the out link.
    pub file: Utf8PathBuf,
    pub digest: FileDigest,
    pub nixpkgs_rev: String,
    /// RFC 3339, UTC.
    pub built_at: String,
}

impl ImageRecord {
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "target": self.target.name(),
            "system": self.target.system(),
            "attr": self.target.attr(),
            "file": self.file.as_str(),
            "size": self.digest.size,
            "md5": self.digest.md5,
            "sha256": self.digest.sha256,
            "nixpkgs_rev": self.nixpkgs_rev,
            "built_at": self.built_at,
        })
    }

    /// Where the record of `target` goes in `out_dir`.
    pub fn path(out_dir: &Utf8Path, target: Target) -> Utf8PathBuf {
        out_dir.join(format!("{}.json", target.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_for_both_targets() {
        let plan = |target, logs| {
            build_plan(
                "/e3".into(),
                "/nix/var/nix/profiles/default/bin/nix".into(),
                target,
                "/e3/.e3/images".into(),
                logs,
            )
            .render()
        };
        insta::assert_snapshot!(plan(Target::DigitalOcean, false), @r"
        cd /e3
        mkdir -p /e3/.e3/images
        /nix/var/nix/profiles/default/bin/nix --extra-experimental-features 'nix-command flakes' build '.#packages.x86_64-linux.digitalOceanImage' --out-link /e3/.e3/images/digitalocean
        ");
        insta::assert_snapshot!(plan(Target::RaspberryPi4, true), @r"
        cd /e3
        mkdir -p /e3/.e3/images
        /nix/var/nix/profiles/default/bin/nix --extra-experimental-features 'nix-command flakes' build '.#packages.aarch64-linux.raspberryPi4Image' --out-link /e3/.e3/images/raspberry-pi-4 --print-build-logs
        ");
    }

    /// A folder of its own for a test, removed when dropped.
    struct Scratch(Utf8PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("e3-nix-{}-{name}", std::process::id()));
            let dir = Utf8PathBuf::from_path_buf(dir).unwrap();
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn file(&self, rel: &str, contents: &str) -> Utf8PathBuf {
            let path = self.0.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, contents).unwrap();
            path
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_image_is_found_whatever_its_name() {
        let s = Scratch::new("find");
        // An out link to a store path, as nix build leaves it.
        let store = s.0.join("store-abc-digital-ocean-image");
        s.file(
            "store-abc-digital-ocean-image/nixos-image-digital-ocean-26.05.x86_64-linux.qcow2.gz",
            "x",
        );
        s.file(
            "store-abc-digital-ocean-image/nix-support/hydra-build-products",
            "file qcow2 ...",
        );
        std::os::unix::fs::symlink(&store, s.0.join("digitalocean")).unwrap();
        let found = find_image(&s.0.join("digitalocean"), Target::DigitalOcean).unwrap();
        assert_eq!(
            found,
            s.0.join("digitalocean/nixos-image-digital-ocean-26.05.x86_64-linux.qcow2.gz")
        );
        let pi = s.file(
            "pi/sd-image/nixos-image-sd-card-26.05.aarch64-linux.img.zst",
            "x",
        );
        assert_eq!(
            find_image(&s.0.join("pi"), Target::RaspberryPi4).unwrap(),
            pi
        );
        // The wrong target's file is not an image of this one.
        let err = find_image(&s.0.join("pi"), Target::DigitalOcean).unwrap_err();
        assert_eq!(err.to_string(), format!("no image file in {}/pi", s.0));
        s.file("pi/sd-image/other.img", "y");
        let err = find_image(&s.0.join("pi"), Target::RaspberryPi4).unwrap_err();
        assert!(
            err.to_string().starts_with("more than one image file in"),
            "{err}"
        );
    }

    #[test]
    fn digests_and_the_record() {
        let s = Scratch::new("record");
        let file = s.file("nixos.qcow2.gz", "abc");
        let digest = digest(&file).unwrap();
        assert_eq!(digest.size, 3);
        assert_eq!(digest.md5, "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            digest.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let lock = s.file(
            "flake.lock",
            r#"{"nodes": {"nixpkgs": {"locked": {"rev": "5880666fd9eb563038431edb35c2d0aa595884e6"}},
                "root": {"inputs": {"nixpkgs": "nixpkgs"}}}, "root": "root", "version": 7}"#,
        );
        let record = ImageRecord {
            target: Target::DigitalOcean,
            file: "/e3/.e3/images/digitalocean/nixos.qcow2.gz".into(),
            digest,
            nixpkgs_rev: nixpkgs_rev(&lock).unwrap(),
            built_at: "2026-11-24T06:30:00Z".into(),
        };
        insta::assert_snapshot!(serde_json::to_string_pretty(&record.to_json()).unwrap(), @r#"
        {
          "attr": "packages.x86_64-linux.digitalOceanImage",
          "built_at": "2026-11-24T06:30:00Z",
          "file": "/e3/.e3/images/digitalocean/nixos.qcow2.gz",
          "md5": "900150983cd24fb0d6963f7d28e17f72",
          "nixpkgs_rev": "5880666fd9eb563038431edb35c2d0aa595884e6",
          "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
          "size": 3,
          "system": "x86_64-linux",
          "target": "digitalocean"
        }
        "#);
        assert_eq!(
            ImageRecord::path("/e3/.e3/images".into(), Target::RaspberryPi4),
            "/e3/.e3/images/raspberry-pi-4.json"
        );
        let bad = s.file("bad.lock", r#"{"nodes": {"root": {}}, "root": "root"}"#);
        assert_eq!(
            nixpkgs_rev(&bad).unwrap_err().to_string(),
            format!("{bad}: the root has no nixpkgs input")
        );
    }
}
