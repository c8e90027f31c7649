//! Reading e3's TOML files (experiment files, network profiles) with
//! toml's spanned tables, so that every refusal names the file, the line
//! and the key: `{source}:{line}: `{key}`: {message}`.

use std::fmt;
use std::ops::Range;

pub use toml::Spanned;
pub use toml::de::{DeArray, DeTable, DeValue};

/// A mistake in a file, with where it is. Shown as
/// `{source}:{line}: `{key}`: {message}`, leaving out the parts it lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyError {
    /// The file's name as the caller gave it (or the flag it came from).
    pub source: String,
    /// 1-based; none for a missing key.
    pub line: Option<usize>,
    /// The key at fault, dotted under a table (`hosts.file`); none for a
    /// syntax error.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for KeyError {}

/// A file's text and name, for errors that point into it.
#[derive(Clone, Copy, Debug)]
pub struct Doc<'a> {
    pub text: &'a str,
    pub source: &'a str,
}

/// A key of a table and its value, with their spans.
pub type Entry<'t, 'i> = (
    &'t Spanned<std::borrow::Cow<'i, str>>,
    &'t Spanned<DeValue<'i>>,
);

impl<'a> Doc<'a> {
    /// The document's root table; a syntax error is toml's own words with
    /// the line (and, for a duplicate key, the key).
    pub fn parse(&self) -> Result<Spanned<DeTable<'a>>, KeyError> {
        DeTable::parse(self.text).map_err(|err| {
            let span = err.span();
            // toml points a duplicate key's error at the key: name it.
            let key = span
                .clone()
                .filter(|_| err.message() == "duplicate key")
                .and_then(|span| self.text.get(span))
                .map(|key| key.trim().to_string());
            KeyError {
                source: self.source.to_string(),
                line: span.map(|span| self.line(span.start)),
                key,
                message: err.message().to_string(),
            }
        })
    }

    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        1 + self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }

    /// An error about `key`, at the line of `span` when there is one.
    pub fn error(
        &self,
        span: Option<Range<usize>>,
        key: &str,
        message: impl Into<String>,
    ) -> KeyError {
        KeyError {
            source: self.source.to_string(),
            line: span.map(|span| self.line(span.start)),
            key: Some(key.to_string()),
            message: message.into(),
        }
    }
}

/// A table's entries in the file's order (the table keeps them by name).
pub fn entries<'t, 'i>(table: &'t DeTable<'i>) -> Vec<Entry<'t, 'i>> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

/// The value of `name` in `table`, if it is there.
pub fn get<'t, 'i>(table: &'t DeTable<'i>, name: &str) -> Option<&'t Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(key, _)| key.get_ref().as_ref() == name)
        .map(|(_, value)| value)
}

/// What a value is, for "expected ..., found ..." messages.
pub fn kind(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let doc = Doc {
            text: "a\nb\n\nc",
            source: "x",
        };
        assert_eq!(doc.line(0), 1);
        assert_eq!(doc.line(2), 2);
        assert_eq!(doc.line(5), 4);
        assert_eq!(doc.line(99), 4);
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let doc = Doc {
            text: "a = 1\nb = 2\nb = 3\n",
            source: "x.toml",
        };
        let err = doc.parse().unwrap_err();
        assert_eq!(err.to_string(), "x.toml:3: `b`: duplicate key");
        let doc = Doc {
            text: "z = 1\na = [1]\n",
            source: "y.toml",
        };
        let root = doc.parse().unwrap();
        let names: Vec<&str> = entries(root.get_ref())
            .iter()
            .map(|(k, _)| k.get_ref().as_ref())
            .collect();
        assert_eq!(names, ["z", "a"]);
        let a = get(root.get_ref(), "a").unwrap();
        assert_eq!(kind(a.get_ref()), "a list");
        let err = doc.error(Some(a.span()), "a", "bad");
        assert_eq!(err.to_string(), "y.toml:2: `a`: bad");
        assert_eq!(
            doc.error(None, "c", "missing").to_string(),
            "y.toml: `c`: missing"
        );
    }
}
