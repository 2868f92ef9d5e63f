//! Stamps the binary for `smtx-deploy --version`: the git revision it was
//! built from and the target it was built for.
//!
//! The revision is `SMTX_GIT_REVISION` when set (a build from a source
//! tarball that knows its commit), else what `git rev-parse` says of the
//! checkout, else `unknown` (no git, or not a checkout): a build never fails
//! for want of git.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-env-changed=SMTX_GIT_REVISION");
    let revision = match std::env::var("SMTX_GIT_REVISION") {
        Ok(revision) if !revision.trim().is_empty() => revision.trim().to_owned(),
        _ => git_revision().unwrap_or_else(|| "unknown".to_owned()),
    };
    println!("cargo::rustc-env=SMTX_GIT_REVISION={revision}");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo::rustc-env=SMTX_TARGET={target}");
}

/// The checkout's `HEAD` as a 12-digit hash, and a rerun whenever `HEAD`
/// moves (a commit, a checkout) — not on every edit, which would rebuild the
/// binary on each `git status`.
fn git_revision() -> Option<String> {
    let revision = git(&["rev-parse", "--short=12", "HEAD"])?;
    // `logs/HEAD` grows on every commit and checkout, even where the branch
    // itself lives in `packed-refs`.
    for file in ["HEAD", "logs/HEAD", "packed-refs"] {
        rerun_if_changed(git(&["rev-parse", "--git-path", file]));
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        rerun_if_changed(git(&["rev-parse", "--git-path", &branch]));
    }
    Some(revision)
}

fn rerun_if_changed(path: Option<String>) {
    if let Some(path) = path {
        // A path that does not exist would rerun the script on every build.
        if let Ok(path) = std::fs::canonicalize(PathBuf::from(path)) {
            println!("cargo::rerun-if-changed={}", path.display());
        }
    }
}

/// What git prints, trimmed; `None` when git is missing or fails.
fn git(args: &[&str]) -> Option<String> {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let output = Command::new("git")
        .args(args)
        .current_dir(manifest_dir)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}
