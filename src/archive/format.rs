//! The export format, `tally-export` version [`FORMAT_VERSION`]: gzip'd
//! JSON Lines, a header line first, one line per [`Piece`], and an `end`
//! line counting the pieces, so a cut file is told from a whole one. The
//! rules for changing it are in `docs/backup.md`.

use std::io::{BufRead, BufReader, Read, Write};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::store::piece::Piece;

/// The format's name, in every header.
pub const FORMAT: &str = "tally-export";

/// The version this tally writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Every piece kind this version knows (an unknown one is skipped only if
/// the line says `"optional": true`).
const KINDS: &[&str] = &[
    "counters",
    "bucket",
    "day",
    "page",
    "page_day",
    "poll",
    "poll_day",
    "voter",
    "deleted_poll",
    "audit",
];

/// The export's first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    /// The tally that wrote it.
    pub tally_version: String,
    /// `embedded`, `redis` or `redis-cluster`.
    pub store: String,
    /// The schema version of the store it was read from
    /// ([`crate::store::schema::SCHEMA`]); 0 in exports written before
    /// stores were stamped.
    #[serde(default)]
    pub schema_version: u64,
    /// When the export began.
    pub cut: Timestamp,
    pub sites: Vec<SiteEntry>,
    /// The definitions of the sites created through the admin API, as
    /// the store keeps them (a `SiteSpec`), so a restore into an empty
    /// store serves them; absent from exports written before them, and
    /// skipped by a tally that does not know them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defined: Vec<DefinedEntry>,
}

/// A site created through the admin API, in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefinedEntry {
    pub id: String,
    pub definition: serde_json::Value,
}

/// A site in the header's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteEntry {
    pub id: String,
}

impl Header {
    /// The header of an export of `store` (its kind) made now.
    pub fn new(store: &str, cut: Timestamp, sites: &[&str]) -> Self {
        Self {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            tally_version: env!("CARGO_PKG_VERSION").to_owned(),
            store: store.to_owned(),
            schema_version: u64::from(crate::store::schema::SCHEMA),
            cut,
            sites: sites
                .iter()
                .map(|id| SiteEntry {
                    id: (*id).to_owned(),
                })
                .collect(),
            defined: Vec::new(),
        }
    }

    /// Carrying `defined`, the created sites' definitions (id, JSON).
    pub fn with_defined(mut self, defined: &[(String, String)]) -> Self {
        self.defined = defined
            .iter()
            .filter_map(|(id, json)| {
                let definition = serde_json::from_str(json).ok()?;
                Some(DefinedEntry {
                    id: id.clone(),
                    definition,
                })
            })
            .collect();
        self
    }
}

/// The last line: how many pieces came before it.
#[derive(Debug, Serialize, Deserialize)]
struct End {
    kind: String,
    records: u64,
}

/// Why an export cannot be read.
#[derive(Debug, Error)]
pub enum FormatError {
    #[error("not a tally export: {0}")]
    NotAnExport(String),
    #[error(
        "export format version {found} is newer than this tally reads (version {FORMAT_VERSION}, tally {})",
        env!("CARGO_PKG_VERSION")
    )]
    Newer { found: u32 },
    #[error("line {line}: {why}")]
    Line { line: u64, why: String },
    #[error("the file is cut: {0}")]
    Cut(String),
}

/// Writes an export: the header at once, then pieces, then the end line.
pub struct Writer<W: Write> {
    out: GzEncoder<W>,
    written: u64,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W, header: &Header) -> std::io::Result<Self> {
        let mut writer = Self {
            out: GzEncoder::new(out, Compression::default()),
            written: 0,
        };
        writer.line(header)?;
        Ok(writer)
    }

    pub fn piece(&mut self, piece: &Piece) -> std::io::Result<()> {
        self.written += 1;
        self.line(piece)
    }

    /// The writer the compressed bytes go to (a buffer a stream drains).
    pub fn get_mut(&mut self) -> &mut W {
        self.out.get_mut()
    }

    /// Writes the end line and the gzip trailer.
    pub fn finish(mut self) -> std::io::Result<W> {
        let end = End {
            kind: "end".into(),
            records: self.written,
        };
        self.line(&end)?;
        self.out.finish()
    }

    fn line(&mut self, value: &impl Serialize) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")
    }
}

/// Reads an export: [`Reader::header`], then the pieces as an iterator,
/// which ends with an error unless the end line counts them all.
pub struct Reader<R: Read> {
    lines: std::io::Lines<BufReader<MultiGzDecoder<R>>>,
    header: Header,
    line: u64,
    read: u64,
    ended: bool,
    /// An error was given: nothing more is read.
    failed: bool,
}

impl<R: Read> Reader<R> {
    /// Opens an export, refusing another format or a newer version.
    pub fn new(input: R) -> Result<Self, FormatError> {
        let mut lines = BufReader::new(MultiGzDecoder::new(input)).lines();
        let first = match lines.next() {
            Some(Ok(line)) => line,
            Some(Err(e)) => return Err(FormatError::NotAnExport(e.to_string())),
            None => return Err(FormatError::NotAnExport("the file is empty".into())),
        };
        let value: serde_json::Value = serde_json::from_str(&first)
            .map_err(|e| FormatError::NotAnExport(format!("its first line: {e}")))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(FormatError::NotAnExport(format!(
                "its first line does not say \"format\": \"{FORMAT}\""
            )));
        }
        let found = value.get("format_version").and_then(|v| v.as_u64());
        match found {
            Some(v) if v > u64::from(FORMAT_VERSION) => {
                return Err(FormatError::Newer {
                    found: u32::try_from(v).unwrap_or(u32::MAX),
                });
            }
            None => return Err(FormatError::NotAnExport("no format_version".into())),
            _ => {}
        }
        let header = serde_json::from_value(value)
            .map_err(|e| FormatError::NotAnExport(format!("its header: {e}")))?;
        Ok(Self {
            lines,
            header,
            line: 1,
            read: 0,
            ended: false,
            failed: false,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    fn next_piece(&mut self) -> Result<Option<Piece>, FormatError> {
        loop {
            let Some(text) = self.lines.next() else {
                if self.ended {
                    return Ok(None);
                }
                return Err(FormatError::Cut(format!(
                    "it ends after line {} without its end line",
                    self.line
                )));
            };
            self.line += 1;
            let line = self.line;
            let text = text.map_err(|e| FormatError::Cut(e.to_string()))?;
            if self.ended {
                return Err(FormatError::Line {
                    line,
                    why: "a line after the end line".into(),
                });
            }
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| FormatError::Line {
                    line,
                    why: e.to_string(),
                })?;
            let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
            if kind == "end" {
                let end: End = serde_json::from_value(value).map_err(|e| FormatError::Line {
                    line,
                    why: e.to_string(),
                })?;
                if end.records != self.read {
                    return Err(FormatError::Cut(format!(
                        "its end line counts {} records, {} came before it",
                        end.records, self.read
                    )));
                }
                self.ended = true;
                continue;
            }
            self.read += 1;
            if !KINDS.contains(&kind) {
                if value.get("optional").and_then(|o| o.as_bool()) == Some(true) {
                    continue;
                }
                return Err(FormatError::Line {
                    line,
                    why: format!(
                        "record kind {kind:?} is not known to tally {} (format version {FORMAT_VERSION}) and not marked optional",
                        env!("CARGO_PKG_VERSION")
                    ),
                });
            }
            return serde_json::from_value(value)
                .map(Some)
                .map_err(|e| FormatError::Line {
                    line,
                    why: e.to_string(),
                });
        }
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Piece, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let next = self.next_piece().transpose();
        self.failed = matches!(next, Some(Err(_)));
        next
    }
}

#[cfg(test)]
mod tests;
