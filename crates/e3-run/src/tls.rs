//! TLS between parties (`run --tls`): MPyC's `--ssl` wants, in `.config/`
//! under each party's working directory, `party_<i>.crt`, `party_<i>.key`
//! and `mpyc_ca.crt`, a certificate named `MPyC party <i>` (what the
//! connecting side checks), and client certificates on both sides
//! (mpyc 0.11, `runtime.py`, `start()`). A party that cannot complete a
//! handshake retries every 0.1 s at debug level: a wrong certificate
//! looks like a hang. So e3 makes the material fresh for every run (a CA
//! whose key never leaves memory, one key and certificate per party),
//! checks it before any party starts ([`check`]), and gives each party a
//! working folder of its own ([`PartyDirs`]): the program's folder
//! mirrored by symlinks, plus its private `.config/`. The user's folder is
//! left as it was; the material is removed when the run ends.

use std::fmt;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::sync::atomic::{AtomicUsize, Ordering};

use camino::{Utf8Path, Utf8PathBuf};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// Where MPyC looks, under a party's working directory.
pub const CONFIG_DIR: &str = ".config";
/// The CA's certificate, in every party's `.config/`.
pub const CA_FILE: &str = "mpyc_ca.crt";

/// The name party `i`'s certificate must carry: MPyC connects to party
/// `i` with `server_hostname = 'MPyC party i'`.
pub fn party_name(i: usize) -> String {
    format!("MPyC party {i}")
}

/// One party's key and certificate, PEM.
#[derive(Clone)]
pub struct PartyMaterial {
    pub cert: String,
    /// Secret: never printed, logged or put in a summary.
    pub key: String,
}

impl fmt::Debug for PartyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartyMaterial")
            .field("cert", &"(PEM)")
            .field("key", &"***")
            .finish()
    }
}

/// A run's material: the CA's certificate (its key is gone once the
/// parties' certificates are signed) and each party's.
#[derive(Clone, Debug)]
pub struct Material {
    pub ca_cert: String,
    pub parties: Vec<PartyMaterial>,
}

/// Why material could not be made or written.
#[derive(Debug)]
pub enum TlsError {
    Make(String),
    Io {
        what: String,
        source: std::io::Error,
    },
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Make(why) => write!(f, "cannot make the run's TLS certificates: {why}"),
            TlsError::Io { what, source } => write!(f, "{what}: {source}"),
        }
    }
}

impl TlsError {
    /// What a failed file operation on `what` (`cannot make DIR`, say) becomes.
    fn io(what: String) -> impl FnOnce(std::io::Error) -> TlsError {
        move |source| TlsError::Io { what, source }
    }
}

impl std::error::Error for TlsError {}

impl Material {
    /// A fresh CA and `parties` keys and certificates signed by it.
    pub fn make(parties: usize) -> Result<Material, TlsError> {
        let err = |e: rcgen::Error| TlsError::Make(e.to_string());
        let ca_key = KeyPair::generate().map_err(err)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "e3 run CA (one run only)");
        ca.distinguished_name = dn;
        let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
        let issuer = Issuer::new(ca, &ca_key);
        let parties = (0..parties)
            .map(|i| {
                let key = KeyPair::generate().map_err(err)?;
                let mut params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
                let mut dn = DistinguishedName::new();
                dn.push(DnType::CommonName, party_name(i));
                params.distinguished_name = dn;
                let cert = params.signed_by(&key, &issuer).map_err(err)?;
                Ok(PartyMaterial {
                    cert: cert.pem(),
                    key: key.serialize_pem(),
                })
            })
            .collect::<Result<Vec<_>, TlsError>>()?;
        Ok(Material {
            ca_cert: ca_cert.pem(),
            parties,
        })
    }
}

/// A party whose material cannot work, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unfit {
    /// `None`: the CA's certificate itself.
    pub party: Option<usize>,
    pub why: String,
}

impl fmt::Display for Unfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.party {
            Some(i) => write!(f, "party {i}'s TLS certificate {}", self.why),
            None => write!(f, "the run's CA certificate {}", self.why),
        }
    }
}

/// Checks what MPyC's handshake will: the CA's certificate parses and is a
/// CA; each party's parses, is signed by that CA, is named `MPyC party
/// <i>`, and is for the key it comes with. The first problem is returned.
pub fn check(material: &Material) -> Result<(), Unfit> {
    let unfit = |party: Option<usize>, why: String| Unfit { party, why };
    let ca = Cert::from_pem(&material.ca_cert).map_err(|why| unfit(None, why))?;
    if !ca.is_ca {
        return Err(unfit(None, "is not a CA's".into()));
    }
    for (i, party) in material.parties.iter().enumerate() {
        let cert = Cert::from_pem(&party.cert).map_err(|why| unfit(Some(i), why))?;
        if !cert.signed_by(&ca) {
            return Err(unfit(Some(i), "is not signed by the run's CA".into()));
        }
        let want = party_name(i);
        if cert.common_names != [want.as_str()] {
            return Err(unfit(
                Some(i),
                format!(
                    "is for {}, and MPyC checks for `{want}`",
                    if cert.common_names.is_empty() {
                        "no name".to_string()
                    } else {
                        cert.common_names
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            ));
        }
        let key = KeyPair::from_pem(&party.key).map_err(|e| {
            unfit(
                Some(i),
                format!("comes with a key that does not parse: {e}"),
            )
        })?;
        if cert.public_key != key.public_key_raw() {
            return Err(unfit(Some(i), "is not for the key it comes with".into()));
        }
    }
    Ok(())
}

/// What the check reads of a certificate (RFC 5280, read with yasna).
struct Cert {
    /// The signed part, as it is signed.
    tbs: Vec<u8>,
    signature_alg: Vec<u64>,
    signature: Vec<u8>,
    common_names: Vec<String>,
    /// The subject's public key (the BIT STRING's bytes).
    public_key: Vec<u8>,
    /// Its basic constraints say it is a CA.
    is_ca: bool,
}

/// ecdsa-with-SHA256 (RFC 5758), what rcgen signs with by default.
const ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
const COMMON_NAME: &[u64] = &[2, 5, 4, 3];
const BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];

impl Cert {
    fn from_pem(text: &str) -> Result<Cert, String> {
        let pem = pem::parse(text).map_err(|e| format!("is not PEM: {e}"))?;
        if pem.tag() != "CERTIFICATE" {
            return Err(format!("is a PEM `{}`, not a certificate", pem.tag()));
        }
        Cert::from_der(pem.contents()).map_err(|e| format!("does not parse: {e}"))
    }

    fn from_der(der: &[u8]) -> Result<Cert, yasna::ASN1Error> {
        let (tbs, signature_alg, signature) = yasna::parse_der(der, |r| {
            r.read_sequence(|r| {
                let tbs = r.next().read_der()?;
                let alg = r.next().read_sequence(|r| {
                    let oid = r.next().read_oid()?;
                    let _ = r.read_optional(|r| r.read_der())?;
                    Ok(oid.components().to_vec())
                })?;
                let (sig, _) = r.next().read_bitvec_bytes()?;
                Ok((tbs, alg, sig))
            })
        })?;
        let (common_names, public_key, is_ca) = yasna::parse_der(&tbs, |r| {
            r.read_sequence(|r| {
                let _version =
                    r.read_optional(|r| r.read_tagged(yasna::Tag::context(0), |r| r.read_der()))?;
                let _serial = r.next().read_der()?;
                let _alg = r.next().read_der()?;
                let _issuer = r.next().read_der()?;
                let _validity = r.next().read_der()?;
                let subject = r.next().read_der()?;
                let public_key = r.next().read_sequence(|r| {
                    let _alg = r.next().read_der()?;
                    Ok(r.next().read_bitvec_bytes()?.0)
                })?;
                let mut is_ca = false;
                while let Some(field) = r.read_optional(|r| r.read_der())? {
                    is_ca |= says_ca(&field).unwrap_or(false);
                }
                Ok((common_names(&subject)?, public_key, is_ca))
            })
        })?;
        Ok(Cert {
            tbs,
            signature_alg,
            signature,
            common_names,
            public_key,
            is_ca,
        })
    }

    /// Whether `issuer`'s key made this certificate's signature.
    fn signed_by(&self, issuer: &Cert) -> bool {
        self.signature_alg == ECDSA_SHA256
            && ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_ASN1,
                &issuer.public_key,
            )
            .verify(&self.tbs, &self.signature)
            .is_ok()
    }
}

/// The common names of a Name: SEQUENCE OF SET OF { type, value }.
fn common_names(name: &[u8]) -> Result<Vec<String>, yasna::ASN1Error> {
    yasna::parse_der(name, |r| {
        let mut names = Vec::new();
        r.read_sequence_of(|r| {
            r.read_set_of(|r| {
                r.read_sequence(|r| {
                    let oid = r.next().read_oid()?;
                    let value = r.next().read_der()?;
                    if oid.components().as_slice() == COMMON_NAME {
                        let text = yasna::parse_der(&value, |r| r.read_utf8string())
                            .or_else(|_| yasna::parse_der(&value, |r| r.read_printable_string()))?;
                        names.push(text);
                    }
                    Ok(())
                })
            })
        })?;
        Ok(names)
    })
}

/// Whether an `[3] EXPLICIT Extensions` field holds basic constraints
/// with `cA` true.
fn says_ca(field: &[u8]) -> Result<bool, yasna::ASN1Error> {
    yasna::parse_der(field, |r| {
        r.read_tagged(yasna::Tag::context(3), |r| {
            let mut ca = false;
            r.read_sequence_of(|r| {
                r.read_sequence(|r| {
                    let oid = r.next().read_oid()?;
                    let _critical = r.read_optional(|r| r.read_bool())?;
                    let value = r.next().read_bytes()?;
                    if oid.components().as_slice() == BASIC_CONSTRAINTS {
                        ca |= yasna::parse_der(&value, |r| {
                            r.read_sequence(|r| {
                                let ca = r.read_optional(|r| r.read_bool())?.unwrap_or(false);
                                let _len = r.read_optional(|r| r.read_u64())?;
                                Ok(ca)
                            })
                        })?;
                    }
                    Ok(())
                })
            })?;
            Ok(ca)
        })
    })
}

/// A run's private folder of TLS working folders (each party's, or each
/// host's staging): on tmpfs when the machine has one, 0700 all the way
/// down, removed with everything in it when dropped. Planned only (for a
/// dry run) it has names and nothing on disk.
#[derive(Debug)]
pub struct PrivateTree {
    pub base: Utf8PathBuf,
    /// The folders in it: by party ([`party_dirs`]) or by host
    /// ([`host_staging`]), in the order given.
    pub dirs: Vec<Utf8PathBuf>,
}

impl Drop for PrivateTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// Each party's working folder for a run with TLS: the program's folder
/// mirrored by symlinks (the program, its `data/`, whatever it reads or
/// writes through them, land where they would), and a private `.config/`
/// with that party's key and certificate and the CA's.
pub type PartyDirs = PrivateTree;

/// A run on hosts: each host's share of the material, staged here for the
/// copy (a private folder per host holding `party-<i>/.config/` for that
/// host's parties only: a host never gets another host's keys, nor the
/// CA's key, which no file holds).
pub type HostStaging = PrivateTree;

/// The folder for a run's TLS working folders: /dev/shm (memory, never
/// disk) when it is there, else the temp folder.
fn tls_root() -> Utf8PathBuf {
    let shm = Utf8Path::new("/dev/shm");
    if shm.is_dir() {
        return shm.to_path_buf();
    }
    Utf8PathBuf::from_path_buf(std::env::temp_dir()).unwrap_or_else(|_| "/tmp".into())
}

impl PrivateTree {
    /// A name of its own under [`tls_root`] (`<prefix>-<pid>-<n>`); made
    /// (0700) unless only `planned`.
    fn new(prefix: &str, planned: bool) -> Result<PrivateTree, TlsError> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let base = tls_root().join(format!(
            "{prefix}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        if !planned {
            private_dir(&base)?;
        }
        Ok(PrivateTree {
            base,
            dirs: Vec::new(),
        })
    }
}

/// Makes `dir`, its owner's alone (0700).
fn private_dir(dir: &Utf8Path) -> Result<(), TlsError> {
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .map_err(TlsError::io(format!("cannot make {dir}")))
}

/// Every party's working folder for `program_dir` and `material`; with no
/// material (a dry run), the folders' names for `parties` parties, nothing
/// made.
pub fn party_dirs(
    program_dir: &Utf8Path,
    material: Option<&Material>,
    parties: usize,
) -> Result<PartyDirs, TlsError> {
    let mut made = PrivateTree::new("e3-tls", material.is_none())?;
    let Some(material) = material else {
        made.dirs = (0..parties)
            .map(|i| made.base.join(format!("party-{i}")))
            .collect();
        return Ok(made);
    };
    // From here on, a failure removes what was made.
    let entries: Vec<_> = program_dir
        .read_dir_utf8()
        .map_err(TlsError::io(format!("cannot read {program_dir}")))?
        .flatten()
        .filter(|e| e.file_name() != CONFIG_DIR)
        .map(|e| e.path().to_path_buf())
        .collect();
    for (i, party) in material.parties.iter().enumerate() {
        let dir = made.base.join(format!("party-{i}"));
        private_dir(&dir)?;
        for entry in &entries {
            let link = dir.join(entry.file_name().unwrap_or("?"));
            std::os::unix::fs::symlink(entry, &link)
                .map_err(TlsError::io(format!("cannot link {link}")))?;
        }
        write_config(&dir, i, party, &material.ca_cert)?;
        made.dirs.push(dir);
    }
    Ok(made)
}

/// `dir/.config/` (0700) with party `i`'s certificate and key (0600) and
/// the CA's certificate.
fn write_config(
    dir: &Utf8Path,
    i: usize,
    party: &PartyMaterial,
    ca_cert: &str,
) -> Result<(), TlsError> {
    let config = dir.join(CONFIG_DIR);
    private_dir(&config)?;
    let write = |name: String, text: &str| {
        let path = config.join(&name);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(TlsError::io(format!("cannot write {path}")))
    };
    write(format!("party_{i}.crt"), &party.cert)?;
    write(format!("party_{i}.key"), &party.key)?;
    write(CA_FILE.to_string(), ca_cert)
}

/// Stages `material` for hosts whose parties are `parties_of_host`; with
/// no material (a dry run), the folders' names, nothing made.
pub fn host_staging(
    material: Option<&Material>,
    parties_of_host: &[Vec<usize>],
) -> Result<HostStaging, TlsError> {
    let mut staged = PrivateTree::new("e3-tls-hosts", material.is_none())?;
    for (h, parties) in parties_of_host.iter().enumerate() {
        let host_dir = staged.base.join(format!("host-{h}"));
        if let Some(material) = material {
            private_dir(&host_dir)?;
            for &i in parties {
                let party = material
                    .parties
                    .get(i)
                    .ok_or_else(|| TlsError::Make(format!("no material for party {i}")))?;
                let dir = host_dir.join(format!("party-{i}"));
                private_dir(&dir)?;
                write_config(&dir, i, party, &material.ca_cert)?;
            }
        }
        staged.dirs.push(host_dir);
    }
    Ok(staged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn fresh_material_passes_its_check() {
        let m = Material::make(3).unwrap();
        assert_eq!(m.parties.len(), 3);
        check(&m).unwrap();
        // Nothing of a key in its Debug.
        let shown = format!("{m:?}");
        assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    }

    #[test]
    fn crafted_certificates_are_refused_naming_the_party() {
        let good = Material::make(3).unwrap();
        // Party 1 with party 2's certificate: named for the wrong party.
        let mut wrong_name = good.clone();
        wrong_name.parties[1] = good.parties[2].clone();
        assert_eq!(
            check(&wrong_name).unwrap_err().to_string(),
            "party 1's TLS certificate is for `MPyC party 2`, and MPyC checks for `MPyC party 1`"
        );
        // Party 2's certificate from another run's CA.
        let other = Material::make(3).unwrap();
        let mut other_ca = good.clone();
        other_ca.parties[2] = other.parties[2].clone();
        assert_eq!(
            check(&other_ca).unwrap_err().to_string(),
            "party 2's TLS certificate is not signed by the run's CA"
        );
        // Party 0's certificate with another key.
        let mut wrong_key = good.clone();
        wrong_key.parties[0].key = other.parties[0].key.clone();
        assert_eq!(
            check(&wrong_key).unwrap_err().to_string(),
            "party 0's TLS certificate is not for the key it comes with"
        );
        // Garbage, and a CA that is not one.
        let mut garbage = good.clone();
        garbage.parties[1].cert = "not a certificate".into();
        assert!(
            check(&garbage)
                .unwrap_err()
                .to_string()
                .starts_with("party 1's TLS certificate is not PEM")
        );
        let mut not_ca = good.clone();
        not_ca.ca_cert = good.parties[0].cert.clone();
        assert_eq!(
            check(&not_ca).unwrap_err().to_string(),
            "the run's CA certificate is not a CA's"
        );
    }

    #[test]
    fn each_host_gets_only_its_parties_keys() {
        let m = Material::make(4).unwrap();
        let staged = host_staging(Some(&m), &[vec![0, 1], vec![2, 3]]).unwrap();
        let base = staged.base.clone();
        let key = |h: usize, i: usize| {
            staged.dirs[h]
                .join(format!("party-{i}"))
                .join(CONFIG_DIR)
                .join(format!("party_{i}.key"))
        };
        assert!(key(0, 0).is_file() && key(0, 1).is_file());
        assert!(key(1, 2).is_file() && key(1, 3).is_file());
        assert!(!staged.dirs[0].join("party-2").exists());
        assert!(!staged.dirs[1].join("party-0").exists());
        drop(staged);
        assert!(!base.exists());
    }

    #[test]
    fn party_dirs_mirror_the_program_and_hold_private_material() {
        let program = Utf8PathBuf::from_path_buf(std::env::temp_dir())
            .unwrap()
            .join(format!("e3-tls-program-{}", std::process::id()));
        std::fs::create_dir_all(program.join("data")).unwrap();
        std::fs::write(program.join("p.py"), "print(1)").unwrap();
        std::fs::write(program.join("data/x.csv"), "1").unwrap();
        let m = Material::make(2).unwrap();
        let dirs = party_dirs(&program, Some(&m), m.parties.len()).unwrap();
        let base = dirs.base.clone();
        let mode = |p: &Utf8Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&base), 0o700);
        for (i, dir) in dirs.dirs.iter().enumerate() {
            assert_eq!(
                std::fs::read_to_string(dir.join("p.py")).unwrap(),
                "print(1)"
            );
            assert_eq!(
                std::fs::read_to_string(dir.join("data/x.csv")).unwrap(),
                "1"
            );
            let config = dir.join(CONFIG_DIR);
            assert_eq!(mode(&config), 0o700);
            let key = config.join(format!("party_{i}.key"));
            assert_eq!(mode(&key), 0o600);
            assert!(
                std::fs::read_to_string(&key)
                    .unwrap()
                    .contains("PRIVATE KEY")
            );
            assert!(config.join(CA_FILE).is_file());
            // Only its own key.
            assert!(!config.join(format!("party_{}.key", 1 - i)).exists());
        }
        // The program's folder is as it was.
        let mut names: Vec<String> = program
            .read_dir_utf8()
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string())
            .collect();
        names.sort();
        assert_eq!(names, ["data", "p.py"]);
        drop(dirs);
        assert!(!base.exists(), "the keys are gone with the run");
        std::fs::remove_dir_all(&program).unwrap();
    }
}
