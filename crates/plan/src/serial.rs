//! Writing the cluster serial back into the workbook: the one write we ever
//! make to the user's file.
//!
//! Only the target cell changes. Rather than loading and re-saving the whole
//! workbook (which rewrites styles, drops cached formula values and sheet
//! protection), we edit the one worksheet's XML inside the zip and copy every
//! other entry raw, byte for byte. The new file is written next to the
//! original and renamed over it, so a failure leaves the original intact.
//!
//! Why `主机规划!E19` by default: the stage design names `文档描述!C18`, but in
//! the real template (v20250820) that cell is the header `版本` of a version
//! table; the template has a dedicated, empty cell labelled `Cluster SN`
//! (`主机规划!D19`), and E19 is its value cell.

use std::borrow::Cow;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use crate::cell::{CellRef, SheetCell};

/// `主机规划!E19`, the template's `Cluster SN` cell.
pub const DEFAULT_SERIAL_CELL: &str = "主机规划!E19";

#[derive(Debug, Clone)]
pub struct SerialWriteOptions {
    /// `sheet!cell`.
    pub cell: String,
    /// Overwrite content that is neither empty, a placeholder nor a serial
    /// (and ignore an office lock file next to the workbook).
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
    #[error("{cell:?} is not a sheet!cell location (e.g. 主机规划!E19)")]
    BadCell { cell: String },
    #[error("{path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
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
}

/// Writes `serial` into `options.cell` of the workbook at `path`, atomically.
pub fn write_serial(
    path: &Path,
    serial: &str,
    options: &SerialWriteOptions,
) -> Result<SerialWriteOutcome, SerialWriteError> {
    let serial = check_serial(serial)?;
    let target = SheetCell::parse(&options.cell).ok_or_else(|| SerialWriteError::BadCell {
        cell: options.cell.clone(),
    })?;
    let unreadable = |reason: String| SerialWriteError::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|error| unreadable(format!("cannot read: {error}")))?;
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(unreadable(
            "not an xlsx workbook (not a zip archive; a password-protected workbook is not supported)"
                .to_string(),
        ));
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.as_slice()))
        .map_err(|error| unreadable(format!("not a readable xlsx workbook: {error}")))?;
    let package = Package::new(&mut archive, path)?;
    let sheet_entry = package.sheet_entry(&target.sheet, path)?;
    let xml = package.entry_text(&mut archive, &sheet_entry, path)?;
    let current = find_cell(&xml, target.cell)
        .map_err(|reason| unreadable(format!("{sheet_entry}: {reason}")))?;
    let previous = match &current {
        Some(found) => found.content(&mut archive, &package, path)?,
        None => CellContent::Empty,
    };
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
    if !options.force
        && let Some(lock) = office_lock_file(path)
    {
        return Err(SerialWriteError::FileOpen {
            path: path.to_path_buf(),
            lock,
        });
    }
    let new_xml = set_cell(&xml, target.cell, &serial, current.as_ref())
        .map_err(|reason| unreadable(format!("{sheet_entry}: {reason}")))?;
    check_well_formed(&new_xml).map_err(|reason| SerialWriteError::Failed {
        path: path.to_path_buf(),
        reason: format!("the edited {sheet_entry} would not be well-formed XML: {reason}"),
    })?;
    replace_entry_atomically(path, &mut archive, &sheet_entry, new_xml.as_bytes())?;
    Ok(SerialWriteOutcome::Written {
        previous: previous_text,
    })
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
// The package: which entry is the sheet, and the shared strings.

struct Package {
    /// `(sheet name, entry path)` in workbook order.
    sheets: Vec<(String, String)>,
    shared_strings: Option<String>,
}

impl Package {
    fn new<R: Read + std::io::Seek>(
        archive: &mut zip::ZipArchive<R>,
        path: &Path,
    ) -> Result<Self, SerialWriteError> {
        let workbook = read_entry_text(archive, "xl/workbook.xml", path)?;
        let rels = read_entry_text(archive, "xl/_rels/workbook.xml.rels", path)?;
        let mut targets = Vec::new();
        for tag in tags(&rels, "Relationship") {
            let attrs = attributes(tag);
            if let (Some(id), Some(target)) = (attr(&attrs, "Id"), attr(&attrs, "Target")) {
                let kind = attr(&attrs, "Type").unwrap_or_default();
                targets.push((id, resolve_target(&target), kind));
            }
        }
        let mut sheets = Vec::new();
        for tag in tags(&workbook, "sheet") {
            let attrs = attributes(tag);
            let name = attr(&attrs, "name");
            // The relationship id is `r:id`, whatever the prefix.
            let id = attrs
                .iter()
                .find(|(key, _)| key.ends_with(":id"))
                .map(|(_, value)| unescape(value).into_owned());
            if let (Some(name), Some(id)) = (name, id)
                && let Some((_, target, _)) = targets.iter().find(|(rel, _, _)| *rel == id)
            {
                sheets.push((name, target.clone()));
            }
        }
        let shared_strings = targets
            .iter()
            .find(|(_, _, kind)| kind.ends_with("/sharedStrings"))
            .map(|(_, target, _)| target.clone());
        Ok(Self {
            sheets,
            shared_strings,
        })
    }

    fn sheet_entry(&self, sheet: &str, path: &Path) -> Result<String, SerialWriteError> {
        self.sheets
            .iter()
            .find(|(name, _)| name == sheet)
            .map(|(_, entry)| entry.clone())
            .ok_or_else(|| SerialWriteError::SheetNotFound {
                path: path.to_path_buf(),
                sheet: sheet.to_string(),
                present: self
                    .sheets
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    fn entry_text<R: Read + std::io::Seek>(
        &self,
        archive: &mut zip::ZipArchive<R>,
        entry: &str,
        path: &Path,
    ) -> Result<String, SerialWriteError> {
        read_entry_text(archive, entry, path)
    }

    fn shared_string<R: Read + std::io::Seek>(
        &self,
        archive: &mut zip::ZipArchive<R>,
        index: usize,
        path: &Path,
    ) -> Result<Option<String>, SerialWriteError> {
        let Some(entry) = &self.shared_strings else {
            return Ok(None);
        };
        let xml = read_entry_text(archive, entry, path)?;
        Ok(element_spans(&xml, "si")
            .nth(index)
            .map(|(start, end)| text_runs(&xml[start..end])))
    }
}

/// `/xl/worksheets/sheet9.xml` or `worksheets/sheet9.xml` (relative to `xl/`)
/// → `xl/worksheets/sheet9.xml`.
fn resolve_target(target: &str) -> String {
    let target = unescape(target);
    let joined = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => format!("xl/{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

fn read_entry_text<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    entry: &str,
    path: &Path,
) -> Result<String, SerialWriteError> {
    let unreadable = |reason: String| SerialWriteError::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    let mut file = archive
        .by_name(entry)
        .map_err(|error| unreadable(format!("{entry}: {error}")))?;
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|error| unreadable(format!("{entry}: {error}")))?;
    Ok(text)
}

// ---------------------------------------------------------------------------
// Worksheet XML, edited as text so everything else stays byte-identical.

/// Where a cell sits in the sheet XML.
#[derive(Debug, Clone)]
struct FoundCell {
    /// Byte range of the whole `<c …>…</c>` or `<c …/>`.
    start: usize,
    end: usize,
    attributes: Vec<(String, String)>,
    /// The XML between the start and end tags (empty when self-closing).
    inner: String,
}

enum CellContent {
    Empty,
    Text(String),
    Formula,
}

impl FoundCell {
    fn content<R: Read + std::io::Seek>(
        &self,
        archive: &mut zip::ZipArchive<R>,
        package: &Package,
        path: &Path,
    ) -> Result<CellContent, SerialWriteError> {
        if element_spans(&self.inner, "f").next().is_some() {
            return Ok(CellContent::Formula);
        }
        let value = element_spans(&self.inner, "v")
            .next()
            .map(|(start, end)| inner_text(&self.inner[start..end]));
        let text = match attr(&self.attributes, "t").as_deref() {
            Some("inlineStr") => Some(text_runs(&self.inner)),
            Some("s") => match value.and_then(|v| v.trim().parse::<usize>().ok()) {
                Some(index) => package.shared_string(archive, index, path)?,
                None => None,
            },
            _ => value,
        };
        Ok(match text {
            Some(text) if !text.trim().is_empty() => CellContent::Text(text.trim().to_string()),
            _ => CellContent::Empty,
        })
    }
}

/// Finds the cell in `<sheetData>`; `Ok(None)` when it has no element.
fn find_cell(xml: &str, target: CellRef) -> Result<Option<FoundCell>, String> {
    let Some(data) = sheet_data(xml)? else {
        return Ok(None);
    };
    for row in rows(xml, data.0, data.1) {
        if row.number != target.row_number() {
            continue;
        }
        return Ok(cells(xml, &row)
            .into_iter()
            .find(|cell| cell.1 == target.col)
            .map(|(found, _)| found));
    }
    Ok(None)
}

/// The byte range of `<sheetData>`'s content, `None` for `<sheetData/>`.
fn sheet_data(xml: &str) -> Result<Option<(usize, usize)>, String> {
    let start = find_tag(xml, "sheetData", 0).ok_or("no <sheetData> element")?;
    let open_end = tag_end(xml, start).ok_or("unterminated <sheetData> tag")?;
    if xml[..open_end].ends_with("/>") {
        return Ok(None);
    }
    let close = xml[open_end..]
        .find("</sheetData>")
        .ok_or("no </sheetData>")?;
    Ok(Some((open_end, open_end + close)))
}

struct Row {
    number: u32,
    /// Byte range of the start tag.
    tag_start: usize,
    tag_end: usize,
    self_closing: bool,
    /// Byte offset of `</row>` (== tag_end when self-closing).
    close: usize,
    attributes: Vec<(String, String)>,
}

fn rows(xml: &str, from: usize, to: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut at = from;
    let mut previous = 0;
    while let Some(start) = find_tag(xml, "row", at).filter(|start| *start < to) {
        let Some(end) = tag_end(xml, start) else {
            break;
        };
        let attributes = attributes(&xml[start..end]);
        // `r` is optional: rows without it follow the previous one.
        let number = attr(&attributes, "r")
            .and_then(|r| r.trim().parse().ok())
            .unwrap_or(previous + 1);
        previous = number;
        let self_closing = xml[..end].ends_with("/>");
        let close = if self_closing {
            end
        } else {
            match xml[end..to].find("</row>") {
                Some(offset) => end + offset,
                None => break,
            }
        };
        rows.push(Row {
            number,
            tag_start: start,
            tag_end: end,
            self_closing,
            close,
            attributes,
        });
        at = if self_closing {
            end
        } else {
            close + "</row>".len()
        };
    }
    rows
}

/// Every cell of a row with its zero-based column.
fn cells(xml: &str, row: &Row) -> Vec<(FoundCell, u32)> {
    let mut found = Vec::new();
    if row.self_closing {
        return found;
    }
    let mut at = row.tag_end;
    let mut previous: Option<u32> = None;
    while let Some(start) = find_tag(xml, "c", at).filter(|start| *start < row.close) {
        let Some(open_end) = tag_end(xml, start) else {
            break;
        };
        let attributes = attributes(&xml[start..open_end]);
        let col = attr(&attributes, "r")
            .and_then(|r| CellRef::parse(&r))
            .map(|cell| cell.col)
            .unwrap_or_else(|| previous.map_or(0, |col| col + 1));
        previous = Some(col);
        let (end, inner) = if xml[..open_end].ends_with("/>") {
            (open_end, String::new())
        } else {
            match xml[open_end..row.close].find("</c>") {
                Some(offset) => (
                    open_end + offset + "</c>".len(),
                    xml[open_end..open_end + offset].to_string(),
                ),
                None => break,
            }
        };
        found.push((
            FoundCell {
                start,
                end,
                attributes,
                inner,
            },
            col,
        ));
        at = end;
    }
    found
}

/// The sheet XML with the cell set to an inline string.
fn set_cell(
    xml: &str,
    target: CellRef,
    value: &str,
    existing: Option<&FoundCell>,
) -> Result<String, String> {
    let cell_xml = |style: Option<String>| {
        let style = style.map(|s| format!(" s=\"{s}\"")).unwrap_or_default();
        format!(
            "<c r=\"{target}\"{style} t=\"inlineStr\"><is><t>{}</t></is></c>",
            escape(value)
        )
    };
    if let Some(found) = existing {
        // Keep the cell's style; drop its type, value and formula.
        let replacement = cell_xml(attr(&found.attributes, "s"));
        return Ok(splice(xml, found.start, found.end, &replacement));
    }
    let column_style = column_style(xml, target.col);
    let data = sheet_data(xml)?;
    let Some((from, to)) = data else {
        // `<sheetData/>`: the sheet has no cells at all.
        let start = find_tag(xml, "sheetData", 0).ok_or("no <sheetData> element")?;
        let end = tag_end(xml, start).ok_or("unterminated <sheetData> tag")?;
        let row = format!(
            "<sheetData><row r=\"{}\">{}</row></sheetData>",
            target.row_number(),
            cell_xml(column_style)
        );
        return Ok(splice(xml, start, end, &row));
    };
    let rows = rows(xml, from, to);
    if let Some(row) = rows.iter().find(|row| row.number == target.row_number()) {
        let custom = attr(&row.attributes, "customFormat").is_some_and(|v| v == "1" || v == "true");
        let style = if custom {
            attr(&row.attributes, "s")
        } else {
            None
        }
        .or(column_style);
        let new_cell = cell_xml(style);
        if row.self_closing {
            // `<row …/>` → `<row …>cell</row>`
            let open = xml[row.tag_start..row.tag_end]
                .trim_end_matches("/>")
                .trim_end();
            let replacement = format!("{open}>{new_cell}</row>");
            return Ok(splice(xml, row.tag_start, row.tag_end, &replacement));
        }
        let insert_at = cells(xml, row)
            .into_iter()
            .find(|(_, col)| *col > target.col)
            .map_or(row.close, |(cell, _)| cell.start);
        return Ok(splice(xml, insert_at, insert_at, &new_cell));
    }
    let new_row = format!(
        "<row r=\"{}\">{}</row>",
        target.row_number(),
        cell_xml(column_style)
    );
    let insert_at = rows
        .iter()
        .find(|row| row.number > target.row_number())
        .map_or(to, |row| row.tag_start);
    Ok(splice(xml, insert_at, insert_at, &new_row))
}

/// The `style` of the `<col>` covering this column, if any.
fn column_style(xml: &str, col: u32) -> Option<String> {
    let one_based = col + 1;
    tags(xml, "col").into_iter().find_map(|tag| {
        let attrs = attributes(tag);
        let min: u32 = attr(&attrs, "min")?.parse().ok()?;
        let max: u32 = attr(&attrs, "max")?.parse().ok()?;
        (min..=max)
            .contains(&one_based)
            .then(|| attr(&attrs, "style"))
            .flatten()
    })
}

fn splice(xml: &str, start: usize, end: usize, replacement: &str) -> String {
    let mut out = String::with_capacity(xml.len() + replacement.len());
    out.push_str(&xml[..start]);
    out.push_str(replacement);
    out.push_str(&xml[end..]);
    out
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

// ---------------------------------------------------------------------------
// Minimal XML scanning helpers. The parts we touch (rows, cells, sheet and
// relationship tags) are flat, so positions in the text are enough.

/// Offset of the next `<name` start tag (followed by space, `>` or `/`).
fn find_tag(xml: &str, name: &str, from: usize) -> Option<usize> {
    let pattern = format!("<{name}");
    let mut at = from;
    while let Some(offset) = xml.get(at..)?.find(&pattern) {
        let start = at + offset;
        let next = xml[start + pattern.len()..].chars().next();
        if matches!(next, Some(' ' | '>' | '/' | '\t' | '\n' | '\r')) {
            return Some(start);
        }
        at = start + pattern.len();
    }
    None
}

/// Offset just past the `>` closing the tag that starts at `start`,
/// respecting quoted attribute values.
fn tag_end(xml: &str, start: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (offset, byte) in xml.as_bytes().get(start..)?.iter().enumerate() {
        match (quote, byte) {
            (Some(q), b) if *b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(*byte),
            (None, b'>') => return Some(start + offset + 1),
            (None, _) => {}
        }
    }
    None
}

/// Every start tag `<name …>` in the text.
fn tags<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(start) = find_tag(xml, name, at) {
        let Some(end) = tag_end(xml, start) else {
            break;
        };
        found.push(&xml[start..end]);
        at = end;
    }
    found
}

/// Content ranges of each `<name>…</name>` element (skipping `<name/>`).
fn element_spans<'a>(xml: &'a str, name: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
    let close = format!("</{name}>");
    let mut at = 0;
    std::iter::from_fn(move || {
        loop {
            let start = find_tag(xml, name, at)?;
            let open_end = tag_end(xml, start)?;
            if xml[..open_end].ends_with("/>") {
                at = open_end;
                continue;
            }
            let end = open_end + xml[open_end..].find(&close)?;
            at = end + close.len();
            return Some((open_end, end));
        }
    })
}

/// The concatenated `<t>` runs of a rich or inline string.
fn text_runs(xml: &str) -> String {
    element_spans(xml, "t")
        .map(|(start, end)| inner_text(&xml[start..end]))
        .collect()
}

fn inner_text(text: &str) -> String {
    unescape(text).into_owned()
}

/// `name="value"` pairs of a start tag (values still escaped).
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let body = tag.trim_start_matches('<');
    let body = body.trim_end_matches('>').trim_end_matches('/');
    // Skip the element name.
    let mut rest = body
        .find(char::is_whitespace)
        .map_or("", |offset| &body[offset..]);
    loop {
        rest = rest.trim_start();
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().to_string();
        let after = rest[eq + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            break;
        };
        let Some(close) = after[1..].find(quote) else {
            break;
        };
        found.push((key, after[1..1 + close].to_string()));
        rest = &after[close + 2..];
    }
    found
}

fn attr(attributes: &[(String, String)], name: &str) -> Option<String> {
    attributes
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| unescape(value).into_owned())
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

fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let Some(semi) = after.find(';') else {
            out.push_str(after);
            return Cow::Owned(out);
        };
        let entity = &after[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&after[..=semi]),
        }
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

// ---------------------------------------------------------------------------
// Writing the new package next to the old one, then renaming.

fn replace_entry_atomically<R: Read + std::io::Seek>(
    path: &Path,
    archive: &mut zip::ZipArchive<R>,
    entry_name: &str,
    content: &[u8],
) -> Result<(), SerialWriteError> {
    let failed = |reason: String| SerialWriteError::Failed {
        path: path.to_path_buf(),
        reason,
    };
    let dir = match path.parent() {
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
    // Keep the workbook's permissions; a temporary file starts as 0600.
    if let Ok(metadata) = std::fs::metadata(path) {
        std::fs::set_permissions(temp.path(), metadata.permissions())
            .map_err(|error| failed(format!("copying permissions: {error}")))?;
    }
    temp.persist(path)
        .map_err(|error| failed(format!("replacing the file: {}", error.error)))?;
    // Make the rename itself durable; not all platforms can open a directory.
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str) -> CellRef {
        CellRef::parse(text).expect("test cell")
    }

    const SHEET: &str = r#"<worksheet><cols><col min="5" max="5" style="7"/></cols><sheetData><row r="2" spans="1:5"><c r="A2" s="1"><v>1</v></c><c r="C2" s="2" t="n"/></row><row r="4"/></sheetData></worksheet>"#;

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
        let found = find_cell(SHEET, cell("C2"))?.ok_or("C2 exists")?;
        let xml = set_cell(SHEET, cell("C2"), "a&b", Some(&found))?;
        assert!(xml.contains(r#"<c r="C2" s="2" t="inlineStr"><is><t>a&amp;b</t></is></c></row>"#));
        check_well_formed(&xml)
    }

    #[test]
    fn inserts_a_missing_cell_in_column_order() -> Result<(), String> {
        let xml = set_cell(SHEET, cell("B2"), "S", None)?;
        assert!(
            xml.contains(r#"<v>1</v></c><c r="B2" t="inlineStr"><is><t>S</t></is></c><c r="C2""#)
        );
        let xml = set_cell(SHEET, cell("E2"), "S", None)?;
        assert!(
            xml.contains(
                r#"<c r="E2" s="7" t="inlineStr"><is><t>S</t></is></c></row><row r="4"/>"#
            )
        );
        check_well_formed(&xml)
    }

    #[test]
    fn creates_missing_rows_in_order() -> Result<(), String> {
        let xml = set_cell(SHEET, cell("A3"), "S", None)?;
        assert!(xml.contains(
            r#"</row><row r="3"><c r="A3" t="inlineStr"><is><t>S</t></is></c></row><row r="4"/>"#
        ));
        let xml = set_cell(SHEET, cell("A4"), "S", None)?;
        assert!(xml.contains(
            r#"<row r="4"><c r="A4" t="inlineStr"><is><t>S</t></is></c></row></sheetData>"#
        ));
        let xml = set_cell(SHEET, cell("A9"), "S", None)?;
        assert!(xml.contains(r#"<row r="4"/><row r="9"><c r="A9" t="inlineStr"><is><t>S</t></is></c></row></sheetData>"#));
        let empty = "<worksheet><sheetData/></worksheet>";
        let xml = set_cell(empty, cell("B1"), "S", None)?;
        assert_eq!(
            xml,
            r#"<worksheet><sheetData><row r="1"><c r="B1" t="inlineStr"><is><t>S</t></is></c></row></sheetData></worksheet>"#
        );
        Ok(())
    }

    #[test]
    fn resolves_relationship_targets() {
        assert_eq!(
            resolve_target("/xl/worksheets/sheet9.xml"),
            "xl/worksheets/sheet9.xml"
        );
        assert_eq!(
            resolve_target("worksheets/sheet2.xml"),
            "xl/worksheets/sheet2.xml"
        );
        assert_eq!(
            resolve_target("../xl/sharedStrings.xml"),
            "xl/sharedStrings.xml"
        );
    }

    #[test]
    fn unescapes_entities() {
        assert_eq!(unescape("a&amp;b&#x41;&#66;&lt;"), "a&bAB<");
        assert_eq!(unescape("a&b"), "a&b");
    }
}
