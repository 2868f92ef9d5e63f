//! stdout's reader going away (issue 9): `smtx-deploy … --json | head -1`
//! and the like end quietly with exit 0 or 141, never a panic, whether the
//! pipe is closed before the first byte or after the first line.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::run::binary;

/// When the test closes its end of stdout.
#[derive(Debug, Clone, Copy)]
enum Close {
    BeforeAnything,
    AfterOneLine,
}

/// Runs the binary with `args`, closes stdout as `close` says, and checks
/// how it ended; answers the exit code.
fn run_into_closed_pipe(args: &[String], close: Close) -> i32 {
    let mut child = binary()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout piped");
    match close {
        Close::BeforeAnything => drop(stdout),
        Close::AfterOneLine => {
            let mut first = String::new();
            BufReader::new(stdout)
                .read_line(&mut first)
                .expect("one line");
            assert!(!first.is_empty(), "{args:?}: a first line");
        }
    }
    let output = child.wait_with_output().expect("waits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{args:?} {close:?}: {stderr}");
    assert!(
        !stderr.contains("Broken pipe"),
        "{args:?} {close:?}: {stderr}"
    );
    let code = output.status.code();
    assert!(
        matches!(code, Some(0) | Some(141)),
        "{args:?} {close:?}: exit {:?}: {stderr}",
        output.status
    );
    code.unwrap_or_default()
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let (dir, workbook) = smtx_testkit::fixture_workbook(3);
    let workbook = workbook.display().to_string();
    let run_dir = |name: &str| dir.path().join(name).display().to_string();
    let commands: Vec<Vec<String>> = vec![
        vec![
            "plan".into(),
            "check".into(),
            "--json".into(),
            workbook.clone(),
        ],
        vec!["plan".into(), "check".into(), workbook.clone()],
        // A dry run sends nothing, so its address needs no server.
        vec![
            "run".into(),
            "--plan".into(),
            workbook.clone(),
            "--dry-run".into(),
            "--json".into(),
            "--run-dir".into(),
            run_dir("json"),
        ],
        vec![
            "run".into(),
            "--plan".into(),
            workbook.clone(),
            "--dry-run".into(),
            "--run-dir".into(),
            run_dir("table"),
        ],
    ];
    for args in &commands {
        // Nobody reads a byte: the first write fails, the exit is 141.
        assert_eq!(
            run_into_closed_pipe(args, Close::BeforeAnything),
            141,
            "{args:?}"
        );
        // `| head -1`: whatever was still to come is dropped quietly.
        run_into_closed_pipe(args, Close::AfterOneLine);
    }
}
