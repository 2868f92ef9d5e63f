//! Cell addresses: `E19`, `主机规划!E19`, `'主机规划'!E19`. One parser shared by
//! the reader, the serial writer and the fixture builder, so all three agree
//! on what a location means.

use std::fmt;

/// A cell on a sheet, zero-based internally, `A1` style when printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellRef {
    /// Zero-based row (row 1 is 0).
    pub row: u32,
    /// Zero-based column (A is 0).
    pub col: u32,
}

/// Excel's limits; anything beyond is not a cell.
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLS: u32 = 16_384;

impl CellRef {
    /// From the one-based row number and column letters the workbook uses.
    pub fn new(col_letters: &str, row_number: u32) -> Option<Self> {
        let col = column_index(col_letters)?;
        if row_number == 0 || row_number > MAX_ROWS {
            return None;
        }
        Some(Self {
            row: row_number - 1,
            col,
        })
    }

    /// Parses `E19` (case-insensitive letters, then a one-based row).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().replace('$', "");
        let split = text.find(|c: char| c.is_ascii_digit())?;
        let (letters, digits) = text.split_at(split);
        if letters.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let row_number: u32 = digits.parse().ok()?;
        Self::new(letters, row_number)
    }

    /// One-based row number as shown in Excel.
    pub fn row_number(&self) -> u32 {
        self.row + 1
    }

    pub fn column_letters(&self) -> String {
        column_letters(self.col)
    }
}

impl fmt::Display for CellRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.column_letters(), self.row_number())
    }
}

/// `A` → 0, `Z` → 25, `AA` → 26.
pub fn column_index(letters: &str) -> Option<u32> {
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut index: u32 = 0;
    for byte in letters.bytes() {
        if !byte.is_ascii_alphabetic() {
            return None;
        }
        index = index * 26 + u32::from(byte.to_ascii_uppercase() - b'A') + 1;
    }
    let index = index - 1;
    (index < MAX_COLS).then_some(index)
}

/// 0 → `A`, 26 → `AA`.
pub fn column_letters(col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        // rem < 26, so the cast cannot truncate.
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8_lossy(&letters).into_owned()
}

/// A `sheet!cell` location such as `主机规划!E19`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SheetCell {
    pub sheet: String,
    pub cell: CellRef,
}

impl SheetCell {
    pub fn new(sheet: impl Into<String>, cell: CellRef) -> Self {
        Self {
            sheet: sheet.into(),
            cell,
        }
    }

    /// Parses `sheet!A1`, with or without quotes around the sheet name.
    pub fn parse(text: &str) -> Option<Self> {
        let (sheet, cell) = text.trim().rsplit_once('!')?;
        let sheet = sheet.trim();
        let sheet = sheet
            .strip_prefix('\'')
            .and_then(|s| s.strip_suffix('\''))
            .map(|s| s.replace("''", "'"))
            .unwrap_or_else(|| sheet.to_string());
        if sheet.is_empty() {
            return None;
        }
        Some(Self {
            sheet,
            cell: CellRef::parse(cell)?,
        })
    }
}

impl fmt::Display for SheetCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}!{}", self.sheet, self.cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_cells() {
        let cell = CellRef::parse("E19").expect("valid cell");
        assert_eq!((cell.row, cell.col), (18, 4));
        assert_eq!(cell.to_string(), "E19");
        assert_eq!(
            CellRef::parse("aa3").map(|c| c.to_string()),
            Some("AA3".into())
        );
        assert_eq!(
            CellRef::parse("$Q$20").map(|c| c.to_string()),
            Some("Q20".into())
        );
        assert_eq!(CellRef::parse("E0"), None);
        assert_eq!(CellRef::parse("19"), None);
        assert_eq!(CellRef::parse("E1x"), None);
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_index("XFD"), Some(16_383));
        assert_eq!(column_index("XFE"), None);
    }

    #[test]
    fn parses_sheet_cells() {
        let at = SheetCell::parse("主机规划!E19").expect("valid location");
        assert_eq!(at.sheet, "主机规划");
        assert_eq!(at.to_string(), "主机规划!E19");
        let quoted = SheetCell::parse("'文档 描述'!C18").expect("quoted sheet");
        assert_eq!(quoted.sheet, "文档 描述");
        assert_eq!(SheetCell::parse("E19"), None);
        assert_eq!(SheetCell::parse("!E19"), None);
    }
}
