//! Hostile workbooks, built on the fly for tests and fuzz seeds (never kept
//! as files): each is the example fixture with one thing made malicious —
//! a sheet that inflates to gigabytes, a `sharedStrings.xml` announcing more
//! strings than memory holds, cells at the far corners of the grid, markup
//! inside an attribute value, too many zip entries, a huge shared-formula
//! index. A reader must refuse each with a one-line reason, in bounded
//! memory and time, and never panic.

use std::io::{Cursor, Read};

use crate::fixture::{FixtureCell, WorkbookSpec};
use crate::ooxml::Package;

#[derive(Debug, thiserror::Error)]
#[error("building a crafted workbook: {0}")]
pub struct CraftError(String);

fn craft_error(error: impl std::fmt::Display) -> CraftError {
    CraftError(error.to_string())
}

/// The sheet the plan reads most (`主机规划`), as a zip entry name.
pub const HOST_SHEET: &str = crate::layout::HOST_SHEET;

/// One zip entry as stored: compressed bytes and what the headers say.
struct RawEntry {
    name: String,
    /// 0 stored, 8 deflated.
    method: u16,
    crc: u32,
    data: Vec<u8>,
    /// The inflated size the headers declare.
    size: u32,
}

fn fixture() -> Result<Vec<u8>, CraftError> {
    WorkbookSpec::example(2)
        .to_xlsx_bytes()
        .map_err(craft_error)
}

fn raw_entries(bytes: &[u8]) -> Result<Vec<RawEntry>, CraftError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(craft_error)?;
    let mut entries = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index_raw(index).map_err(craft_error)?;
        let method = match entry.compression() {
            zip::CompressionMethod::Stored => 0,
            zip::CompressionMethod::Deflated => 8,
            other => return Err(CraftError(format!("unexpected compression {other:?}"))),
        };
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(craft_error)?;
        entries.push(RawEntry {
            name: entry.name().map_err(craft_error)?.into_owned(),
            method,
            crc: entry.crc32(),
            size: u32::try_from(entry.size()).map_err(craft_error)?,
            data,
        });
    }
    Ok(entries)
}

fn stored(name: &str, content: &[u8]) -> Result<RawEntry, CraftError> {
    let mut crc = flate2::Crc::new();
    crc.update(content);
    Ok(RawEntry {
        name: name.to_string(),
        method: 0,
        crc: crc.sum(),
        size: u32::try_from(content.len()).map_err(craft_error)?,
        data: content.to_vec(),
    })
}

/// A plain zip (no zip64) of the entries, headers as given.
fn assemble(entries: &[RawEntry]) -> Result<Vec<u8>, CraftError> {
    let u32_of = |n: usize| u32::try_from(n).map_err(craft_error);
    let u16_of = |n: usize| u16::try_from(n).map_err(craft_error);
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in entries {
        let offset = u32_of(out.len())?;
        let name = entry.name.as_bytes();
        let flags: u16 = if entry.name.is_ascii() { 0 } else { 1 << 11 };
        let common = |buffer: &mut Vec<u8>| -> Result<(), CraftError> {
            buffer.extend_from_slice(&20u16.to_le_bytes()); // version needed
            buffer.extend_from_slice(&flags.to_le_bytes());
            buffer.extend_from_slice(&entry.method.to_le_bytes());
            buffer.extend_from_slice(&0u16.to_le_bytes()); // time
            buffer.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
            buffer.extend_from_slice(&entry.crc.to_le_bytes());
            buffer.extend_from_slice(&u32_of(entry.data.len())?.to_le_bytes());
            buffer.extend_from_slice(&entry.size.to_le_bytes());
            buffer.extend_from_slice(&u16_of(name.len())?.to_le_bytes());
            buffer.extend_from_slice(&0u16.to_le_bytes()); // extra
            Ok(())
        };
        out.extend_from_slice(b"PK\x03\x04");
        common(&mut out)?;
        out.extend_from_slice(name);
        out.extend_from_slice(&entry.data);

        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        common(&mut central)?;
        central.extend_from_slice(&0u16.to_le_bytes()); // comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let central_offset = u32_of(out.len())?;
    let count = u16_of(entries.len())?;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&u32_of(central.len())?.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

fn entry_text(bytes: &[u8], name: &str) -> Result<String, CraftError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(craft_error)?;
    let mut text = String::new();
    archive
        .by_name(name)
        .map_err(craft_error)?
        .read_to_string(&mut text)
        .map_err(craft_error)?;
    Ok(text)
}

/// The zip entry of a sheet of the fixture.
pub fn sheet_entry(bytes: &[u8], sheet: &str) -> Result<String, CraftError> {
    let workbook = entry_text(bytes, "xl/workbook.xml")?;
    let rels = entry_text(bytes, "xl/_rels/workbook.xml.rels")?;
    Package::parse(&workbook, &rels)
        .map_err(CraftError)?
        .sheets
        .into_iter()
        .find(|(name, _)| name == sheet)
        .map(|(_, entry)| entry)
        .ok_or_else(|| CraftError(format!("no sheet {sheet}")))
}

/// The fixture with one entry's text rewritten (stored, other entries raw).
fn edit_entry(
    bytes: &[u8],
    entry: &str,
    edit: impl FnOnce(&str) -> Result<String, CraftError>,
) -> Result<Vec<u8>, CraftError> {
    let text = entry_text(bytes, entry)?;
    let edited = edit(&text)?;
    let entries = raw_entries(bytes)?
        .into_iter()
        .map(|raw| {
            if raw.name == entry {
                stored(entry, edited.as_bytes())
            } else {
                Ok(raw)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    assemble(&entries)
}

fn replace_once(text: &str, from: &str, to: &str) -> Result<String, CraftError> {
    if !text.contains(from) {
        return Err(CraftError(format!("{from:?} not found")));
    }
    Ok(text.replacen(from, to, 1))
}

/// A raw-deflate stream of `repeat` MiB of spaces between `head` and `tail`,
/// and its CRC-32 and inflated size, built from one compressed MiB repeated
/// (so 3 GiB costs 3 MB and no time).
fn deflate_bomb(head: &[u8], repeat: u64, tail: &[u8]) -> Result<(Vec<u8>, u32, u64), CraftError> {
    const MIB: usize = 1024 * 1024;
    let sync = |data: &[u8], finish: bool| -> Result<Vec<u8>, CraftError> {
        // A fresh compressor per piece: no piece refers back into another.
        let mut compress = flate2::Compress::new(flate2::Compression::best(), false);
        let mut out = Vec::with_capacity(data.len() / 100 + 1024);
        let flush = if finish {
            flate2::FlushCompress::Finish
        } else {
            flate2::FlushCompress::Sync
        };
        compress
            .compress_vec(data, &mut out, flush)
            .map_err(craft_error)?;
        Ok(out)
    };
    let spaces = vec![b' '; MIB];
    let chunk = sync(&spaces, false)?;
    let mut stream = sync(head, false)?;
    let mut crc = flate2::Crc::new();
    crc.update(head);
    let mut chunk_crc = flate2::Crc::new();
    chunk_crc.update(&spaces);
    for _ in 0..repeat {
        stream.extend_from_slice(&chunk);
        crc.combine(&chunk_crc);
    }
    stream.extend_from_slice(&sync(tail, true)?);
    let mut tail_crc = flate2::Crc::new();
    tail_crc.update(tail);
    crc.combine(&tail_crc);
    let size = head.len() as u64 + repeat * MIB as u64 + tail.len() as u64;
    Ok((stream, crc.sum(), size))
}

/// The fixture whose `主机规划` sheet inflates to about `mib` MiB (3 072: a
/// 3 MB file that inflates to 3 GiB). With `honest_header` false, the zip
/// headers claim 1 KiB, so only counting while inflating catches it.
pub fn zip_bomb(mib: u64, honest_header: bool) -> Result<Vec<u8>, CraftError> {
    let bytes = fixture()?;
    let entry = sheet_entry(&bytes, HOST_SHEET)?;
    let head = concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        "\n",
        r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#
    );
    let (stream, crc, size) = deflate_bomb(head.as_bytes(), mib, b"</sheetData></worksheet>")?;
    let size = if honest_header {
        u32::try_from(size).map_err(|_| CraftError("over 4 GiB needs zip64".to_string()))?
    } else {
        1024
    };
    let entries = raw_entries(&bytes)?
        .into_iter()
        .map(|raw| {
            if raw.name == entry {
                RawEntry {
                    name: raw.name,
                    method: 8,
                    crc,
                    data: stream.clone(),
                    size,
                }
            } else {
                raw
            }
        })
        .collect::<Vec<_>>();
    assemble(&entries)
}

/// The fixture whose `sharedStrings.xml` announces `count` strings.
pub fn shared_strings_claim(count: u64) -> Result<Vec<u8>, CraftError> {
    edit_entry(&fixture()?, "xl/sharedStrings.xml", |xml| {
        let start = xml
            .find("<sst")
            .ok_or_else(|| CraftError("no <sst>".into()))?;
        let end = start
            + xml[start..]
                .find('>')
                .ok_or_else(|| CraftError("unterminated <sst>".into()))?;
        Ok(format!(
            r#"{}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{count}"{}"#,
            &xml[..start],
            &xml[end..]
        ))
    })
}

/// The fixture with text at `主机规划!A1` and `主机规划!XFD1048576`: a dense
/// range over them has 1.7·10¹⁰ cells.
pub fn far_apart_cells() -> Result<Vec<u8>, CraftError> {
    let corner = |cell: &str| format!("{HOST_SHEET}!{cell}");
    WorkbookSpec::example(2)
        .with_cell(&corner("A1"), FixtureCell::text("near"))
        .with_cell(&corner("XFD1048576"), FixtureCell::text("far"))
        .to_xlsx_bytes()
        .map_err(craft_error)
}

/// Which tag carries the markup in [`markup_in_attribute`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkupTag {
    /// The `<row>` of the serial cell (row 19).
    Row,
    /// The first `<c>` of the sheet.
    Cell,
}

/// The fixture whose `主机规划` sheet has `markup` (say `</sheetData>` or
/// `</row>`) unescaped in an attribute value of a row or cell tag: XML
/// forbids `<` there, lenient readers accept it, text scanners are fooled.
pub fn markup_in_attribute(tag: MarkupTag, markup: &str) -> Result<Vec<u8>, CraftError> {
    let bytes = fixture()?;
    let entry = sheet_entry(&bytes, HOST_SHEET)?;
    edit_entry(&bytes, &entry, |xml| match tag {
        MarkupTag::Row => replace_once(
            xml,
            r#"<row r="19""#,
            &format!(r#"<row r="19" note="{markup}""#),
        ),
        MarkupTag::Cell => replace_once(xml, "<c r=", &format!(r#"<c note="{markup}" r="#)),
    })
}

/// The fixture plus `extra` small entries.
pub fn many_entries(extra: usize) -> Result<Vec<u8>, CraftError> {
    let mut entries = raw_entries(&fixture()?)?;
    for index in 0..extra {
        entries.push(stored(&format!("customXml/item{index}.xml"), b"<a/>")?);
    }
    assemble(&entries)
}

/// The fixture with a shared formula of index `si` on `主机规划` (calamine
/// sizes a vector by the largest index).
pub fn shared_formula_index(si: u64) -> Result<Vec<u8>, CraftError> {
    let bytes = fixture()?;
    let entry = sheet_entry(&bytes, HOST_SHEET)?;
    edit_entry(&bytes, &entry, |xml| {
        replace_once(
            xml,
            "</sheetData>",
            &format!(
                r#"<row r="1000"><c r="A1000"><f t="shared" ref="A1000:A1001" si="{si}">1+1</f><v>2</v></c></row><row r="1001"><c r="A1001"><f t="shared" si="{si}"/><v>2</v></c></row></sheetData>"#
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bomb_is_small_and_inflates_as_declared() -> Result<(), Box<dyn std::error::Error>> {
        let bytes = zip_bomb(4, true)?;
        let entry = sheet_entry(&fixture()?, HOST_SHEET)?;
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes.as_slice()))?;
        let mut file = archive.by_name(&entry)?;
        let declared = file.size();
        let mut inflated = Vec::new();
        // Reading to the end checks the CRC.
        file.read_to_end(&mut inflated)?;
        assert_eq!(inflated.len() as u64, declared);
        assert!(declared > 4 * 1024 * 1024);
        assert!(bytes.len() < 100_000, "{}", bytes.len());
        assert!(inflated.ends_with(b"   </sheetData></worksheet>"));
        Ok(())
    }
}
