//! What an untrusted workbook may cost, checked before any parser allocates.
//!
//! An xlsx is a zip of XML written by whoever sent it. A zip states sizes
//! and counts in headers that nothing forces to be true, and the readers
//! downstream believe some of them: calamine reserves room for as many shared
//! strings as `sharedStrings.xml` announces, and builds a dense grid over the
//! span of a sheet's cells. So before calamine (or the serial write-back) sees
//! a workbook, [`check_package`] bounds the file size, the number of zip
//! entries (as every end-of-directory record claims, before the zip reader
//! indexes them), each entry's and all entries' *inflated* size (counted
//! while streaming, not taken from the header), and the shared strings a
//! `sharedStrings.xml` announces and holds. Sheets are then read cell by cell
//! ([`read_sheet`]) and refused when their cells span more than
//! [`WorkbookLimits::max_sheet_cells`], instead of allocating the span.
//!
//! calamine reads the archive with the same `zip` crate version as this module
//! (see the compile-time check below), so the entries checked here are the
//! entries it reads.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;

use calamine::{Cell, Data, DataRef, Range, Xlsx, XlsxError, XlsxFormulaMetadata};

use crate::cell::CellRef;

/// The bounds a workbook must fit in. The defaults fit the real template
/// (540 KB; 27 entries; 7 MB inflated, at most 0.9 MB in one entry; at most
/// about 1 000 cells spanned by a sheet's values) with a margin of 15× or
/// more, and keep the memory spent on a refused file far below 64 MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkbookLimits {
    /// The workbook file itself.
    pub max_file_bytes: u64,
    /// Zip entries, as counted by the archive's directory.
    pub max_entries: u64,
    /// One entry, inflated.
    pub max_entry_bytes: u64,
    /// All entries together, inflated.
    pub max_total_bytes: u64,
    /// Cells in the rectangle spanned by one sheet's non-empty cells (and
    /// non-empty cells counted, so a cell repeated a million times counts).
    pub max_sheet_cells: u64,
    /// Shared strings announced (`count`, `uniqueCount`) or present.
    pub max_shared_strings: u64,
}

const MIB: u64 = 1024 * 1024;

impl WorkbookLimits {
    pub const DEFAULT: Self = Self {
        max_file_bytes: 16 * MIB,
        max_entries: 1_000,
        max_entry_bytes: 16 * MIB,
        max_total_bytes: 128 * MIB,
        max_sheet_cells: 500_000,
        max_shared_strings: 500_000,
    };
}

impl Default for WorkbookLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Which bound was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    FileSize,
    EntryCount,
    EntrySize,
    TotalSize,
    SheetCells,
    SharedStrings,
}

impl Limit {
    /// This bound's value in `limits`.
    pub fn value(self, limits: &WorkbookLimits) -> u64 {
        match self {
            Self::FileSize => limits.max_file_bytes,
            Self::EntryCount => limits.max_entries,
            Self::EntrySize => limits.max_entry_bytes,
            Self::TotalSize => limits.max_total_bytes,
            Self::SheetCells => limits.max_sheet_cells,
            Self::SharedStrings => limits.max_shared_strings,
        }
    }

    /// `file size limit of 16 MiB`, for a bound of `max`.
    pub fn describe(self, max: u64) -> String {
        match self {
            Self::FileSize => format!("file size limit of {}", size_text(max)),
            Self::EntryCount => format!("entry count limit of {max}"),
            Self::EntrySize => format!("entry size limit of {}", size_text(max)),
            Self::TotalSize => format!("total inflated size limit of {}", size_text(max)),
            Self::SheetCells => format!("sheet size limit of {max} cells"),
            Self::SharedStrings => format!("shared-string limit of {max}"),
        }
    }
}

/// What was found over a limit, as the checks measure it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The file is this big.
    Size(u64),
    /// The file grew past this while being read.
    OverSize(u64),
    /// The archive's directory holds this many entries.
    Entries(u64),
    /// An end-of-directory record claims this many entries.
    ClaimedEntries(u64),
    /// An entry's header declares this inflated size.
    DeclaredInflated(u64),
    /// An entry inflated past this.
    InflatesPast(u64),
    /// The entries together inflated past this.
    TotalPast(u64),
    /// `sharedStrings.xml` announces this many (as written).
    AnnouncedStrings(String),
    /// `sharedStrings.xml` holds more than this many.
    MoreStrings(u64),
    /// A sheet's cells span from one cell to another, `area` cells.
    CellSpan { from: String, to: String, area: u64 },
    /// A sheet has more than this many cells.
    MoreCells(u64),
    /// A sheet has more than this many formulas.
    MoreFormulas(u64),
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Size(size) => write!(f, "is {}", size_text(*size)),
            Self::OverSize(size) => write!(f, "is over {}", size_text(*size)),
            Self::Entries(count) => write!(f, "holds {count} zip entries"),
            Self::ClaimedEntries(count) => write!(f, "claims {count} zip entries"),
            Self::DeclaredInflated(size) => write!(f, "declares {} inflated", size_text(*size)),
            Self::InflatesPast(size) => write!(f, "inflates to more than {}", size_text(*size)),
            Self::TotalPast(size) => {
                write!(f, "brings the inflated total past {}", size_text(*size))
            }
            Self::AnnouncedStrings(count) => write!(f, "announces {count} shared strings"),
            Self::MoreStrings(count) => write!(f, "holds more than {count} shared strings"),
            Self::CellSpan { from, to, area } => {
                write!(
                    f,
                    "has cells from {from} to {to} ({area} cells in that span)"
                )
            }
            Self::MoreCells(count) => write!(f, "has more than {count} cells"),
            Self::MoreFormulas(count) => write!(f, "has more than {count} formulas"),
        }
    }
}

/// What is over the limit: the workbook, one of its zip entries, or a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Workbook,
    Entry(String),
    Sheet(String),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Workbook => f.write_str("the workbook"),
            Self::Entry(entry) => f.write_str(entry),
            Self::Sheet(sheet) => write!(f, "sheet {sheet}"),
        }
    }
}

/// A workbook over one of its [`WorkbookLimits`]: bad input, refused before
/// reading further. The message is one line naming the entry and the limit;
/// its parts are typed so that it can be said in either language
/// (`smtx_i18n::Localize`, in `messages.rs`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject} {found}, over the {}; a planning workbook is far smaller", limit.describe(*max))]
pub struct LimitExceeded {
    pub limit: Limit,
    pub subject: Subject,
    pub found: Found,
    /// The limit's value in force.
    pub max: u64,
}

impl LimitExceeded {
    fn new(limit: Limit, limits: &WorkbookLimits, subject: Subject, found: Found) -> Self {
        Self {
            limit,
            subject,
            found,
            max: limit.value(limits),
        }
    }

    /// The zip entry (or sheet) at fault, when there is one.
    pub fn entry(&self) -> Option<&str> {
        match &self.subject {
            Subject::Workbook => None,
            Subject::Entry(entry) | Subject::Sheet(entry) => Some(entry),
        }
    }
}

/// Why a package was refused by [`check_package`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PackageError {
    #[error(transparent)]
    Limit(#[from] LimitExceeded),
    /// Not a zip the reader can open, or an entry that does not inflate.
    #[error("{0}")]
    Damaged(String),
}

/// `1.5 MiB`, `16 MiB`, `312 bytes`.
pub(crate) fn size_text(count: u64) -> String {
    if count < 1024 {
        format!("{count} bytes")
    } else if count.is_multiple_of(MIB) {
        format!("{} MiB", count / MIB)
    } else if count < MIB {
        format!("{:.1} KiB", count as f64 / 1024.0)
    } else if count < 1024 * MIB {
        format!("{:.1} MiB", count as f64 / MIB as f64)
    } else {
        format!("{:.1} GiB", count as f64 / (1024 * MIB) as f64)
    }
}

// calamine must open the archive with our `zip`, or the entries checked here
// are not the ones it reads. This only compiles while both use one version.
const _: fn(zip::result::ZipError) -> XlsxError = XlsxError::Zip;

// ---------------------------------------------------------------------------
// The file

/// Why a workbook file was not read: typed, so that it reads in either
/// language; `Display` is the English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkbookFileError {
    /// No file at that path: said in our words, which are the same on every
    /// system (Windows words it otherwise than Linux).
    #[error("cannot read: there is no such file")]
    Missing,
    #[error("cannot read: permission denied")]
    Denied,
    /// The system's words.
    #[error("cannot read: {cause}")]
    Read { cause: String },
    #[error("cannot read: it is a directory, not a workbook file")]
    Directory,
    #[error("cannot read: not a regular file (a device, pipe or socket)")]
    NotAFile,
    #[error(transparent)]
    Limit(Box<LimitExceeded>),
}

impl WorkbookFileError {
    /// Why the system would not read the file.
    pub fn from_io(error: std::io::Error) -> Self {
        match error.kind() {
            std::io::ErrorKind::NotFound => Self::Missing,
            std::io::ErrorKind::PermissionDenied => Self::Denied,
            _ => Self::Read {
                cause: error.to_string(),
            },
        }
    }
}

/// Reads a workbook file for parsing or editing: a regular file (a symlink is
/// followed), refused unread when over [`WorkbookLimits::max_file_bytes`].
/// A device or a pipe is refused rather than read until memory runs out.
pub fn read_workbook_file(
    path: &Path,
    limits: &WorkbookLimits,
) -> Result<Vec<u8>, WorkbookFileError> {
    let read_error = WorkbookFileError::from_io;
    let metadata = std::fs::metadata(path).map_err(read_error)?;
    if !metadata.is_file() {
        return Err(if metadata.is_dir() {
            WorkbookFileError::Directory
        } else {
            WorkbookFileError::NotAFile
        });
    }
    let over = |found: Found| {
        WorkbookFileError::Limit(Box::new(LimitExceeded::new(
            Limit::FileSize,
            limits,
            Subject::Workbook,
            found,
        )))
    };
    if metadata.len() > limits.max_file_bytes {
        return Err(over(Found::Size(metadata.len())));
    }
    let file = std::fs::File::open(path).map_err(read_error)?;
    // The file may grow between the check and the read.
    let mut data = Vec::new();
    file.take(limits.max_file_bytes + 1)
        .read_to_end(&mut data)
        .map_err(read_error)?;
    if data.len() as u64 > limits.max_file_bytes {
        return Err(over(Found::OverSize(limits.max_file_bytes)));
    }
    Ok(data)
}

// ---------------------------------------------------------------------------
// The package

/// Checks a zip package against `limits`, streaming every entry once and
/// keeping nothing. Call it before handing the bytes to any zip or XML reader.
pub(crate) fn check_package(bytes: &[u8], limits: &WorkbookLimits) -> Result<(), PackageError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(LimitExceeded::new(
            Limit::FileSize,
            limits,
            Subject::Workbook,
            Found::Size(bytes.len() as u64),
        )
        .into());
    }
    check_claimed_entry_counts(bytes, limits)?;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| PackageError::Damaged(format!("not a readable xlsx workbook: {error}")))?;
    let entries = archive.len() as u64;
    if entries > limits.max_entries {
        return Err(LimitExceeded::new(
            Limit::EntryCount,
            limits,
            Subject::Workbook,
            Found::Entries(entries),
        )
        .into());
    }
    let mut total = 0u64;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|error| {
            PackageError::Damaged(format!("zip entry {index} cannot be read: {error}"))
        })?;
        let name = entry.name().map_or_else(
            |_| format!("zip entry {index}"),
            |name| sanitize(&name).into_owned(),
        );
        if entry.size() > limits.max_entry_bytes {
            return Err(LimitExceeded::new(
                Limit::EntrySize,
                limits,
                Subject::Entry(name.clone()),
                Found::DeclaredInflated(entry.size()),
            )
            .into());
        }
        let shared_strings = is_shared_strings(&name);
        let lower = name.to_ascii_lowercase();
        let xml = lower.ends_with(".xml") || lower.ends_with(".rels");
        let mut counted = Counted {
            inner: entry,
            entry: &name,
            read: 0,
            total_before: total,
            limits,
            exceeded: None,
            lexer: xml.then(MarkupLexer::default),
        };
        let result = if shared_strings {
            check_shared_strings(&mut counted, &name, limits)
        } else {
            std::io::copy(&mut counted, &mut std::io::sink())
                .map(drop)
                .map_err(|error| PackageError::Damaged(format!("{name}: {error}")))
        };
        if let Some(exceeded) = counted.exceeded.take() {
            return Err(exceeded.into());
        }
        if let Some(at) = counted.lexer.as_ref().and_then(|lexer| lexer.bad_at) {
            return Err(PackageError::Damaged(format!(
                "{name} is not well-formed XML: '<' inside an attribute value (byte {at})"
            )));
        }
        result?;
        total += counted.read;
    }
    Ok(())
}

/// Entry names go into one-line messages: no control characters.
fn sanitize(name: &str) -> std::borrow::Cow<'_, str> {
    if name.chars().any(char::is_control) {
        name.chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect::<String>()
            .into()
    } else {
        name.into()
    }
}

/// calamine reads `<dir>/sharedStrings.xml`, matched without regard to case
/// or slash direction; every entry that could be it is checked.
fn is_shared_strings(name: &str) -> bool {
    name.replace('\\', "/")
        .to_ascii_lowercase()
        .ends_with("sharedstrings.xml")
}

/// Counts what an entry inflates to and stops at the limits.
struct Counted<'a, R> {
    inner: R,
    entry: &'a str,
    read: u64,
    total_before: u64,
    limits: &'a WorkbookLimits,
    exceeded: Option<LimitExceeded>,
    lexer: Option<MarkupLexer>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let (Some(lexer), Some(data)) = (self.lexer.as_mut(), buf.get(..n)) {
            lexer.feed(data);
        }
        self.read += n as u64;
        let exceeded = if self.read > self.limits.max_entry_bytes {
            Some(LimitExceeded::new(
                Limit::EntrySize,
                self.limits,
                Subject::Entry(self.entry.to_string()),
                Found::InflatesPast(self.limits.max_entry_bytes),
            ))
        } else if self.total_before + self.read > self.limits.max_total_bytes {
            Some(LimitExceeded::new(
                Limit::TotalSize,
                self.limits,
                Subject::Entry(self.entry.to_string()),
                Found::TotalPast(self.limits.max_total_bytes),
            ))
        } else {
            None
        };
        match exceeded {
            Some(exceeded) => {
                self.exceeded = Some(exceeded);
                Err(std::io::Error::other("workbook limit exceeded"))
            }
            None => Ok(n),
        }
    }
}

/// Finds a literal `<` inside a quoted attribute value, which XML forbids
/// and lenient readers accept. Text scanners take such a `"</row>"` for the
/// end of the row; refusing the file up front keeps every reader honest.
/// Streaming, a byte at a time, skipping comments, CDATA and instructions.
#[derive(Debug, Default)]
struct MarkupLexer {
    state: Lex,
    offset: u64,
    bad_at: Option<u64>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Lex {
    #[default]
    Text,
    /// Just after `<`.
    Open,
    /// After `<!`.
    Bang,
    /// After `<!-`.
    BangDash,
    /// After `<!` and this many bytes of `[CDATA[`.
    CDataOpen(u8),
    Tag,
    Quote(u8),
    /// In a comment, with this many `-` just seen.
    Comment(u8),
    /// In CDATA, with this many `]` just seen.
    CData(u8),
    /// In `<?…?>`, after a `?` or not.
    Pi(bool),
    /// `<!DOCTYPE …>` and the like, up to the next `>`.
    Declaration,
}

impl MarkupLexer {
    fn feed(&mut self, data: &[u8]) {
        if self.bad_at.is_some() {
            return;
        }
        for (index, &byte) in data.iter().enumerate() {
            self.state = match (self.state, byte) {
                (Lex::Text, b'<') => Lex::Open,
                (Lex::Text, _) => Lex::Text,
                (Lex::Open, b'!') => Lex::Bang,
                (Lex::Open, b'?') => Lex::Pi(false),
                (Lex::Open | Lex::Tag, b'>') => Lex::Text,
                (Lex::Open | Lex::Tag, b'"' | b'\'') => Lex::Quote(byte),
                (Lex::Open | Lex::Tag, _) => Lex::Tag,
                (Lex::Quote(quote), _) if byte == quote => Lex::Tag,
                (Lex::Quote(_), b'<') => {
                    self.bad_at = Some(self.offset + index as u64);
                    return;
                }
                (Lex::Quote(quote), _) => Lex::Quote(quote),
                (Lex::Bang, b'-') => Lex::BangDash,
                (Lex::BangDash, b'-') => Lex::Comment(0),
                (Lex::Bang, b'[') => Lex::CDataOpen(1),
                (Lex::CDataOpen(matched), _)
                    if b"[CDATA[".get(usize::from(matched)) == Some(&byte) =>
                {
                    if matched == 6 {
                        Lex::CData(0)
                    } else {
                        Lex::CDataOpen(matched + 1)
                    }
                }
                (Lex::Bang | Lex::BangDash | Lex::CDataOpen(_) | Lex::Declaration, b'>') => {
                    Lex::Text
                }
                (Lex::Bang | Lex::BangDash | Lex::CDataOpen(_) | Lex::Declaration, _) => {
                    Lex::Declaration
                }
                (Lex::Comment(dashes), b'>') if dashes >= 2 => Lex::Text,
                (Lex::Comment(dashes), b'-') => Lex::Comment(dashes.saturating_add(1)),
                (Lex::Comment(_), _) => Lex::Comment(0),
                (Lex::CData(brackets), b'>') if brackets >= 2 => Lex::Text,
                (Lex::CData(brackets), b']') => Lex::CData(brackets.saturating_add(1)),
                (Lex::CData(_), _) => Lex::CData(0),
                (Lex::Pi(true), b'>') => Lex::Text,
                (Lex::Pi(_), b'?') => Lex::Pi(true),
                (Lex::Pi(_), _) => Lex::Pi(false),
            };
        }
        self.offset += data.len() as u64;
    }
}

/// The announced counts of `<sst>` and the `<si>` elements present, read the
/// way calamine reads them (same parser, same settings), so the `<sst>` we
/// check is the one it trusts.
fn check_shared_strings<R: Read>(
    counted: &mut Counted<'_, R>,
    name: &str,
    limits: &WorkbookLimits,
) -> Result<(), PackageError> {
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(counted));
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::new();
    let mut seen_sst = false;
    let mut strings = 0u64;
    let over = |found: Found| {
        PackageError::from(LimitExceeded::new(
            Limit::SharedStrings,
            limits,
            Subject::Entry(name.to_string()),
            found,
        ))
    };
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Start(element)) => {
                match element.local_name().as_ref() {
                    "sst" if !seen_sst => {
                        seen_sst = true;
                        for key in ["uniqueCount", "count"] {
                            let Ok(Some(attribute)) = element.try_get_attribute(key) else {
                                continue;
                            };
                            let value = attribute.value.trim();
                            // Too long for a u64 is too many as well.
                            let announced = value.parse::<u64>().unwrap_or(u64::MAX);
                            if value.bytes().all(|b| b.is_ascii_digit())
                                && announced > limits.max_shared_strings
                            {
                                return Err(over(Found::AnnouncedStrings(value.to_string())));
                            }
                        }
                    }
                    "si" => {
                        strings += 1;
                        if strings > limits.max_shared_strings {
                            return Err(over(Found::MoreStrings(limits.max_shared_strings)));
                        }
                    }
                    _ => {}
                }
            }
            Ok(quick_xml::events::Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(error) => return Err(PackageError::Damaged(format!("{name}: {error}"))),
        }
    }
}

/// Every end-of-central-directory record in the file (the zip reader tries
/// them from the end until one is consistent) may claim an entry count, and
/// the reader reserves room for that many before reading them. Check every
/// record the reader could accept: it requires disk numbers of 0 and as many
/// entries on this disk as in total, so records without that are skipped.
fn check_claimed_entry_counts(bytes: &[u8], limits: &WorkbookLimits) -> Result<(), LimitExceeded> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const EOCD64: &[u8] = b"PK\x06\x06";
    let u16_at = |at: usize| -> Option<u64> {
        let b = bytes.get(at..at + 2)?;
        Some(u64::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u32_at = |at: usize| -> Option<u64> {
        let b = bytes.get(at..at + 4)?;
        Some(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
    };
    let u64_at = |at: usize| -> Option<u64> {
        let b = bytes.get(at..at + 8)?;
        let mut array = [0u8; 8];
        array.copy_from_slice(b);
        Some(u64::from_le_bytes(array))
    };
    let mut claimed = 0u64;
    for (at, window) in bytes.windows(4).enumerate() {
        if window[0] != b'P' {
            continue;
        }
        let claim = if window == EOCD {
            match (
                u16_at(at + 4),
                u16_at(at + 6),
                u16_at(at + 8),
                u16_at(at + 10),
            ) {
                // 0xFFFF defers to the zip64 record, checked on its own.
                (Some(0), Some(0), Some(on_disk), Some(total))
                    if on_disk == total && total != 0xFFFF =>
                {
                    total
                }
                _ => continue,
            }
        } else if window == EOCD64 {
            match (u32_at(at + 16), u64_at(at + 24), u64_at(at + 32)) {
                (Some(0), Some(on_disk), Some(total)) if on_disk == total => total,
                _ => continue,
            }
        } else {
            continue;
        };
        claimed = claimed.max(claim);
    }
    if claimed > limits.max_entries {
        return Err(LimitExceeded::new(
            Limit::EntryCount,
            limits,
            Subject::Workbook,
            Found::ClaimedEntries(claimed),
        ));
    }
    Ok(())
}

/// Reads one entry of an archive that passed [`check_package`], bounded all
/// the same (the check and this read see the same bytes, but a bound here
/// costs nothing).
pub(crate) fn read_entry_bounded<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    entry: &str,
    limits: &WorkbookLimits,
) -> Result<Vec<u8>, String> {
    let file = archive
        .by_name(entry)
        .map_err(|error| format!("{entry}: {error}"))?;
    let mut data = Vec::new();
    file.take(limits.max_entry_bytes + 1)
        .read_to_end(&mut data)
        .map_err(|error| format!("{entry}: {error}"))?;
    if data.len() as u64 > limits.max_entry_bytes {
        return Err(LimitExceeded::new(
            Limit::EntrySize,
            limits,
            Subject::Entry(entry.to_string()),
            Found::InflatesPast(limits.max_entry_bytes),
        )
        .to_string());
    }
    Ok(data)
}

// ---------------------------------------------------------------------------
// Sheets

/// The rectangle spanned by a sheet's non-empty cells, and how many there are.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CellSpan {
    count: u64,
    /// `(min_row, min_col, max_row, max_col)`, zero-based.
    bounds: Option<(u32, u32, u32, u32)>,
}

impl CellSpan {
    /// Adds a cell; an error once the span or the count is over the limit.
    pub(crate) fn add(
        &mut self,
        (row, col): (u32, u32),
        limits: &WorkbookLimits,
        location: &str,
    ) -> Result<(), LimitExceeded> {
        self.count += 1;
        let (min_row, min_col, max_row, max_col) = match self.bounds {
            None => (row, col, row, col),
            Some((r0, c0, r1, c1)) => (r0.min(row), c0.min(col), r1.max(row), c1.max(col)),
        };
        self.bounds = Some((min_row, min_col, max_row, max_col));
        let area =
            (u64::from(max_row - min_row) + 1).saturating_mul(u64::from(max_col - min_col) + 1);
        if area > limits.max_sheet_cells {
            return Err(LimitExceeded::new(
                Limit::SheetCells,
                limits,
                Subject::Sheet(location.to_string()),
                Found::CellSpan {
                    from: cell_name(min_row, min_col),
                    to: cell_name(max_row, max_col),
                    area,
                },
            ));
        }
        if self.count > limits.max_sheet_cells {
            return Err(LimitExceeded::new(
                Limit::SheetCells,
                limits,
                Subject::Sheet(location.to_string()),
                Found::MoreCells(limits.max_sheet_cells),
            ));
        }
        Ok(())
    }
}

/// `XFD1048576`; `R5000000C3` past Excel's grid (a damaged reference).
fn cell_name(row: u32, col: u32) -> String {
    if row < 1_048_576 && col < 16_384 {
        CellRef { row, col }.to_string()
    } else {
        format!("R{}C{}", u64::from(row) + 1, u64::from(col) + 1)
    }
}

/// Why a sheet could not be read.
#[derive(Debug)]
pub(crate) enum SheetError {
    Limit(LimitExceeded),
    Xlsx(XlsxError),
}

impl fmt::Display for SheetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Limit(error) => error.fmt(f),
            Self::Xlsx(error) => error.fmt(f),
        }
    }
}

impl From<XlsxError> for SheetError {
    fn from(error: XlsxError) -> Self {
        Self::Xlsx(error)
    }
}

impl From<LimitExceeded> for SheetError {
    fn from(error: LimitExceeded) -> Self {
        Self::Limit(error)
    }
}

/// A sheet's cached values and, when readable, its formulas, read cell by
/// cell so that only a span within [`WorkbookLimits::max_sheet_cells`] is
/// ever allocated (calamine's `worksheet_range` allocates whatever the cells
/// span: A1 and XFD1048576 make 1.7·10¹⁰ cells). `location` names the sheet
/// in errors.
pub(crate) fn read_sheet<RS: Read + Seek>(
    workbook: &mut Xlsx<RS>,
    name: &str,
    location: &str,
    limits: &WorkbookLimits,
) -> Result<(Range<Data>, Option<Range<String>>), SheetError> {
    let values = {
        let mut reader = match workbook.worksheet_cells_reader(name) {
            Ok(reader) => reader,
            // What `worksheet_range` does for a chart sheet and the like.
            Err(XlsxError::NotAWorksheet(_)) => return Ok((Range::default(), None)),
            Err(error) => return Err(error.into()),
        };
        let mut span = CellSpan::default();
        let mut cells = Vec::new();
        while let Some(cell) = reader.next_cell()? {
            if matches!(cell.get_value(), DataRef::Empty) {
                continue;
            }
            span.add(cell.get_position(), limits, location)?;
            cells.push(Cell::new(
                cell.get_position(),
                Data::from(cell.get_value().clone()),
            ));
        }
        Range::from_sparse(cells)
    };
    // Formulas only help where a cached value is missing: a sheet whose
    // formulas cannot be read is still usable, but not one over the limits.
    let formulas = match read_formulas(workbook, name, location, limits) {
        Ok(formulas) => Some(formulas),
        Err(SheetError::Xlsx(_)) => None,
        Err(error @ SheetError::Limit(_)) => return Err(error),
    };
    Ok((values, formulas))
}

/// Formulas, shared ones expanded as calamine's `worksheet_formula` does, but
/// with the shared-formula templates kept by index in a map: calamine grows a
/// vector to the largest `si` it sees, so `si="4000000000"` would allocate
/// hundreds of gigabytes.
fn read_formulas<RS: Read + Seek>(
    workbook: &mut Xlsx<RS>,
    name: &str,
    location: &str,
    limits: &WorkbookLimits,
) -> Result<Range<String>, SheetError> {
    let mut reader = workbook.worksheet_cells_reader(name)?;
    let mut templates: HashMap<usize, (String, (u32, u32))> = HashMap::new();
    let mut records = 0u64;
    let mut span = CellSpan::default();
    let mut cells = Vec::new();
    while let Some(record) = reader.next_cell_with_formula_metadata()? {
        let Some(formula) = record.formula else {
            continue;
        };
        // Every formula counts, empty or not, so the templates stay bounded.
        records += 1;
        if records > limits.max_sheet_cells {
            return Err(LimitExceeded::new(
                Limit::SheetCells,
                limits,
                Subject::Sheet(location.to_string()),
                Found::MoreFormulas(limits.max_sheet_cells),
            )
            .into());
        }
        let text = match formula {
            XlsxFormulaMetadata::Normal { formula } => formula,
            XlsxFormulaMetadata::Shared {
                shared_index,
                range,
                formula,
            } => {
                if let Some(range) = range {
                    templates.insert(shared_index, (formula.clone(), range.start));
                }
                formula
            }
            XlsxFormulaMetadata::SharedDerived { shared_index } => {
                match templates.get(&shared_index) {
                    Some((template, start)) => {
                        calamine::expand_shared_formula(template, *start, record.pos)?
                    }
                    None => String::new(),
                }
            }
            _ => String::new(),
        };
        if text.is_empty() {
            continue;
        }
        span.add(record.pos, limits, location)?;
        cells.push(Cell::new(record.pos, text));
    }
    Ok(Range::from_sparse(cells))
}

#[cfg(test)]
mod tests;
