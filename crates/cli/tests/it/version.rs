//! `--version`: what a delivery engineer reads back to say which build they
//! run — the version, the commit and the target (issue 16).

use std::process::Command;

#[test]
fn version_names_the_commit_and_the_target() -> Result<(), Box<dyn std::error::Error>> {
    let output = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
        .arg("--version")
        .output()?;
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout)?;
    let line = stdout.trim_end();
    let prefix = format!("smtx-deploy {} (git ", env!("CARGO_PKG_VERSION"));
    let rest = line
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(')'))
        .ok_or_else(|| format!("unexpected --version: {line:?}"))?;
    let (revision, target) = rest
        .split_once(", ")
        .ok_or_else(|| format!("no target in {line:?}"))?;
    // A checkout says its commit (12 hex digits), a build without git
    // `unknown`, one from a tarball what `SMTX_GIT_REVISION` said.
    assert!(
        !revision.is_empty() && !revision.contains(char::is_whitespace),
        "{line:?}"
    );
    assert!(target.starts_with(std::env::consts::ARCH), "{line:?}");
    assert!(target.contains(std::env::consts::OS), "{line:?}");
    Ok(())
}
