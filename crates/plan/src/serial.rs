//! Writing the cluster serial back into the workbook: the one write we ever
//! make to the user's file.
//!
//! Only the target cell changes. Rather than loading and re-saving the whole
//! workbook (which rewrites styles, drops cached formula values and sheet
//! protection), we edit the one worksheet's XML inside the zip and copy every
//! other entry raw, byte for byte. The new file is written next to the
//! original and renamed over it, so a failure leaves the original intact.
//! The sheet is parsed with a real XML reader ([`crate::ooxml`]) and the
//! package checked against [`WorkbookLimits`] first, as for reading. A
//! symlink is followed and its target replaced (the link stays a link); a
//! read-only workbook is left alone unless forced.
//!
//! Why `主机规划!E19` by default: the stage design names `文档描述!C18`, but in
//! the real template (v20250820) that cell is the header `版本` of a version
//! table; the template has a dedicated, empty cell labelled `Cluster SN`
//! (`主机规划!D19`), and E19 is its value cell.

use std::io::{Cursor, Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::cell::{CellRef, SheetCell};
use crate::limits::{self, WorkbookLimits};
use crate::ooxml::{self, Package, SheetData, SheetScan};

pub use crate::layout::DEFAULT_SERIAL_CELL;

#[derive(Debug, Clone)]
pub struct SerialWriteOptions {
    /// `sheet!cell`.
    pub cell: String,
    /// Overwrite content that is neither empty, a placeholder nor a serial,
    /// ignore an office lock file next to the workbook, and replace a
    /// read-only workbook (keeping it read-only).
    pub force: bool,
}

impl Default for SerialWriteOptions {
    fn default() -> Self {
        Self {
            cell: DEFAULT_SERIAL_CELL.to_string(),
            force: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerialWriteOutcome {
    /// The cell now holds the serial; `previous` is what it held (a
    /// placeholder or an earlier serial), `None` when empty.
    Written { previous: Option<String> },
    /// The cell already held this serial; the file was not touched.
    AlreadyPresent,
}

#[derive(Debug, thiserror::Error)]
pub enum SerialWriteError {
    /// Writing failed; the original file is intact.
    #[error("{path}: {reason}; the workbook was not changed")]
    Failed { path: PathBuf, reason: String },
    #[error("serial {serial:?} cannot be written: {reason}")]
    InvalidSerial { serial: String, reason: String },
    #[error("{cell:?} is not a sheet!cell location (e.g. {DEFAULT_SERIAL_CELL})")]
    BadCell { cell: String },
    #[error("{path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    /// The workbook file itself could not be read (missing, a directory,
    /// too big, ...).
    #[error("{path}: {error}")]
    File {
        path: PathBuf,
        error: crate::WorkbookFileError,
    },
    #[error("{path}: there is no sheet {sheet:?} (sheets: {present})")]
    SheetNotFound {
        path: PathBuf,
        sheet: String,
        present: String,
    },
    /// The cell holds something that is not empty, a placeholder or a serial.
    /// (The messages name no flag: each command that prints them says what
    /// its own flags are.)
    #[error("{path}: {cell} {what}; refusing to overwrite it")]
    Occupied {
        path: PathBuf,
        cell: String,
        what: String,
    },
    #[error(
        "{path}: the workbook seems to be open in an office program (lock file {lock}); \
         close it first"
    )]
    FileOpen { path: PathBuf, lock: PathBuf },
    #[error("{path}: the workbook is read-only; refusing to change it (make it writable first)")]
    ReadOnly { path: PathBuf },
    /// Another program holds the file so that it cannot be replaced (on
    /// Windows, a workbook open in Excel); the file is unchanged.
    #[error(
        "{path}: the workbook is in use by another program (open in Excel?); close it first; the workbook was not changed"
    )]
    InUse { path: PathBuf },
}

/// Writes `serial` into `options.cell` of the workbook at `path`, atomically.
pub fn write_serial(
    path: &Path,
    serial: &str,
    options: &SerialWriteOptions,
) -> Result<SerialWriteOutcome, SerialWriteError> {
    let limits = WorkbookLimits::DEFAULT;
    let serial = check_serial(serial)?;
    let target = SheetCell::parse(&options.cell).ok_or_else(|| SerialWriteError::BadCell {
        cell: options.cell.clone(),
    })?;
    let unreadable = |reason: String| SerialWriteError::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    // A symlink is followed: the file edited is the one it points to, and
    // the link itself is left as it is.
    let file_error = |error| SerialWriteError::File {
        path: path.to_path_buf(),
        error,
    };
    let real = smtx_platform::paths::canonicalize(path)
        .map_err(|error| file_error(crate::WorkbookFileError::from_io(error)))?;
    // A workbook open in Excel (Windows) cannot be opened for writing, or
    // not even read: that is the file in use, said as such before anything
    // else (replacing it would only say "access denied"). Only a regular
    // file is opened: a FIFO's open would wait for its other end.
    if std::fs::metadata(&real).is_ok_and(|metadata| metadata.is_file())
        && let Err(error) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&real)
        && smtx_platform::files::in_use(&error)
    {
        return Err(SerialWriteError::InUse {
            path: path.to_path_buf(),
        });
    }
    let bytes = limits::read_workbook_file(&real, &limits).map_err(file_error)?;
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(unreadable(
            "not an xlsx workbook (not a zip archive; a password-protected workbook is not supported)"
                .to_string(),
        ));
    }
    limits::check_package(&bytes, &limits).map_err(|error| unreadable(error.to_string()))?;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.as_slice()))
        .map_err(|error| unreadable(format!("not a readable xlsx workbook: {error}")))?;
    let workbook = entry_text(&mut archive, "xl/workbook.xml", &limits).map_err(unreadable)?;
    let rels =
        entry_text(&mut archive, "xl/_rels/workbook.xml.rels", &limits).map_err(unreadable)?;
    let package = Package::parse(&workbook, &rels).map_err(unreadable)?;
    let sheet_entry = sheet_entry(&package, &target.sheet, path)?;
    let xml = entry_text(&mut archive, &sheet_entry, &limits).map_err(unreadable)?;
    let location = target.sheet.clone();
    let scan = ooxml::scan_sheet(&xml, target.cell, &limits, &location).map_err(unreadable)?;
    let previous = cell_content(&scan, &package, &mut archive, &limits).map_err(unreadable)?;
    let previous_text = match previous {
        CellContent::Empty => None,
        CellContent::Text(text) if text == serial => return Ok(SerialWriteOutcome::AlreadyPresent),
        CellContent::Text(text) if is_placeholder(&text) || looks_like_serial(&text) => Some(text),
        CellContent::Text(text) => {
            if !options.force {
                return Err(SerialWriteError::Occupied {
                    path: path.to_path_buf(),
                    cell: target.to_string(),
                    what: format!("holds other content ({} characters)", text.chars().count()),
                });
            }
            Some(text)
        }
        CellContent::Formula => {
            if !options.force {
                return Err(SerialWriteError::Occupied {
                    path: path.to_path_buf(),
                    cell: target.to_string(),
                    what: "holds a formula".to_string(),
                });
            }
            None
        }
    };
    if !options.force {
        if let Some(lock) = office_lock_file(path).or_else(|| office_lock_file(&real)) {
            return Err(SerialWriteError::FileOpen {
                path: path.to_path_buf(),
                lock,
            });
        }
        if is_read_only(&real) {
            return Err(SerialWriteError::ReadOnly {
                path: path.to_path_buf(),
            });
        }
    }
    let new_xml = set_cell(&xml, &scan, target.cell, &serial)
        .map_err(|reason| unreadable(format!("{sheet_entry}: {reason}")))?;
    check_well_formed(&new_xml).map_err(|reason| SerialWriteError::Failed {
        path: path.to_path_buf(),
        reason: format!("the edited {sheet_entry} would not be well-formed XML: {reason}"),
    })?;
    replace_entry_atomically(path, &real, &mut archive, &sheet_entry, new_xml.as_bytes())?;
    Ok(SerialWriteOutcome::Written {
        previous: previous_text,
    })
}

/// No write permission for anyone (what `chmod a-w` and a read-only copy
/// from a share leave; root included, who could write it regardless), or
/// none for us.
fn is_read_only(path: &Path) -> bool {
    let no_write_bits = std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly());
    // Opening for writing without truncating changes nothing.
    let denied = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .is_err_and(|error| error.kind() == std::io::ErrorKind::PermissionDenied);
    no_write_bits || denied
}

/// Empty or a placeholder a template leaves for the value: `XXXX…`, `-`.
pub fn is_placeholder(text: &str) -> bool {
    let text = text.trim();
    text.is_empty()
        || text.eq_ignore_ascii_case("n/a")
        || text.eq_ignore_ascii_case("tbd")
        || text
            .chars()
            .all(|c| matches!(c, 'x' | 'X' | '-' | '_' | '*' | '.' | '…' | '—' | ' '))
}

/// SMTX OS serials are UUID-shaped (`c8b39907-464c-44b4-94bb-7c2ac243f390`,
/// `GET /api/v2/tools/license`); that is what an earlier write left.
pub fn looks_like_serial(text: &str) -> bool {
    let groups: Vec<&str> = text.trim().split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn check_serial(serial: &str) -> Result<String, SerialWriteError> {
    let trimmed = serial.trim();
    let invalid = |reason: &str| SerialWriteError::InvalidSerial {
        serial: serial.to_string(),
        reason: reason.to_string(),
    };
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    if trimmed.chars().count() > 256 {
        return Err(invalid("it is longer than 256 characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(invalid("it contains control characters"));
    }
    if is_placeholder(trimmed) {
        return Err(invalid("it is a placeholder, not a serial"));
    }
    Ok(trimmed.to_string())
}

/// Excel (`~$name.xlsx`) and LibreOffice (`.~lock.name.xlsx#`) leave these
/// next to a workbook they have open.
fn office_lock_file(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    [format!("~${name}"), format!(".~lock.{name}#")]
        .into_iter()
        .map(|lock| dir.join(lock))
        .find(|lock| lock.exists())
}

// ---------------------------------------------------------------------------
// Reading the package

fn entry_text<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    entry: &str,
    limits: &WorkbookLimits,
) -> Result<String, String> {
    let bytes = limits::read_entry_bounded(archive, entry, limits)?;
    String::from_utf8(bytes).map_err(|_| format!("{entry}: not UTF-8 text"))
}

fn sheet_entry(package: &Package, sheet: &str, path: &Path) -> Result<String, SerialWriteError> {
    package
        .sheets
        .iter()
        .find(|(name, _)| name == sheet)
        .map(|(_, entry)| entry.clone())
        .ok_or_else(|| SerialWriteError::SheetNotFound {
            path: path.to_path_buf(),
            sheet: sheet.to_string(),
            present: package
                .sheets
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

enum CellContent {
    Empty,
    Text(String),
    Formula,
}

fn cell_content<R: Read + Seek>(
    scan: &SheetScan,
    package: &Package,
    archive: &mut zip::ZipArchive<R>,
    limits: &WorkbookLimits,
) -> Result<CellContent, String> {
    let Some(cell) = &scan.cell else {
        return Ok(CellContent::Empty);
    };
    if cell.has_formula {
        return Ok(CellContent::Formula);
    }
    let text = match cell.kind.as_deref() {
        Some("inlineStr") => cell.inline.clone(),
        Some("s") => match (
            cell.value
                .as_deref()
                .and_then(|v| v.trim().parse::<usize>().ok()),
            &package.shared_strings,
        ) {
            (Some(index), Some(entry)) => {
                let xml = entry_text(archive, entry, limits)?;
                ooxml::shared_string(&xml, index).map_err(|error| format!("{entry}: {error}"))?
            }
            _ => None,
        },
        _ => cell.value.clone(),
    };
    Ok(match text {
        Some(text) if !text.trim().is_empty() => CellContent::Text(text.trim().to_string()),
        _ => CellContent::Empty,
    })
}

// ---------------------------------------------------------------------------
// Worksheet XML, edited as text so everything else stays byte-identical.

fn slice(xml: &str, start: usize, end: usize) -> Result<&str, String> {
    xml.get(start..end)
        .ok_or_else(|| format!("bytes {start}..{end} are not a tag of this sheet"))
}

/// The sheet XML with the cell set to an inline string.
fn set_cell(xml: &str, scan: &SheetScan, target: CellRef, value: &str) -> Result<String, String> {
    let p = &scan.prefix;
    let cell_xml = |style: Option<&String>| {
        let style = style
            .map(|s| format!(" s=\"{}\"", escape(s)))
            .unwrap_or_default();
        format!(
            "<{p}c r=\"{target}\"{style} t=\"inlineStr\"><{p}is><{p}t>{}</{p}t></{p}is></{p}c>",
            escape(value)
        )
    };
    let new_row = |cell: String| format!("<{p}row r=\"{}\">{cell}</{p}row>", target.row_number());
    if let Some(found) = &scan.cell {
        // Keep the cell's style; drop its type, value and formula.
        return splice(xml, found.start, found.end, &cell_xml(found.style.as_ref()));
    }
    let column_style = scan.column_style.as_ref();
    let (open_end, close) = match scan.sheet_data {
        SheetData::Empty { start, end } => {
            // `<sheetData/>`: the sheet has no cells at all.
            let open = slice(xml, start, end)?.trim_end_matches("/>").trim_end();
            let replacement = format!("{open}>{}</{p}sheetData>", new_row(cell_xml(column_style)));
            return splice(xml, start, end, &replacement);
        }
        SheetData::Open { open_end, close } => (open_end, close),
    };
    if let Some(row) = &scan.row {
        let style = if row.custom_format {
            row.style.as_ref()
        } else {
            None
        }
        .or(column_style);
        let new_cell = cell_xml(style);
        if row.self_closing {
            // `<row …/>` → `<row …>cell</row>`
            let open = slice(xml, row.tag_start, row.tag_end)?
                .trim_end_matches("/>")
                .trim_end();
            let replacement = format!("{open}>{new_cell}</{p}row>");
            return splice(xml, row.tag_start, row.tag_end, &replacement);
        }
        let insert_at = scan.next_cell_start.unwrap_or(row.close);
        return splice(xml, insert_at, insert_at, &new_cell);
    }
    let insert_at = scan
        .next_row_start
        .filter(|at| (open_end..=close).contains(at))
        .unwrap_or(close);
    splice(xml, insert_at, insert_at, &new_row(cell_xml(column_style)))
}

fn splice(xml: &str, start: usize, end: usize, replacement: &str) -> Result<String, String> {
    let before = slice(xml, 0, start)?;
    let after = slice(xml, end, xml.len())?;
    let mut out = String::with_capacity(xml.len() + replacement.len());
    out.push_str(before);
    out.push_str(replacement);
    out.push_str(after);
    Ok(out)
}

fn check_well_formed(xml: &str) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(error) => return Err(format!("at byte {}: {error}", reader.error_position())),
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Writing the new package next to the old one, then renaming.

/// `path` is what the user named (for messages); `real` is the file itself,
/// symlinks resolved, which is replaced in its own directory.
fn replace_entry_atomically<R: Read + Seek>(
    path: &Path,
    real: &Path,
    archive: &mut zip::ZipArchive<R>,
    entry_name: &str,
    content: &[u8],
) -> Result<(), SerialWriteError> {
    let failed = |reason: String| SerialWriteError::Failed {
        path: path.to_path_buf(),
        reason,
    };
    let dir = match real.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temp = tempfile::Builder::new()
        .prefix(".smtx-serial-")
        .suffix(".xlsx.tmp")
        .tempfile_in(dir)
        .map_err(|error| {
            failed(format!(
                "cannot create a temporary file in {}: {error}",
                dir.display()
            ))
        })?;
    let mut writer = zip::ZipWriter::new(temp);
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|error| failed(format!("reading entry {index}: {error}")))?;
        let name = entry
            .name()
            .map_err(|error| failed(format!("entry {index} has a bad name: {error}")))?
            .into_owned();
        if name != entry_name {
            writer
                .raw_copy_file(entry)
                .map_err(|error| failed(format!("copying {name}: {error}")))?;
            continue;
        }
        let method = match entry.compression() {
            zip::CompressionMethod::Stored => zip::CompressionMethod::Stored,
            _ => zip::CompressionMethod::Deflated,
        };
        let mut options = zip::write::SimpleFileOptions::default().compression_method(method);
        if let Some(modified) = entry.last_modified() {
            options = options.last_modified_time(modified);
        }
        drop(entry);
        writer
            .start_file(name.as_str(), options)
            .map_err(|error| failed(format!("writing {name}: {error}")))?;
        writer
            .write_all(content)
            .map_err(|error| failed(format!("writing {name}: {error}")))?;
    }
    let comment = archive.comment().to_vec();
    if !comment.is_empty() {
        writer
            .set_raw_comment(comment.into_boxed_slice())
            .map_err(|error| failed(format!("writing the zip comment: {error}")))?;
    }
    let temp = writer
        .finish()
        .map_err(|error| failed(format!("finishing the zip: {error}")))?;
    temp.as_file()
        .sync_all()
        .map_err(|error| failed(format!("flushing the temporary file: {error}")))?;
    // Keep the workbook's permissions (a temporary file starts as 0600) and,
    // where we may (as root), its owner.
    if let Ok(metadata) = std::fs::metadata(real) {
        smtx_platform::files::copy_owner(temp.path(), &metadata);
        std::fs::set_permissions(temp.path(), metadata.permissions())
            .map_err(|error| failed(format!("copying permissions: {error}")))?;
    }
    temp.persist(real).map_err(|error| {
        if smtx_platform::files::in_use(&error.error) {
            SerialWriteError::InUse {
                path: path.to_path_buf(),
            }
        } else {
            failed(format!("replacing the file: {}", error.error))
        }
    })?;
    // Make the rename itself durable where the platform can.
    let _ = smtx_platform::files::sync_dir(dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str) -> CellRef {
        CellRef::parse(text).expect("test cell")
    }

    const SHEET: &str = r#"<worksheet><cols><col min="5" max="5" style="7"/></cols><sheetData><row r="2" spans="1:5"><c r="A2" s="1"><v>1</v></c><c r="C2" s="2" t="n"/></row><row r="4"/></sheetData></worksheet>"#;

    fn set(xml: &str, target: &str, value: &str) -> Result<String, String> {
        let scan = ooxml::scan_sheet(xml, cell(target), &WorkbookLimits::DEFAULT, "test")?;
        let out = set_cell(xml, &scan, cell(target), value)?;
        check_well_formed(&out)?;
        Ok(out)
    }

    #[test]
    fn placeholders_and_serials() {
        assert!(is_placeholder(""));
        assert!(is_placeholder("XXXX-XXXX"));
        assert!(is_placeholder("-"));
        assert!(is_placeholder("xxxx…"));
        assert!(!is_placeholder("Cluster SN"));
        assert!(looks_like_serial("c8b39907-464c-44b4-94bb-7c2ac243f390"));
        assert!(!looks_like_serial("HC!r0cks"));
    }

    #[test]
    fn replaces_an_existing_cell_keeping_its_style() -> Result<(), String> {
        let xml = set(SHEET, "C2", "a&b")?;
        assert!(xml.contains(r#"<c r="C2" s="2" t="inlineStr"><is><t>a&amp;b</t></is></c></row>"#));
        Ok(())
    }

    #[test]
    fn inserts_a_missing_cell_in_column_order() -> Result<(), String> {
        let xml = set(SHEET, "B2", "S")?;
        assert!(
            xml.contains(r#"<v>1</v></c><c r="B2" t="inlineStr"><is><t>S</t></is></c><c r="C2""#)
        );
        let xml = set(SHEET, "E2", "S")?;
        assert!(
            xml.contains(
                r#"<c r="E2" s="7" t="inlineStr"><is><t>S</t></is></c></row><row r="4"/>"#
            )
        );
        Ok(())
    }

    #[test]
    fn creates_missing_rows_in_order() -> Result<(), String> {
        let xml = set(SHEET, "A3", "S")?;
        assert!(xml.contains(
            r#"</row><row r="3"><c r="A3" t="inlineStr"><is><t>S</t></is></c></row><row r="4"/>"#
        ));
        let xml = set(SHEET, "A4", "S")?;
        assert!(xml.contains(
            r#"<row r="4"><c r="A4" t="inlineStr"><is><t>S</t></is></c></row></sheetData>"#
        ));
        let xml = set(SHEET, "A9", "S")?;
        assert!(xml.contains(r#"<row r="4"/><row r="9"><c r="A9" t="inlineStr"><is><t>S</t></is></c></row></sheetData>"#));
        let empty = "<worksheet><sheetData/></worksheet>";
        let xml = set(empty, "B1", "S")?;
        assert_eq!(
            xml,
            r#"<worksheet><sheetData><row r="1"><c r="B1" t="inlineStr"><is><t>S</t></is></c></row></sheetData></worksheet>"#
        );
        Ok(())
    }

    #[test]
    fn markup_in_comments_and_attributes_stays_put() -> Result<(), String> {
        let xml = r#"<worksheet><sheetData><!-- </sheetData> --><row r="1" x="&lt;/row&gt;"><c r="A1" y="</c>"><v>1</v></c></row></sheetData></worksheet>"#;
        let out = set(xml, "B1", "S")?;
        assert_eq!(
            out,
            xml.replace(
                "</c></row>",
                r#"</c><c r="B1" t="inlineStr"><is><t>S</t></is></c></row>"#
            )
        );
        Ok(())
    }

    #[test]
    fn a_prefixed_main_namespace_keeps_its_prefix() -> Result<(), String> {
        let xml = r#"<x:worksheet xmlns:x="urn:main"><x:sheetData><x:row r="1"/></x:sheetData></x:worksheet>"#;
        let out = set(xml, "A2", "S")?;
        assert!(out.contains(r#"<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>S</x:t></x:is></x:c></x:row></x:sheetData>"#), "{out}");
        Ok(())
    }
}
