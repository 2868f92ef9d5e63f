//! The cell map lives in `layout.rs` only (issue 10 item 5): no source file
//! of the workspace spells a `sheet!cell` of the template, and the reader
//! and the fixture builder spell no cell or column of their own. Tests and
//! comments may.

use std::path::{Path, PathBuf};

const SHEETS: [&str; 4] = ["主机规划", "虚拟网络", "集群管理信息", "文档描述"];

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crates/")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The code lines of a source file: before its test module, comments out.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).expect("source readable");
    text.lines()
        .enumerate()
        .take_while(|(_, line)| !line.trim_start().starts_with("#[cfg(test)]"))
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .map(|(number, line)| (number + 1, line.to_string()))
        .collect()
}

/// Every `src/**.rs` of the workspace's crates but `layout.rs` and test
/// modules in files of their own (`tests.rs`, or a `tests/` directory).
fn sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(crates_dir()).expect("crates/").flatten() {
        rust_files(&entry.path().join("src"), &mut files);
    }
    files.retain(|path| {
        !path.ends_with("plan/src/layout.rs")
            && path.file_name().is_none_or(|name| name != "tests.rs")
            && !path
                .strip_prefix(crates_dir())
                .unwrap_or(path)
                .components()
                .any(|part| part.as_os_str() == "tests")
    });
    assert!(files.len() > 50, "found the sources: {files:?}");
    files
}

/// `主机规划!E19`: a sheet name, `!`, a column letter.
fn spells_a_location(line: &str) -> bool {
    SHEETS.iter().any(|sheet| {
        line.match_indices(&format!("{sheet}!")).any(|(at, found)| {
            line[at + found.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_uppercase())
        })
    })
}

#[test]
fn no_source_outside_layout_spells_a_workbook_location() {
    let mut found = Vec::new();
    for path in sources() {
        for (number, line) in code_lines(&path) {
            if spells_a_location(&line) {
                found.push(format!("{}:{number}: {}", path.display(), line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "spelled outside layout.rs:\n{}",
        found.join("\n")
    );
}

/// `"E19"`, `"H"` as a column, `format!("H{row}")`: what the reader and the
/// fixture builder wrote before every cell came from `layout`.
fn spells_a_cell(line: &str) -> bool {
    let bytes = line.as_bytes();
    let mut quoted = line.split('"').skip(1).step_by(2);
    let literal = quoted.any(|text| {
        let letters = text.bytes().take_while(u8::is_ascii_uppercase).count();
        let rest = &text[letters..];
        (1..=2).contains(&letters)
            && (rest.is_empty()
                || rest.bytes().all(|b| b.is_ascii_digit())
                || rest.starts_with('{'))
    });
    let char_column = bytes
        .windows(3)
        .any(|w| w[0] == b'\'' && w[1].is_ascii_uppercase() && w[2] == b'\'');
    literal || char_column
}

#[test]
fn the_reader_and_the_fixture_spell_no_cell() {
    let plan = crates_dir().join("plan/src");
    let mut files = vec![
        plan.join("fixture.rs"),
        plan.join("report.rs"),
        plan.join("model.rs"),
    ];
    rust_files(&plan.join("read"), &mut files);
    let mut found = Vec::new();
    for path in files {
        for (number, line) in code_lines(&path) {
            if spells_a_cell(&line) {
                found.push(format!("{}:{number}: {}", path.display(), line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "cells spelled outside layout.rs:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scans_find_what_they_look_for() {
    assert!(spells_a_location(r#"cells: "主机规划!E".to_string(),"#));
    assert!(spells_a_location(
        r#""fix 虚拟网络!J8 (business VDS NICs)""#
    ));
    assert!(!spells_a_location(r#"format!("{sheet}!{cell}")"#));
    assert!(spells_a_cell(r#"self.text(sheet, &format!("H{row}"))"#));
    assert!(spells_a_cell(r#"let stray = ["E", "N"]"#));
    assert!(spells_a_cell(r#"cells.text(sheet, "B15", "客户名称：");"#));
    assert!(!spells_a_cell(
        r#"self.error(sheet, &cell, "VLAN ID", problem)"#
    ));
    assert!(!spells_a_cell(r#"layout::cell(columns::HOSTNAME, row)"#));
}
