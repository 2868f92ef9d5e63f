//! Property tests: arbitrary bytes and mutated workbooks (a fixture and the
//! real template) never make the reader or the serial writer panic; they
//! return a plan or an error.

use std::sync::OnceLock;

use proptest::prelude::*;
use smtx_plan::fixture::WorkbookSpec;
use smtx_plan::{SerialWriteOptions, parse_workbook, write_serial};

use crate::common::template_bytes;

fn fixture_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        WorkbookSpec::example(3)
            .to_xlsx_bytes()
            .expect("the fixture builds")
    })
}

fn template() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(template_bytes)
}

/// Overwrites bytes at (relative) positions, then maybe truncates.
fn mutate(original: &[u8], edits: &[(f64, u8)], truncate: Option<f64>) -> Vec<u8> {
    let mut bytes = original.to_vec();
    let len = bytes.len();
    for (position, value) in edits {
        // position in [0, 1): the cast picks an index inside the file.
        let index = ((*position * len as f64) as usize).min(len.saturating_sub(1));
        if let Some(byte) = bytes.get_mut(index) {
            *byte = *value;
        }
    }
    if let Some(fraction) = truncate {
        bytes.truncate((fraction * len as f64) as usize);
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<(f64, u8)>> {
    prop::collection::vec((0.0..1.0f64, any::<u8>()), 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_workbook(&bytes, "fuzz.xlsx");
        // Past the magic check, into the zip reader.
        let mut zipped = b"PK\x03\x04".to_vec();
        zipped.extend_from_slice(&bytes);
        let _ = parse_workbook(&zipped, "fuzz.xlsx");
    }

    #[test]
    fn mutated_fixture_workbooks_never_panic(
        edits in edits(),
        truncate in prop::option::weighted(0.2, 0.0..1.0f64),
    ) {
        let bytes = mutate(fixture_bytes(), &edits, truncate);
        let _ = parse_workbook(&bytes, "fuzz.xlsx");
    }
}

proptest! {
    // The real template is 0.5 MB and takes a while to parse in debug builds.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn mutated_real_templates_never_panic(
        edits in edits(),
        truncate in prop::option::weighted(0.1, 0.0..1.0f64),
    ) {
        let bytes = mutate(template(), &edits, truncate);
        let _ = parse_workbook(&bytes, "fuzz.xlsx");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn serial_writer_never_panics_on_mutated_workbooks(
        edits in edits(),
        truncate in prop::option::weighted(0.1, 0.0..1.0f64),
        force in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("fuzz.xlsx");
        let bytes = mutate(fixture_bytes(), &edits, truncate);
        std::fs::write(&path, &bytes).expect("write the mutated workbook");
        let options = SerialWriteOptions { force, ..SerialWriteOptions::default() };
        if write_serial(&path, "c8b39907-464c-44b4-94bb-7c2ac243f390", &options).is_err() {
            // A refused write leaves the file as it was.
            prop_assert_eq!(std::fs::read(&path).expect("read back"), bytes);
        }
    }
}

/// Regression: a cell reference whose column overflows made calamine panic
/// (found by `mutated_real_templates_never_panic`). It is a damaged file: an
/// error that says so, not a crash.
#[test]
fn an_overflowing_cell_reference_is_an_error_not_a_panic() {
    use std::io::{Read, Write};
    let original = fixture_bytes();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(original)).expect("fixture zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut damaged = false;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("entry");
        let name = entry.name().expect("entry name").to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("read entry");
        if name.starts_with("xl/worksheets/sheet") && !damaged {
            let text = String::from_utf8(data).expect("xml");
            let replaced = text.replacen(" r=\"B3\"", " r=\"ZZZZZZZZZZZZZZZZZZZZB3\"", 1);
            damaged = replaced != text;
            data = replaced.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("start entry");
        out.write_all(&data).expect("write entry");
    }
    assert!(damaged, "the fixture has a B3 cell to damage");
    let bytes = out.finish().expect("zip").into_inner();
    let outcome = std::panic::catch_unwind(|| parse_workbook(&bytes, "damaged.xlsx"));
    let result = outcome.expect("no panic escapes parse_workbook");
    let error = result.expect_err("a damaged workbook is refused");
    let message = error.to_string();
    assert!(
        message.contains("damaged.xlsx") && message.contains("damaged"),
        "{message}"
    );
}
