//! Workbook limits: every crafted workbook is refused by the reader and by
//! the serial writer with a one-line reason naming the limit and the entry,
//! quickly and without touching the file; the real template fits the
//! defaults, and each limit, tightened below it, refuses it by name.

use std::path::Path;
use std::time::{Duration, Instant};

use smtx_plan::crafted::{self, MarkupTag};
use smtx_plan::fixture::WorkbookSpec;
use smtx_plan::{
    PlanError, SerialWriteError, SerialWriteOptions, WorkbookLimits, parse_workbook,
    parse_workbook_with_limits, write_serial,
};

use crate::common::template_bytes;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SERIAL: &str = "c8b39907-464c-44b4-94bb-7c2ac243f390";

/// A bound, not a benchmark: a debug build on a busy machine is far inside it.
const QUICK: Duration = Duration::from_secs(2);

fn refused_by_reader(bytes: &[u8], expected: &[&str]) -> String {
    let started = Instant::now();
    let outcome = parse_workbook(bytes, "crafted.xlsx");
    let elapsed = started.elapsed();
    let message = match outcome {
        Err(error @ (PlanError::Unreadable { .. } | PlanError::OverLimit { .. })) => {
            error.to_string()
        }
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(elapsed < QUICK, "took {elapsed:?}: {message}");
    assert!(message.starts_with("crafted.xlsx: "), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    for part in expected {
        assert!(message.contains(part), "{part:?} missing in {message}");
    }
    message
}

fn refused_by_writer(dir: &Path, bytes: &[u8], expected: &[&str]) -> TestResult {
    let path = dir.join("crafted.xlsx");
    std::fs::write(&path, bytes)?;
    let options = SerialWriteOptions {
        force: true,
        ..SerialWriteOptions::default()
    };
    let started = Instant::now();
    let outcome = write_serial(&path, SERIAL, &options);
    let elapsed = started.elapsed();
    let message = match outcome {
        Err(error @ SerialWriteError::Unreadable { .. }) => error.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(elapsed < QUICK, "took {elapsed:?}: {message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    for part in expected {
        assert!(message.contains(part), "{part:?} missing in {message}");
    }
    assert!(std::fs::read(&path)? == bytes, "the file was changed");
    Ok(())
}

fn host_sheet_entry() -> Result<String, Box<dyn std::error::Error>> {
    let fixture = WorkbookSpec::example(2).to_xlsx_bytes()?;
    Ok(crafted::sheet_entry(&fixture, crafted::HOST_SHEET)?)
}

#[test]
fn a_sheet_inflating_to_3_gib_is_refused_at_the_entry_limit() -> TestResult {
    let dir = tempfile::tempdir()?;
    let entry = host_sheet_entry()?;
    let bomb = crafted::zip_bomb(3 * 1024, true)?;
    assert!(bomb.len() < 4 * 1024 * 1024, "{} bytes", bomb.len());
    // The header tells the truth: refused before inflating a byte.
    let expected = [
        entry.as_str(),
        "declares 3.0 GiB inflated",
        "entry size limit",
    ];
    refused_by_reader(&bomb, &expected);
    refused_by_writer(dir.path(), &bomb, &expected)?;
    // The header lies (1 KiB): refused while inflating, as soon as the
    // entry passes what it declared (the zip reader counts too).
    let liar = crafted::zip_bomb(3 * 1024, false)?;
    let expected = [entry.as_str(), "larger than its declared uncompressed size"];
    refused_by_reader(&liar, &expected);
    refused_by_writer(dir.path(), &liar, &expected)?;
    Ok(())
}

#[test]
fn shared_strings_announced_by_the_hundred_billion_are_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let claim = crafted::shared_strings_claim(100_000_000_000)?;
    let expected = [
        "xl/sharedStrings.xml",
        "announces 100000000000 shared strings",
        "shared-string limit",
    ];
    refused_by_reader(&claim, &expected);
    refused_by_writer(dir.path(), &claim, &expected)?;
    Ok(())
}

#[test]
fn cells_at_a1_and_xfd1048576_are_refused_not_spanned() -> TestResult {
    let dir = tempfile::tempdir()?;
    let far = crafted::far_apart_cells()?;
    let expected = [
        "主机规划",
        "from A1 to XFD1048576 (17179869184 cells",
        "sheet size limit of 500000 cells",
    ];
    refused_by_reader(&far, &expected);
    refused_by_writer(dir.path(), &far, &expected)?;
    Ok(())
}

#[test]
fn markup_in_a_row_or_cell_attribute_is_refused_not_a_panic() -> TestResult {
    let dir = tempfile::tempdir()?;
    let entry = host_sheet_entry()?;
    for tag in [MarkupTag::Row, MarkupTag::Cell] {
        for markup in ["</sheetData>", "</row>"] {
            let bytes = crafted::markup_in_attribute(tag, markup)?;
            let expected = [entry.as_str(), "'<' inside an attribute value"];
            refused_by_reader(&bytes, &expected);
            refused_by_writer(dir.path(), &bytes, &expected)?;
        }
    }
    Ok(())
}

#[test]
fn too_many_zip_entries_are_refused_before_indexing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let bytes = crafted::many_entries(1_000)?;
    let expected = ["zip entries", "entry count limit of 1000"];
    refused_by_reader(&bytes, &expected);
    refused_by_writer(dir.path(), &bytes, &expected)?;
    Ok(())
}

/// calamine grows a vector to the largest shared-formula index; read through
/// a map instead, `si="4000000000"` costs nothing (and the sheet reads).
#[test]
fn a_huge_shared_formula_index_allocates_nothing() -> TestResult {
    let bytes = crafted::shared_formula_index(4_000_000_000)?;
    let started = Instant::now();
    let parsed = parse_workbook(&bytes, "crafted.xlsx")?;
    assert!(started.elapsed() < QUICK);
    assert!(!parsed.plan.hosts.is_empty());
    Ok(())
}

#[test]
fn the_real_template_fits_the_defaults_and_each_limit_names_itself() -> TestResult {
    let template = template_bytes();
    parse_workbook(&template, "template.xlsx")?;
    let tight = |change: fn(&mut WorkbookLimits)| {
        let mut limits = WorkbookLimits::DEFAULT;
        change(&mut limits);
        match parse_workbook_with_limits(&template, "template.xlsx", &limits) {
            Err(error) => error.to_string(),
            Ok(_) => panic!("expected a refusal with {limits:?}"),
        }
    };
    type Case = (fn(&mut WorkbookLimits), &'static [&'static str]);
    let cases: [Case; 5] = [
        (
            |l| l.max_file_bytes = 100_000,
            &["is 527.2 KiB, over the file size limit"],
        ),
        (
            |l| l.max_entries = 20,
            &["claims 27 zip entries, over the entry count limit of 20"],
        ),
        (
            |l| l.max_entry_bytes = 512 * 1024,
            &[
                "xl/worksheets/sheet",
                "over the entry size limit of 512.0 KiB",
            ],
        ),
        (
            |l| l.max_total_bytes = 4 * 1024 * 1024,
            &["total inflated size limit of 4 MiB"],
        ),
        (
            |l| l.max_sheet_cells = 100,
            &["sheet ", "over the sheet size limit of 100 cells"],
        ),
    ];
    for (change, expected) in cases {
        let message = tight(change);
        assert_eq!(message.lines().count(), 1, "{message}");
        for part in expected {
            assert!(message.contains(part), "{part:?} missing in {message}");
        }
    }
    // The fixture has shared strings (the template has none).
    let fixture = WorkbookSpec::example(2).to_xlsx_bytes()?;
    let limits = WorkbookLimits {
        max_shared_strings: 5,
        ..WorkbookLimits::DEFAULT
    };
    let message = parse_workbook_with_limits(&fixture, "fixture.xlsx", &limits)
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(
        message.contains("xl/sharedStrings.xml") && message.contains("shared-string limit of 5"),
        "{message}"
    );
    Ok(())
}
