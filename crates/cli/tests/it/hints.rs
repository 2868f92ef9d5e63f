//! Every `--flag` a message names is a flag of the command that prints it:
//! the string literals of the code behind each command are scanned for
//! flags, and each one is handed to the real argument parser of that
//! command. A hint naming `plan set-serial`'s `--force` inside `run`, or a
//! misspelt `--accept-changed-host-key`, fails here.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where messages come from, and which command prints them unless the
/// message itself names another (`smtx-deploy plan set-serial …`).
const SOURCES: &[(&str, &[&str])] = &[
    ("crates/engine/src", &["run"]),
    ("crates/api/src", &["run"]),
    ("crates/plan/src/read", &["run"]),
    ("crates/plan/src/messages.rs", &["run"]),
    ("crates/plan/src/limits.rs", &["run"]),
    ("crates/plan/src/report.rs", &["plan", "check"]),
    // Its errors reach both `plan set-serial` and `run`'s serial step.
    ("crates/plan/src/serial.rs", &["plan", "set-serial"]),
    ("crates/plan/src/serial.rs", &["run"]),
    ("crates/cli/src/i18n.rs", &["run"]),
    ("crates/cli/src/i18n/plan.rs", &["plan", "set-serial"]),
    ("crates/cli/src/i18n/sim.rs", &["sim"]),
    ("crates/cli/src/i18n/serve.rs", &["serve"]),
    ("crates/cli/src/output.rs", &["run"]),
    ("crates/cli/src/settings", &["run"]),
    ("crates/cli/src/main.rs", &["run"]),
    ("crates/cli/src/commands/run.rs", &["run"]),
    // `plan check` prints no hint with a flag; `plan set-serial` does.
    ("crates/cli/src/commands/plan.rs", &["plan", "set-serial"]),
    ("crates/cli/src/commands/sim.rs", &["sim"]),
    ("crates/cli/src/commands/demo.rs", &["demo"]),
    ("crates/cli/src/commands/check.rs", &["check"]),
    // Fleet lines are printed by `run --plans` and `check --plans` alike.
    ("crates/cli/src/commands/fleet", &["run"]),
    ("crates/cli/src/commands/fleet", &["check"]),
    ("crates/cli/src/commands/sim_fleet.rs", &["sim"]),
];

/// Commands a message can name explicitly, longest first.
const COMMANDS: &[&[&str]] = &[
    &["plan", "set-serial"],
    &["plan", "check"],
    &["run"],
    &["sim"],
    &["demo"],
    &["check"],
    &["serve"],
    &["report"],
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).expect("source directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The string literals of Rust source (plain and raw), comments skipped,
/// stopping at the first `#[cfg(test)]` (test strings are not messages).
fn string_literals(source: &str) -> Vec<String> {
    let source = source.split("#[cfg(test)]").next().unwrap_or_default();
    let chars: Vec<char> = source.chars().collect();
    let mut literals = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            // A char literal such as '"' or '\'' (not a lifetime).
            '\'' if chars.get(i + 2) == Some(&'\'') => i += 3,
            '\'' if chars.get(i + 1) == Some(&'\\') => {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            }
            'r' if matches!(chars.get(i + 1), Some('"' | '#'))
                && !chars
                    .get(i.wrapping_sub(1))
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_') =>
            {
                let mut hashes = 0;
                let mut j = i + 1;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) != Some(&'"') {
                    i += 1;
                    continue;
                }
                let closing: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                let rest: String = chars[j + 1..].iter().collect();
                let end = rest.find(&closing).unwrap_or(rest.len());
                literals.push(rest[..end].to_string());
                i = j + 1 + rest[..end].chars().count() + closing.chars().count();
            }
            '"' => {
                let mut literal = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    if let Some(c) = chars.get(i) {
                        literal.push(*c);
                    }
                    i += 1;
                }
                literals.push(literal);
                i += 1;
            }
            _ => i += 1,
        }
    }
    literals
}

/// `(command, flag)` for every `--flag` in `literal`: the command named
/// before it in the same message (`smtx-deploy plan set-serial …`), else
/// `default`.
fn flags_in(literal: &str, default: &[&str]) -> Vec<(Vec<String>, String)> {
    let mut found = Vec::new();
    let bytes = literal.as_bytes();
    let mut search = 0;
    while let Some(offset) = literal[search..].find("--") {
        let start = search + offset;
        search = start + 2;
        let standalone =
            start == 0 || !matches!(bytes[start - 1], b'-' | b'a'..=b'z' | b'0'..=b'9');
        if !standalone || !bytes.get(start + 2).is_some_and(u8::is_ascii_lowercase) {
            continue;
        }
        let end = literal[start + 2..]
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
            .map_or(literal.len(), |e| start + 2 + e);
        let flag = literal[start..end].trim_end_matches('-').to_string();
        let before = &literal[..start];
        // A command line of another program (`curl --cacert …`) names its flags.
        if before.rfind("curl ") > before.rfind("smtx-deploy ") {
            search = end;
            continue;
        }
        let command = before
            .rfind("smtx-deploy ")
            .map(|at| &before[at + "smtx-deploy ".len()..])
            .and_then(|named| {
                COMMANDS.iter().find(|command| {
                    let words = command.join(" ");
                    named.starts_with(&words)
                })
            })
            .copied()
            .unwrap_or(default);
        found.push((command.iter().map(ToString::to_string).collect(), flag));
        search = end;
    }
    found
}

/// True when the command's argument parser knows `flag`. `--help` after it
/// makes sure nothing is ever run: a known flag ends in help or in a parse
/// error about its value or another argument, an unknown one in
/// "unexpected argument".
fn parser_knows(command: &[String], flag: &str) -> Result<bool, String> {
    let output = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
        .args(command)
        .arg(flag)
        .arg("--help")
        .env_clear()
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| e.to_string())?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(!said.contains("unexpected argument") && !said.contains("unrecognized subcommand"))
}

#[test]
fn every_flag_a_message_names_is_accepted_by_its_command() {
    let mut checked = std::collections::BTreeSet::new();
    for (path, default) in SOURCES {
        for file in rust_files(&workspace_root().join(path)) {
            let source = std::fs::read_to_string(&file).expect("source readable");
            for literal in string_literals(&source) {
                for (command, flag) in flags_in(&literal, default) {
                    checked.insert((command, flag, file.clone(), literal.clone()));
                }
            }
        }
    }
    // The scan finds the hints it is meant to check.
    for known in ["--resolve", "--force-serial", "--from", "--vmtools-iso"] {
        assert!(
            checked.iter().any(|(_, flag, _, _)| flag == known),
            "the scan found no {known}: {checked:#?}"
        );
    }
    let mut refused = Vec::new();
    let mut asked = std::collections::BTreeSet::new();
    for (command, flag, file, literal) in &checked {
        if !asked.insert((command.clone(), flag.clone())) {
            continue;
        }
        match parser_knows(command, flag) {
            Ok(true) => {}
            Ok(false) => refused.push(format!(
                "`smtx-deploy {} {flag}` is refused, yet {} says {literal:?}",
                command.join(" "),
                file.display()
            )),
            Err(error) => panic!("cannot run the binary: {error}"),
        }
    }
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}

#[test]
fn the_scan_reads_literals_and_attributes_commands() {
    let source = r##"
        // "--not-a-message" in a comment
        let a = "hint: run again with --force-serial";
        let b = format!("then: smtx-deploy plan set-serial {} {serial} --force", path);
        let c = r#"raw "--resolve" text"#;
        let d = '"'; let e = "x --plan WORKBOOK";
        #[cfg(test)]
        let f = "--only-in-tests";
    "##;
    let literals = string_literals(source);
    let mut flags = Vec::new();
    for literal in &literals {
        flags.extend(flags_in(literal, &["run"]));
    }
    let pairs: Vec<(String, String)> = flags
        .into_iter()
        .map(|(command, flag)| (command.join(" "), flag))
        .collect();
    assert_eq!(
        pairs,
        [
            ("run".to_string(), "--force-serial".to_string()),
            ("plan set-serial".to_string(), "--force".to_string()),
            ("run".to_string(), "--resolve".to_string()),
            ("run".to_string(), "--plan".to_string()),
        ]
    );
    assert!(parser_knows(&["run".to_string()], "--force-serial").expect("runs"));
    assert!(!parser_knows(&["run".to_string()], "--force").expect("runs"));
    assert!(
        parser_knows(&["plan".to_string(), "set-serial".to_string()], "--force").expect("runs")
    );
}
