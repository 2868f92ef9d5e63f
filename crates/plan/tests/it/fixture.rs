//! The fixture builder writes workbooks in the template's layout.

use smtx_plan::fixture::{FixtureCell, WorkbookSpec};

#[test]
fn example_workbook_is_a_zip_with_the_four_sheets() -> Result<(), Box<dyn std::error::Error>> {
    let bytes = WorkbookSpec::example(4).to_xlsx_bytes()?;
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let names = archive.file_names().collect::<Result<Vec<_>, _>>()?;
    assert!(names.iter().any(|n| n == "xl/workbook.xml"), "{names:?}");
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("xl/worksheets/sheet"))
            .count(),
        4
    );
    Ok(())
}

#[test]
fn write_to_writes_the_file() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("plan.xlsx");
    WorkbookSpec::example(16)
        .with_cell(
            "主机规划!C3",
            FixtureCell::Formula {
                formula: "=虚拟网络!B3".into(),
                cached: None,
            },
        )
        .write_to(&path)?;
    assert!(std::fs::metadata(&path)?.len() > 1000);
    if let Ok(out) = std::env::var("SMTX_FIXTURE_OUT") {
        std::fs::copy(&path, out)?;
    }
    Ok(())
}

#[test]
fn bad_override_location_is_an_error() {
    let result = WorkbookSpec::example(1)
        .with_cell("E19", FixtureCell::text("x"))
        .to_xlsx_bytes();
    assert!(result.is_err());
}
