//! Writing the serial back: only the target cell changes, every other zip
//! entry stays byte-for-byte identical, the write is atomic, other content is
//! never overwritten without `force`, and LibreOffice reads the result.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use smtx_plan::fixture::{FixtureCell, WorkbookSpec};
use smtx_plan::{
    SerialWriteError, SerialWriteOptions, SerialWriteOutcome, parse_workbook, write_serial,
};

use crate::common::template_path;

const SERIAL: &str = "c8b39907-464c-44b4-94bb-7c2ac243f390";
const EARLIER: &str = "0a1b2c3d-0000-4000-8000-123456789abc";
const HOST_SHEET_XML: &str = "xl/worksheets/sheet9.xml";

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// One zip entry: name, raw (compressed) bytes and content.
struct Entry {
    name: String,
    raw: Vec<u8>,
    content: Vec<u8>,
}

fn entries(path: &Path) -> Result<Vec<Entry>, Box<dyn std::error::Error>> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path)?)?;
    let mut out = Vec::new();
    for index in 0..archive.len() {
        let mut raw = Vec::new();
        archive.by_index_raw(index)?.read_to_end(&mut raw)?;
        let mut entry = archive.by_index(index)?;
        let mut content = Vec::new();
        entry.read_to_end(&mut content)?;
        out.push(Entry {
            name: entry.name()?.into_owned(),
            raw,
            content,
        });
    }
    Ok(out)
}

fn copy_template(dir: &Path) -> Result<PathBuf, std::io::Error> {
    let path = dir.join("05.【模板】SmartX超融合核心平台规划设计表-ELF环境-v20250820.xlsx");
    std::fs::copy(template_path(), &path)?;
    // The reference copy is read-only, and a read-only workbook is not written.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
    Ok(path)
}

fn default_options() -> SerialWriteOptions {
    SerialWriteOptions::default()
}

fn serial_in(path: &Path) -> Result<Option<String>, Box<dyn std::error::Error>> {
    let parsed = parse_workbook(&std::fs::read(path)?, "after.xlsx")?;
    Ok(parsed.plan.cluster.serial)
}

#[test]
fn only_the_target_cell_changes_in_the_real_template() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = copy_template(dir.path())?;
    let before = entries(&path)?;

    let outcome = write_serial(&path, SERIAL, &default_options())?;
    assert_eq!(outcome, SerialWriteOutcome::Written { previous: None });

    let after = entries(&path)?;
    let names = |entries: &[Entry]| entries.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&before), names(&after), "same entries, same order");
    for (old, new) in before.iter().zip(&after) {
        if old.name == HOST_SHEET_XML {
            let old_xml = String::from_utf8(old.content.clone())?;
            let new_xml = String::from_utf8(new.content.clone())?;
            // The template's empty, styled `Cluster SN` value cell, and the
            // same cell holding the serial with its style kept.
            let empty_cell = r#"<c r="E19" s="333" t="n" />"#;
            let serial_cell =
                format!(r#"<c r="E19" s="333" t="inlineStr"><is><t>{SERIAL}</t></is></c>"#);
            assert_eq!(old_xml.matches(empty_cell).count(), 1);
            assert_eq!(new_xml, old_xml.replacen(empty_cell, &serial_cell, 1));
        } else {
            assert!(old.raw == new.raw, "{} changed", old.name);
            assert!(old.content == new.content, "{} changed", old.name);
        }
    }
    assert_eq!(serial_in(&path)?.as_deref(), Some(SERIAL));
    assert_no_temporary_files(dir.path(), 1)?;
    Ok(())
}

fn assert_no_temporary_files(dir: &Path, expected: usize) -> TestResult {
    let names: Vec<String> = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    assert_eq!(names.len(), expected, "left behind: {names:?}");
    Ok(())
}

#[test]
fn the_same_serial_again_leaves_the_file_alone() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = copy_template(dir.path())?;
    write_serial(&path, SERIAL, &default_options())?;
    let bytes = std::fs::read(&path)?;
    let outcome = write_serial(&path, &format!("  {SERIAL} "), &default_options())?;
    assert_eq!(outcome, SerialWriteOutcome::AlreadyPresent);
    assert_eq!(std::fs::read(&path)?, bytes);
    Ok(())
}

#[test]
fn an_earlier_serial_or_a_placeholder_is_replaced() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = copy_template(dir.path())?;
    write_serial(&path, EARLIER, &default_options())?;
    let outcome = write_serial(&path, SERIAL, &default_options())?;
    assert_eq!(
        outcome,
        SerialWriteOutcome::Written {
            previous: Some(EARLIER.to_string())
        }
    );
    assert_eq!(serial_in(&path)?.as_deref(), Some(SERIAL));

    for placeholder in ["XXXX-XXXX-XXXX", "-", "xxxx…"] {
        let mut spec = WorkbookSpec::example(2);
        spec.serial = placeholder.to_string();
        let path = dir.path().join("placeholder.xlsx");
        spec.write_to(&path)?;
        let outcome = write_serial(&path, SERIAL, &default_options())?;
        assert_eq!(
            outcome,
            SerialWriteOutcome::Written {
                previous: Some(placeholder.to_string())
            }
        );
        assert_eq!(serial_in(&path)?.as_deref(), Some(SERIAL));
    }
    Ok(())
}

#[test]
fn other_content_is_refused_unless_forced() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = copy_template(dir.path())?;
    let original = std::fs::read(&path)?;

    // The design's 文档描述!C18 is the version table's header in the template.
    let options = SerialWriteOptions {
        cell: "文档描述!C18".into(),
        force: false,
    };
    match write_serial(&path, SERIAL, &options) {
        Err(error @ SerialWriteError::Occupied { .. }) => {
            let message = error.to_string();
            assert!(message.contains("文档描述!C18"), "{message}");
            // Printed by `plan set-serial` and `run` alike: no flag of either.
            assert!(!message.contains("--"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(std::fs::read(&path)?, original, "untouched after a refusal");

    // A password is other content too, and the refusal must not quote it.
    let options = SerialWriteOptions {
        cell: "主机规划!M19".into(),
        force: false,
    };
    match write_serial(&path, SERIAL, &options) {
        Err(error @ SerialWriteError::Occupied { .. }) => {
            assert!(!error.to_string().contains("HC!r0cks"), "{error}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    // A formula (主机规划!C3 = 虚拟网络!B3) is refused.
    let options = SerialWriteOptions {
        cell: "主机规划!C3".into(),
        force: false,
    };
    assert!(matches!(
        write_serial(&path, SERIAL, &options),
        Err(SerialWriteError::Occupied { .. })
    ));

    let forced = SerialWriteOptions {
        cell: "文档描述!C18".into(),
        force: true,
    };
    let outcome = write_serial(&path, SERIAL, &forced)?;
    assert_eq!(
        outcome,
        SerialWriteOutcome::Written {
            previous: Some("版本".to_string())
        }
    );
    Ok(())
}

#[test]
fn missing_cells_and_rows_are_created_in_order() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("fixture.xlsx");
    // rust_xlsxwriter writes no element for the empty E19, shared strings
    // for text: the other shape of workbook.
    WorkbookSpec::example(3).write_to(&path)?;
    write_serial(&path, SERIAL, &default_options())?;
    assert_eq!(serial_in(&path)?.as_deref(), Some(SERIAL));

    // A row that does not exist yet.
    let options = SerialWriteOptions {
        cell: "主机规划!C40".into(),
        force: false,
    };
    write_serial(&path, EARLIER, &options)?;
    let parsed = parse_workbook(&std::fs::read(&path)?, "fixture.xlsx")?;
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let sheet = read_entry(&path, "xl/worksheets/sheet3.xml")?;
    let row20 = sheet.find(r#"<row r="20""#).ok_or("row 20")?;
    let row40 = sheet.find(r#"<row r="40">"#).ok_or("row 40")?;
    assert!(row20 < row40, "rows stay in order");
    assert!(sheet.contains(&format!(
        r#"<row r="40"><c r="C40" t="inlineStr"><is><t>{EARLIER}</t></is></c></row>"#
    )));
    Ok(())
}

fn read_entry(path: &Path, name: &str) -> Result<String, Box<dyn std::error::Error>> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path)?)?;
    let mut text = String::new();
    archive.by_name(name)?.read_to_string(&mut text)?;
    Ok(text)
}

#[test]
fn bad_input_is_refused_and_the_file_untouched() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = copy_template(dir.path())?;
    let original = std::fs::read(&path)?;

    let bad_cell = SerialWriteOptions {
        cell: "E19".into(),
        force: false,
    };
    assert!(matches!(
        write_serial(&path, SERIAL, &bad_cell),
        Err(SerialWriteError::BadCell { .. })
    ));
    let no_sheet = SerialWriteOptions {
        cell: "Sheet1!A1".into(),
        force: false,
    };
    match write_serial(&path, SERIAL, &no_sheet) {
        Err(error @ SerialWriteError::SheetNotFound { .. }) => {
            assert!(
                error.to_string().contains("主机规划"),
                "lists the sheets: {error}"
            );
        }
        other => panic!("expected a missing sheet, got {other:?}"),
    }
    for serial in ["", "   ", "XXXX", "a\nb"] {
        assert!(
            matches!(
                write_serial(&path, serial, &default_options()),
                Err(SerialWriteError::InvalidSerial { .. })
            ),
            "{serial:?}"
        );
    }
    assert_eq!(std::fs::read(&path)?, original);

    let text = dir.path().join("notes.xlsx");
    std::fs::write(&text, "not a workbook")?;
    let error = write_serial(&text, SERIAL, &default_options())
        .err()
        .ok_or("a text file is refused")?;
    assert!(matches!(error, SerialWriteError::Unreadable { .. }));
    assert!(error.to_string().contains("notes.xlsx"), "{error}");
    assert_eq!(std::fs::read_to_string(&text)?, "not a workbook");

    let missing = dir.path().join("missing.xlsx");
    assert!(matches!(
        write_serial(&missing, SERIAL, &default_options()),
        Err(SerialWriteError::File {
            error: smtx_plan::WorkbookFileError::Missing,
            ..
        })
    ));
    Ok(())
}

#[test]
fn a_workbook_open_in_an_office_program_is_not_replaced() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = copy_template(dir.path())?;
    let original = std::fs::read(&path)?;
    let name = path
        .file_name()
        .ok_or("file name")?
        .to_string_lossy()
        .into_owned();
    let lock = dir.path().join(format!(".~lock.{name}#"));
    std::fs::write(&lock, "locked by someone")?;
    match write_serial(&path, SERIAL, &default_options()) {
        Err(error @ SerialWriteError::FileOpen { .. }) => {
            assert!(error.to_string().contains("close it first"), "{error}");
        }
        other => panic!("expected FileOpen, got {other:?}"),
    }
    assert_eq!(std::fs::read(&path)?, original);
    assert_no_temporary_files(dir.path(), 2)?;
    Ok(())
}

#[test]
fn keeps_the_workbooks_permissions() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = copy_template(dir.path())?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640))?;
    write_serial(&path, SERIAL, &default_options())?;
    let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    Ok(())
}

/// LibreOffice opens the result and shows the serial in E19. Fails (does not
/// skip) in CI when LibreOffice is missing; `.ci/run` installs it.
#[test]
fn libreoffice_reads_the_serial_back() -> TestResult {
    let Some(office) = ["libreoffice", "soffice"]
        .into_iter()
        .find(|program| which(program))
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but LibreOffice is not installed (.ci/run installs libreoffice-calc)"
        );
        eprintln!("note: LibreOffice not found; skipping the LibreOffice check locally");
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let template = copy_template(dir.path())?;
    let template_copy = dir.path().join("template.xlsx");
    std::fs::rename(&template, &template_copy)?;
    write_serial(&template_copy, SERIAL, &default_options())?;
    let fixture = dir.path().join("fixture.xlsx");
    WorkbookSpec::example(2)
        .with_cell("主机规划!E19", FixtureCell::text("XXXX-XXXX"))
        .write_to(&fixture)?;
    write_serial(&fixture, EARLIER, &default_options())?;

    let profile = dir.path().join("lo-profile");
    let out = dir.path().join("csv");
    let status = std::process::Command::new(office)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to"])
        // Export every sheet, UTF-8 (76), one csv per sheet (-1).
        .arg("csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1")
        .arg("--outdir")
        .arg(&out)
        .arg(&template_copy)
        .arg(&fixture)
        .output()?;
    assert!(status.status.success(), "LibreOffice failed: {status:?}");
    for (name, serial) in [("template", SERIAL), ("fixture", EARLIER)] {
        let csv = std::fs::read_to_string(out.join(format!("{name}-主机规划.csv")))?;
        let row19 = csv.lines().nth(18).ok_or("row 19")?;
        let cells: Vec<&str> = row19.split(',').collect();
        assert_eq!(cells.get(3), Some(&"Cluster SN"), "{row19}");
        assert_eq!(cells.get(4), Some(&serial), "{row19}");
    }
    Ok(())
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
