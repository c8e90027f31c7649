//! The program the parties run: a path to a `.py` file, or a name in a
//! folder of programs (e3's `demos/`, or another such as MPyC's own demos).

use std::fmt;

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::relative_to;

/// The program the parties run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The folder it runs in (MPyC demos read files next to them); a remote
    /// run copies this folder to the hosts.
    pub dir: Utf8PathBuf,
    /// Its file name within `dir`.
    pub file: String,
}

impl Program {
    pub fn name(&self) -> &str {
        self.file.strip_suffix(".py").unwrap_or(&self.file)
    }
}

/// Why a program could not be found.
#[derive(Debug)]
pub enum ProgramError {
    /// `spec` looks like a path (has a `/` or ends in `.py`), and no file is there.
    NoSuchFile { spec: String },
    /// `spec` is a path to something that is not a program file.
    NotAFile { spec: String },
    /// No `file` in the programs folder `dir`; `available` lists what is there.
    Unknown {
        spec: String,
        file: String,
        /// As shown to people: relative to the workspace root when inside it.
        dir: Utf8PathBuf,
        available: Vec<String>,
    },
    /// A path could not be resolved.
    Io {
        path: Utf8PathBuf,
        source: std::io::Error,
    },
}

impl fmt::Display for ProgramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProgramError::NoSuchFile { spec } => {
                write!(f, "program file `{spec}` does not exist")
            }
            ProgramError::NotAFile { spec } => write!(f, "`{spec}` is not a program file"),
            ProgramError::Unknown {
                spec, file, dir, ..
            } => write!(f, "unknown program `{spec}`: there is no {file} in {dir}/"),
            ProgramError::Io { path, source } => write!(f, "cannot resolve {path}: {source}"),
        }
    }
}

impl std::error::Error for ProgramError {}

/// Finds PROGRAM: a path to a `.py` file (relative to `cwd`), or a name in
/// `demos` (default: the workspace's `demos/`).
pub fn resolve_program(
    root: &Utf8Path,
    cwd: &Utf8Path,
    spec: &str,
    demos: Option<&Utf8Path>,
) -> Result<Program, ProgramError> {
    let demos_dir = demos.map_or_else(|| root.join("demos"), Utf8Path::to_path_buf);
    if spec.contains('/') || spec.ends_with(".py") {
        let path = cwd.join(spec);
        if !path.is_file() {
            return Err(ProgramError::NoSuchFile {
                spec: spec.to_string(),
            });
        }
        let path = path
            .canonicalize_utf8()
            .map_err(|source| ProgramError::Io { path, source })?;
        let (Some(dir), Some(file)) = (path.parent(), path.file_name()) else {
            return Err(ProgramError::NotAFile {
                spec: spec.to_string(),
            });
        };
        return Ok(Program {
            dir: dir.to_path_buf(),
            file: file.to_string(),
        });
    }
    let file = format!("{spec}.py");
    if demos_dir.join(&file).is_file() {
        let dir = demos_dir
            .canonicalize_utf8()
            .map_err(|source| ProgramError::Io {
                path: demos_dir.clone(),
                source,
            })?;
        return Ok(Program { dir, file });
    }
    Err(ProgramError::Unknown {
        spec: spec.to_string(),
        file,
        available: list_programs(&demos_dir),
        dir: relative_to(root, &demos_dir),
    })
}

/// The programs in a folder, by name (`secretsanta` for `secretsanta.py`).
pub fn list_programs(dir: &Utf8Path) -> Vec<String> {
    let mut names: Vec<String> = dir
        .read_dir_utf8()
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().strip_suffix(".py").map(str::to_string))
        .filter(|n| !n.starts_with('_'))
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_resolve_by_name_or_path() {
        let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .and_then(Utf8Path::parent)
            .unwrap();
        let p = resolve_program(root, root, "secretsanta", None).unwrap();
        assert_eq!(
            (p.dir.as_path(), p.file.as_str()),
            (root.join("demos").as_path(), "secretsanta.py")
        );
        let p = resolve_program(root, &root.join("xtask"), "../demos/helloworld.py", None).unwrap();
        assert_eq!(p.file, "helloworld.py");
        let err = resolve_program(root, root, "nosuch", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown program `nosuch`: there is no nosuch.py in demos/"
        );
        let ProgramError::Unknown { available, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(available, ["helloworld", "secretsanta"]);
        let err = resolve_program(root, root, "demos/nosuch.py", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "program file `demos/nosuch.py` does not exist"
        );
    }
}
