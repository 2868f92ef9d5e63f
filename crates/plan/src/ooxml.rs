//! The few parts of an xlsx package the serial write-back reads, parsed with
//! a real XML reader (quick-xml): which entry holds a sheet, one shared
//! string, and where in a worksheet's XML one cell sits or would go.
//!
//! Positions are byte offsets into the entry's text as quick-xml reports
//! them, so an edit can splice the text and leave every other byte alone. A
//! `"</row>"` inside an attribute value, a comment or CDATA is text to the
//! reader, never the end of a row. Nothing is kept per row or per cell beyond
//! the one cell asked for, so memory does not grow with a hostile sheet.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};

use crate::cell::CellRef;
use crate::limits::{CellSpan, WorkbookLimits};

/// `(sheet name, entry path)` in workbook order, and the shared strings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Package {
    pub(crate) sheets: Vec<(String, String)>,
    pub(crate) shared_strings: Option<String>,
}

impl Package {
    /// From `xl/workbook.xml` and `xl/_rels/workbook.xml.rels`.
    pub(crate) fn parse(workbook: &str, rels: &str) -> Result<Self, String> {
        let mut targets = Vec::new();
        for_each_element(rels, "Relationship", |element| {
            if let (Some(id), Some(target)) = (attr(element, "Id"), attr(element, "Target")) {
                let kind = attr(element, "Type").unwrap_or_default();
                targets.push((id, resolve_target(&target), kind));
            }
        })
        .map_err(|error| format!("xl/_rels/workbook.xml.rels: {error}"))?;
        let mut sheets = Vec::new();
        for_each_element(workbook, "sheet", |element| {
            let name = attr(element, "name");
            // The relationship id is `r:id`, whatever the prefix.
            let id = element
                .attributes()
                .with_checks(false)
                .flatten()
                .find(|attribute| attribute.key.as_ref().ends_with(":id"))
                .map(|attribute| unescape_attr(&attribute.value));
            if let (Some(name), Some(id)) = (name, id)
                && let Some((_, target, _)) = targets.iter().find(|(rel, _, _)| *rel == id)
            {
                sheets.push((name, target.clone()));
            }
        })
        .map_err(|error| format!("xl/workbook.xml: {error}"))?;
        let shared_strings = targets
            .iter()
            .find(|(_, _, kind)| kind.ends_with("/sharedStrings"))
            .map(|(_, target, _)| target.clone());
        Ok(Self {
            sheets,
            shared_strings,
        })
    }
}

/// `/xl/worksheets/sheet9.xml` or `worksheets/sheet9.xml` (relative to `xl/`)
/// → `xl/worksheets/sheet9.xml`.
pub(crate) fn resolve_target(target: &str) -> String {
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

fn reader(xml: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    reader
}

fn xml_error(reader: &Reader<&[u8]>, error: &quick_xml::Error) -> String {
    format!(
        "not well-formed XML at byte {}: {error}",
        reader.error_position()
    )
}

/// Calls `visit` for every `<name>` element (by local name).
fn for_each_element(
    xml: &str,
    name: &str,
    mut visit: impl FnMut(&BytesStart<'_>),
) -> Result<(), String> {
    let mut reader = reader(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(element) | Event::Empty(element))
                if element.local_name().as_ref() == name =>
            {
                visit(&element);
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(error) => return Err(xml_error(&reader, &error)),
        }
    }
}

/// An attribute's value, entities resolved.
pub(crate) fn attr(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .try_get_attribute(name)
        .ok()
        .flatten()
        .map(|attribute| unescape_attr(&attribute.value))
}

fn unescape_attr(value: &str) -> String {
    quick_xml::escape::unescape(value).map_or_else(|_| value.to_string(), Cow::into_owned)
}

/// Appends an entity reference (`&amp;`, `&#x41;`) as the character it names.
fn push_reference(out: &mut String, reference: &BytesRef<'_>) {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        out.push(c);
        return;
    }
    let name = reference.xml10_content();
    match quick_xml::escape::resolve_predefined_entity(&name) {
        Some(text) => out.push_str(text),
        None => {
            out.push('&');
            out.push_str(&name);
            out.push(';');
        }
    }
}

/// The text of the `index`th `<si>` of a `sharedStrings.xml`: its `<t>` runs,
/// without phonetic (`<rPh>`) runs, as Excel shows it.
pub(crate) fn shared_string(xml: &str, index: usize) -> Result<Option<String>, String> {
    let mut reader = reader(xml);
    let mut seen = 0usize;
    let mut inside = false;
    let mut depth_in_si = 0usize;
    let mut phonetic_depth: Option<usize> = None;
    let mut in_t = false;
    let mut text = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|error| xml_error(&reader, &error))?;
        match event {
            Event::Start(element) => {
                let local = element.local_name();
                if !inside {
                    if local.as_ref() == "si" {
                        if seen == index {
                            inside = true;
                            depth_in_si = 0;
                        } else {
                            seen += 1;
                        }
                    }
                    continue;
                }
                depth_in_si += 1;
                match local.as_ref() {
                    "rPh" if phonetic_depth.is_none() => phonetic_depth = Some(depth_in_si),
                    "t" if phonetic_depth.is_none() => in_t = true,
                    _ => {}
                }
            }
            Event::Empty(element) if !inside && element.local_name().as_ref() == "si" => {
                if seen == index {
                    return Ok(Some(String::new()));
                }
                seen += 1;
            }
            Event::End(element) => {
                if !inside {
                    continue;
                }
                if depth_in_si == 0 {
                    // `</si>`
                    return Ok(Some(text));
                }
                if phonetic_depth == Some(depth_in_si) {
                    phonetic_depth = None;
                }
                if element.local_name().as_ref() == "t" {
                    in_t = false;
                }
                depth_in_si -= 1;
            }
            Event::Text(content) if in_t => text.push_str(&content.xml10_content()),
            Event::CData(content) if in_t => text.push_str(&content.xml10_content()),
            Event::GeneralRef(reference) if in_t => push_reference(&mut text, &reference),
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------
// A worksheet, scanned for one cell.

/// Where `<sheetData>` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SheetData {
    /// `<sheetData/>`: the byte range of that tag.
    Empty { start: usize, end: usize },
    /// The content lies between `open_end` and `close` (where `</sheetData>` starts).
    Open { open_end: usize, close: usize },
}

/// The row holding the target cell.
#[derive(Debug, Clone)]
pub(crate) struct RowPos {
    /// Byte range of the start tag.
    pub(crate) tag_start: usize,
    pub(crate) tag_end: usize,
    pub(crate) self_closing: bool,
    /// Where `</row>` starts (== `tag_end` when self-closing).
    pub(crate) close: usize,
    pub(crate) style: Option<String>,
    pub(crate) custom_format: bool,
}

/// The target cell as found.
#[derive(Debug, Clone, Default)]
pub(crate) struct CellPos {
    /// Byte range of the whole `<c …>…</c>` or `<c …/>`.
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) style: Option<String>,
    /// The `t` attribute.
    pub(crate) kind: Option<String>,
    pub(crate) has_formula: bool,
    /// The text of `<v>`.
    pub(crate) value: Option<String>,
    /// The `<t>` runs of `<is>`, for an inline string.
    pub(crate) inline: Option<String>,
}

/// What the write-back needs to know about a worksheet to set one cell.
#[derive(Debug, Clone)]
pub(crate) struct SheetScan {
    /// The namespace prefix of `<sheetData>` (`x:` or empty), for new tags.
    pub(crate) prefix: String,
    pub(crate) sheet_data: SheetData,
    pub(crate) row: Option<RowPos>,
    /// Where the first row after the target row (in document order) starts.
    pub(crate) next_row_start: Option<usize>,
    pub(crate) cell: Option<CellPos>,
    /// Where the first cell after the target cell in its row starts.
    pub(crate) next_cell_start: Option<usize>,
    /// The style of the `<col>` covering the target column.
    pub(crate) column_style: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Worksheet,
    SheetData,
    Cols,
    Col,
    Row,
    Cell,
    Formula,
    Value,
    Inline,
    Text,
    Phonetic,
    Other,
}

/// Element nesting, as kinds; only the first levels matter, so a deeply
/// nested hostile file costs a counter, not a stack.
struct Path {
    kinds: [Kind; 8],
    depth: usize,
}

impl Path {
    fn parent(&self) -> Option<Kind> {
        self.depth
            .checked_sub(1)
            .map(|at| self.kinds.get(at).copied().unwrap_or(Kind::Other))
    }

    fn contains(&self, kind: Kind) -> bool {
        self.kinds
            .iter()
            .take(self.depth.min(self.kinds.len()))
            .any(|k| *k == kind)
    }

    fn push(&mut self, kind: Kind) {
        if let Some(slot) = self.kinds.get_mut(self.depth) {
            *slot = kind;
        }
        self.depth += 1;
    }

    fn pop(&mut self) -> Kind {
        self.depth = self.depth.saturating_sub(1);
        self.kinds.get(self.depth).copied().unwrap_or(Kind::Other)
    }
}

fn classify(local: &str, parent: Option<Kind>) -> Kind {
    match (parent, local) {
        (None, "worksheet") => Kind::Worksheet,
        (Some(Kind::Worksheet), "sheetData") => Kind::SheetData,
        (Some(Kind::Worksheet), "cols") => Kind::Cols,
        (Some(Kind::Cols), "col") => Kind::Col,
        (Some(Kind::SheetData), "row") => Kind::Row,
        (Some(Kind::Row), "c") => Kind::Cell,
        (Some(Kind::Cell), "f") => Kind::Formula,
        (Some(Kind::Cell), "v") => Kind::Value,
        (Some(Kind::Cell), "is") => Kind::Inline,
        (_, "rPh") => Kind::Phonetic,
        (_, "t") => Kind::Text,
        _ => Kind::Other,
    }
}

/// Scans a worksheet for `target`, checking its cells against the sheet
/// size limit on the way (`location` names the sheet in that error).
pub(crate) fn scan_sheet(
    xml: &str,
    target: CellRef,
    limits: &WorkbookLimits,
    location: &str,
) -> Result<SheetScan, String> {
    let mut reader = reader(xml);
    let mut path = Path {
        kinds: [Kind::Other; 8],
        depth: 0,
    };
    let mut scan = SheetScan {
        prefix: String::new(),
        sheet_data: SheetData::Empty { start: 0, end: 0 },
        row: None,
        next_row_start: None,
        cell: None,
        next_cell_start: None,
        column_style: None,
    };
    let mut found_sheet_data = false;
    let mut sheet_data_closed = false;
    let mut span = CellSpan::default();
    let target_row = target.row_number();
    // The current row's number and whether it is the (first) target row.
    let mut row_number = 0u32;
    let mut in_target_row = false;
    let mut previous_col: Option<u32> = None;
    // The current cell: its position, whether it has content yet, and
    // whether it is the target.
    let mut cell_at = (0u32, 0u32);
    let mut cell_counted = false;
    let mut in_target_cell = false;
    let mut collecting: Option<String> = None;
    loop {
        let start = position(&reader);
        let event = reader
            .read_event()
            .map_err(|error| xml_error(&reader, &error))?;
        let end = position(&reader);
        let (element, empty) = match &event {
            Event::Start(element) => (Some(element), false),
            Event::Empty(element) => (Some(element), true),
            _ => (None, false),
        };
        if let Some(element) = element {
            let kind = classify(element.local_name().as_ref(), path.parent());
            match kind {
                Kind::SheetData if !found_sheet_data => {
                    found_sheet_data = true;
                    scan.prefix = element
                        .name()
                        .prefix()
                        .map(|prefix| format!("{}:", prefix.as_ref()))
                        .unwrap_or_default();
                    scan.sheet_data = if empty {
                        SheetData::Empty { start, end }
                    } else {
                        SheetData::Open {
                            open_end: end,
                            close: end,
                        }
                    };
                }
                Kind::Col => {
                    let covers = |key: &str| attr(element, key)?.trim().parse::<u32>().ok();
                    if let (Some(min), Some(max)) = (covers("min"), covers("max"))
                        && (min..=max).contains(&(target.col + 1))
                        && scan.column_style.is_none()
                    {
                        scan.column_style = attr(element, "style");
                    }
                }
                Kind::Row => {
                    // `r` is optional: rows without it follow the previous one.
                    row_number = attr(element, "r")
                        .and_then(|r| r.trim().parse().ok())
                        .unwrap_or(row_number.saturating_add(1));
                    previous_col = None;
                    in_target_row = row_number == target_row && scan.row.is_none();
                    if in_target_row {
                        scan.row = Some(RowPos {
                            tag_start: start,
                            tag_end: end,
                            self_closing: empty,
                            close: end,
                            style: attr(element, "s"),
                            custom_format: attr(element, "customFormat")
                                .is_some_and(|v| v == "1" || v == "true"),
                        });
                    } else if row_number > target_row && scan.next_row_start.is_none() {
                        scan.next_row_start = Some(start);
                    }
                    if empty {
                        in_target_row = false;
                    }
                }
                Kind::Cell => {
                    let col = attr(element, "r")
                        .and_then(|r| CellRef::parse(&r))
                        .map(|cell| cell.col)
                        .unwrap_or_else(|| previous_col.map_or(0, |col| col.saturating_add(1)));
                    previous_col = Some(col);
                    cell_at = (row_number.saturating_sub(1), col);
                    cell_counted = false;
                    in_target_cell = false;
                    if in_target_row {
                        if col == target.col && scan.cell.is_none() {
                            in_target_cell = !empty;
                            scan.cell = Some(CellPos {
                                start,
                                end,
                                style: attr(element, "s"),
                                kind: attr(element, "t"),
                                ..CellPos::default()
                            });
                        } else if col > target.col && scan.next_cell_start.is_none() {
                            scan.next_cell_start = Some(start);
                        }
                    }
                }
                _ => {}
            }
            // Content makes a cell count towards the sheet's span.
            if matches!(kind, Kind::Formula | Kind::Value | Kind::Inline) && !cell_counted {
                cell_counted = true;
                span.add(cell_at, limits, location)
                    .map_err(|error| error.to_string())?;
            }
            if in_target_cell && let Some(cell) = scan.cell.as_mut() {
                match kind {
                    Kind::Formula => cell.has_formula = true,
                    Kind::Value if !empty => collecting = Some(String::new()),
                    Kind::Text
                        if !empty
                            && path.contains(Kind::Inline)
                            && !path.contains(Kind::Phonetic) =>
                    {
                        collecting = Some(String::new());
                    }
                    _ => {}
                }
            }
            if !empty {
                path.push(kind);
            }
            continue;
        }
        match event {
            Event::End(_) => match path.pop() {
                Kind::SheetData => {
                    if let SheetData::Open { close, .. } = &mut scan.sheet_data
                        && !sheet_data_closed
                    {
                        *close = start;
                    }
                    sheet_data_closed = true;
                }
                Kind::Row => {
                    if in_target_row && let Some(row) = scan.row.as_mut() {
                        row.close = start;
                    }
                    in_target_row = false;
                }
                Kind::Cell => {
                    if in_target_cell && let Some(cell) = scan.cell.as_mut() {
                        cell.end = end;
                    }
                    in_target_cell = false;
                }
                Kind::Value => {
                    if let (Some(text), Some(cell)) = (collecting.take(), scan.cell.as_mut()) {
                        cell.value = Some(text);
                    }
                }
                Kind::Text => {
                    if let (Some(text), Some(cell)) = (collecting.take(), scan.cell.as_mut()) {
                        cell.inline.get_or_insert_with(String::new).push_str(&text);
                    }
                }
                _ => {}
            },
            Event::Text(content) => {
                if let Some(text) = collecting.as_mut() {
                    text.push_str(&content.xml10_content());
                }
            }
            Event::CData(content) => {
                if let Some(text) = collecting.as_mut() {
                    text.push_str(&content.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(text) = collecting.as_mut() {
                    push_reference(text, &reference);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !found_sheet_data {
        return Err("no <sheetData> element".to_string());
    }
    Ok(scan)
}

fn position(reader: &Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str) -> CellRef {
        CellRef::parse(text).expect("test cell")
    }

    fn scan(xml: &str, target: &str) -> Result<SheetScan, String> {
        scan_sheet(xml, cell(target), &WorkbookLimits::DEFAULT, "sheet")
    }

    #[test]
    fn markup_in_attributes_and_comments_is_not_structure() -> Result<(), String> {
        let xml = r#"<worksheet><sheetData><row r="1" note="&lt;/row&gt;"><!-- </row></sheetData> --><c r="A1" t="inlineStr" x="a&gt;b"><is><t>a&amp;b</t><rPh><t>ignored</t></rPh></is></c></row></sheetData></worksheet>"#;
        let found = scan(xml, "A1")?;
        let cell = found.cell.ok_or("A1 found")?;
        assert_eq!(cell.inline.as_deref(), Some("a&b"));
        assert_eq!(
            xml.get(cell.start..cell.end).map(|s| &s[..8]),
            Some("<c r=\"A1")
        );
        assert!(
            xml.get(cell.end..)
                .is_some_and(|rest| rest.starts_with("</row>"))
        );
        let row = found.row.ok_or("row 1 found")?;
        assert!(
            xml.get(row.close..)
                .is_some_and(|rest| rest.starts_with("</row></sheetData>"))
        );
        match found.sheet_data {
            SheetData::Open { close, .. } => {
                assert_eq!(xml.get(close..), Some("</sheetData></worksheet>"));
            }
            other => return Err(format!("{other:?}")),
        }
        Ok(())
    }

    #[test]
    fn malformed_xml_is_an_error_not_a_panic() {
        for xml in [
            "<worksheet><sheetData><row r=\"1\"></sheetData></worksheet>",
            "<worksheet><sheetData><row",
            "<worksheet></worksheet>",
            "",
        ] {
            assert!(scan(xml, "A1").is_err(), "{xml}");
        }
    }

    #[test]
    fn cells_far_apart_are_over_the_sheet_limit() {
        let xml = r#"<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>"#;
        let error = scan(xml, "E19").err().unwrap_or_default();
        assert!(
            error.contains("from A1 to XFD1048576") && error.contains("sheet size limit"),
            "{error}"
        );
    }

    #[test]
    fn shared_strings_by_index() -> Result<(), String> {
        let xml = r#"<sst><si><t>zero</t></si><si/><si><r><t>t</t></r><r><t>wo</t></r><rPh><t>x</t></rPh></si></sst>"#;
        assert_eq!(shared_string(xml, 0)?.as_deref(), Some("zero"));
        assert_eq!(shared_string(xml, 1)?.as_deref(), Some(""));
        assert_eq!(shared_string(xml, 2)?.as_deref(), Some("two"));
        assert_eq!(shared_string(xml, 3)?, None);
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
}
