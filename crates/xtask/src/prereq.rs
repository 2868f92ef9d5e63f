//! What `dist` and `smoke` need on the machine, looked for before anything
//! is built: each missing piece is one line naming the package that brings
//! it, so one read of the output is enough to install them all.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::target::{Recipe, Target};

/// The rustc the cross targets are built with: Debian's `rustc-web`, whose
/// std source (`rust-web-src`) `-Zbuild-std` compiles for each target.
/// `XTASK_CROSS_RUSTC` names another.
pub fn cross_rustc() -> PathBuf {
    std::env::var_os("XTASK_CROSS_RUSTC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/rustc"))
}

/// The MinGW-w64 gcc that links the Windows build and the wine stand-in.
pub const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";
/// The emulator the aarch64 binary runs under.
pub const QEMU_AARCH64: &str = "qemu-aarch64-static";

/// One missing piece and how to get it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Missing {
    /// What is missing and what for.
    pub what: String,
    /// The command that installs it.
    pub install: String,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "missing: {} — {}", self.what, self.install)
    }
}

fn missing(what: impl Into<String>, install: impl Into<String>) -> Missing {
    Missing {
        what: what.into(),
        install: install.into(),
    }
}

/// What building `targets` needs and the machine lacks. `host_rustc` is
/// the workspace's own rustc version (`1.95.0`): the cross rustc must not
/// be older, or code the tests passed with may not compile.
pub fn for_dist(targets: &[Target], host_rustc: &str) -> Vec<Missing> {
    let mut found = BTreeSet::new();
    let cross: Vec<&Target> = targets
        .iter()
        .filter(|target| target.recipe != Recipe::Host)
        .collect();
    if !cross.is_empty() {
        found.extend(cross_toolchain(host_rustc));
    }
    if cross.iter().any(|target| target.recipe == Recipe::Mingw) && !on_path(MINGW_GCC) {
        found.insert(missing(
            format!("{MINGW_GCC} (links the Windows build)"),
            "apt-get install gcc-mingw-w64-x86-64",
        ));
    }
    if cross.iter().any(|target| target.recipe == Recipe::ZigMusl) {
        if !on_path("cargo-zigbuild") {
            found.insert(missing(
                "cargo-zigbuild (links the static musl builds with zig)",
                "pip install cargo-zigbuild (it brings ziglang)",
            ));
        }
        if !has_zig() {
            found.insert(missing(
                "zig (cargo-zigbuild's linker and musl)",
                "pip install ziglang",
            ));
        }
    }
    found.into_iter().collect()
}

/// What running `targets`' binaries needs: wine and the MinGW gcc that
/// builds its stand-in DLL for Windows, qemu for a foreign architecture,
/// `file` for the static check.
pub fn for_smoke(targets: &[Target]) -> Vec<Missing> {
    let mut found = BTreeSet::new();
    if targets.iter().any(Target::is_windows) {
        if wine().is_none() {
            found.insert(missing(
                "wine64 (runs the Windows build)",
                "apt-get install wine64",
            ));
        }
        if !on_path(MINGW_GCC) {
            found.insert(missing(
                format!("{MINGW_GCC} (builds wine's stand-in bcryptprimitives.dll)"),
                "apt-get install gcc-mingw-w64-x86-64",
            ));
        }
    }
    if targets.iter().any(|target| needs_qemu(&target.triple)) && !on_path(QEMU_AARCH64) {
        found.insert(missing(
            format!("{QEMU_AARCH64} (runs the aarch64 build)"),
            "apt-get install qemu-user-static",
        ));
    }
    if targets.iter().any(|target| !target.is_windows()) && !on_path("file") {
        found.insert(missing(
            "file (tells whether a binary is static)",
            "apt-get install file",
        ));
    }
    found.into_iter().collect()
}

/// Whether a Linux binary for `triple` needs qemu on this machine.
pub fn needs_qemu(triple: &str) -> bool {
    let arch = triple.split('-').next().unwrap_or_default();
    triple.contains("-linux-") && arch != std::env::consts::ARCH
}

/// Wine's 64-bit loader: Debian's `wine64` package puts it in
/// `/usr/lib/wine` and leaves `/usr/bin/wine` to the `wine` package.
pub fn wine() -> Option<PathBuf> {
    ["wine64", "wine"]
        .into_iter()
        .find_map(find_on_path)
        .or_else(|| {
            let debian = PathBuf::from("/usr/lib/wine/wine64");
            debian.is_file().then_some(debian)
        })
}

/// Debian's rustc-web, new enough, and its std source.
fn cross_toolchain(host_rustc: &str) -> Vec<Missing> {
    let rustc = cross_rustc();
    let install_rustc = "apt-get install rustc-web (Debian 12: from bookworm-security)";
    let Some(version) = rustc_version(&rustc) else {
        return vec![
            missing(
                format!("{} (builds the cross targets)", rustc.display()),
                install_rustc,
            ),
            missing(
                "the Rust standard library's source (-Zbuild-std compiles it per target)",
                "apt-get install rust-web-src",
            ),
        ];
    };
    let mut found = Vec::new();
    if version_key(&version) < version_key(host_rustc) {
        found.push(missing(
            format!(
                "{} is rustc {version}, older than the workspace's {host_rustc}",
                rustc.display()
            ),
            install_rustc,
        ));
    }
    let source = sysroot(&rustc)
        .map(|sysroot| sysroot.join("lib/rustlib/src/rust/library/Cargo.lock"))
        .filter(|lock| lock.is_file());
    if source.is_none() {
        found.push(missing(
            format!(
                "the source of {}'s standard library (-Zbuild-std compiles it per target)",
                rustc.display()
            ),
            "apt-get install rust-web-src",
        ));
    }
    found
}

/// `1.96.0` from `rustc 1.96.0 (ac68faa20 2026-05-25)`.
pub fn rustc_version(rustc: &Path) -> Option<String> {
    let output = Command::new(rustc).arg("-V").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    parse_rustc_version(&text)
}

fn parse_rustc_version(text: &str) -> Option<String> {
    let version = text.strip_prefix("rustc ")?.split_whitespace().next()?;
    Some(version.to_owned())
}

/// `1.96.0-nightly` → `[1, 96, 0]`, for comparing.
fn version_key(version: &str) -> Vec<u32> {
    version
        .split(['.', '-'])
        .take(3)
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

fn sysroot(rustc: &Path) -> Option<PathBuf> {
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    Some(PathBuf::from(text.trim()))
}

/// zig on the PATH, or the one PyPI's `ziglang` carries (which
/// cargo-zigbuild finds through `python3 -m ziglang`).
fn has_zig() -> bool {
    on_path("zig")
        || Command::new("python3")
            .args(["-m", "ziglang", "version"])
            .output()
            .is_ok_and(|output| output.status.success())
}

pub fn on_path(program: &str) -> bool {
    find_on_path(program).is_some()
}

pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_orders_rustc_versions() {
        assert_eq!(
            parse_rustc_version(
                "rustc 1.96.0 (ac68faa20 2026-05-25) (built from a source tarball)\n"
            )
            .as_deref(),
            Some("1.96.0")
        );
        assert_eq!(parse_rustc_version("cargo 1.95.0"), None);
        assert!(version_key("1.96.0") > version_key("1.95.0"));
        assert!(version_key("1.85.0") < version_key("1.95.0"));
        assert!(version_key("1.100.0") > version_key("1.96.1"));
        assert_eq!(version_key("1.97.0-nightly"), version_key("1.97.0"));
    }

    #[test]
    fn a_missing_piece_is_one_line_naming_its_package() {
        let line = missing(
            "x86_64-w64-mingw32-gcc (links the Windows build)",
            "apt-get install gcc-mingw-w64-x86-64",
        )
        .to_string();
        assert_eq!(
            line,
            "missing: x86_64-w64-mingw32-gcc (links the Windows build) — apt-get install gcc-mingw-w64-x86-64"
        );
        assert!(!line.contains('\n'));
    }

    #[test]
    fn only_a_foreign_linux_binary_needs_qemu() {
        let foreign = if std::env::consts::ARCH == "aarch64" {
            "x86_64-unknown-linux-musl"
        } else {
            "aarch64-unknown-linux-musl"
        };
        assert!(needs_qemu(foreign));
        assert!(!needs_qemu(&format!(
            "{}-unknown-linux-musl",
            std::env::consts::ARCH
        )));
        assert!(!needs_qemu("x86_64-pc-windows-gnu"));
    }

    #[test]
    fn the_host_alone_needs_nothing_of_the_cross_toolchain() {
        let host = Target {
            triple: "x86_64-unknown-linux-gnu".to_owned(),
            recipe: Recipe::Host,
        };
        assert_eq!(for_dist(&[host], "1.95.0"), Vec::new());
    }
}
