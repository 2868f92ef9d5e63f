//! Building `smtx-deploy` for one target with the `dist` profile: the
//! workspace's toolchain for the host; for the cross targets Debian's rustc
//! with std compiled from source (`-Zbuild-std`, `RUSTC_BOOTSTRAP=1`, as no
//! prebuilt std for them can be downloaded here), linked by MinGW-w64 or by
//! zig.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::prereq;
use crate::target::{Recipe, Target};

/// The Cargo profile of the binaries `dist` ships (root `Cargo.toml`);
/// `--profile` picks another (CI's quicker `ci-cross`).
pub const PROFILE: &str = "dist";

/// The shipped binaries' std: aborting on panic, as the profiles say.
const BUILD_STD: &str = "-Zbuild-std=std,panic_abort";

/// A binary built, and how long the build took.
#[derive(Debug)]
pub struct Built {
    pub binary: PathBuf,
    pub took: Duration,
}

/// The cross targets' own target directory: another compiler than the
/// workspace's, so its artifacts are kept apart from `target/dist`.
pub fn cross_target_dir(root: &Path) -> PathBuf {
    root.join("target").join("cross")
}

/// Where the build of `target` leaves its binary.
pub fn binary_path(root: &Path, target: &Target, profile: &str) -> PathBuf {
    match target.recipe {
        Recipe::Host => root.join("target").join(profile),
        Recipe::Mingw | Recipe::ZigMusl => {
            cross_target_dir(root).join(&target.triple).join(profile)
        }
    }
    .join(target.binary_name())
}

/// Builds `smtx-deploy` for `target`, Cargo's output going to the terminal.
pub fn build(root: &Path, target: &Target, profile: &str) -> anyhow::Result<Built> {
    let mut command = command(root, target, profile);
    let started = Instant::now();
    let status = command
        .status()
        .with_context(|| format!("cannot start {:?}", command.get_program()))?;
    if !status.success() {
        bail!("the build for {target} failed ({status})");
    }
    let binary = binary_path(root, target, profile);
    if !binary.is_file() {
        bail!(
            "the build for {target} succeeded but left no {}",
            binary.display()
        );
    }
    Ok(Built {
        binary,
        took: started.elapsed(),
    })
}

/// The command that builds `target`.
pub fn command(root: &Path, target: &Target, profile: &str) -> Command {
    let common = [
        "--locked",
        "--profile",
        profile,
        "--package",
        "smtx-cli",
        "--bin",
        "smtx-deploy",
    ];
    let mut command = match target.recipe {
        Recipe::Host => {
            let mut command = Command::new(cargo());
            command
                .arg("build")
                .args(common)
                .env("CARGO_TARGET_DIR", root.join("target"));
            command
        }
        Recipe::Mingw => {
            let mut command = cross(root, cargo(), "build", target, BUILD_STD);
            command.arg("--config").arg(format!(
                "target.{}.linker = \"{}\"",
                target.triple,
                prereq::MINGW_GCC
            ));
            command.args(common);
            command
        }
        Recipe::ZigMusl => {
            let mut command = cross(root, "cargo-zigbuild".into(), "zigbuild", target, BUILD_STD);
            // zig brings musl's crt objects and libc; rustc's own
            // ("self-contained") ones come with a prebuilt std only.
            command.arg("--config").arg(format!(
                "target.{}.rustflags = [\"-Clink-self-contained=no\"]",
                target.triple
            ));
            command.args(common);
            command
        }
    };
    command.current_dir(root);
    command
}

/// The unit tests of `package` for `target` (MinGW-w64 only), built and not
/// run, Cargo's messages as JSON on stdout (they name the test executable).
/// std is built with unwinding here: the test harness catches a failed
/// test's panic.
pub fn test_command(root: &Path, target: &Target, package: &str) -> Command {
    let mut command = cross(
        root,
        cargo(),
        "test",
        target,
        "-Zbuild-std=std,panic_unwind",
    );
    command.arg("--config").arg(format!(
        "target.{}.linker = \"{}\"",
        target.triple,
        prereq::MINGW_GCC
    ));
    command
        .args(["--locked", "--package", package, "--lib", "--no-run"])
        .args(["--message-format", "json-render-diagnostics"])
        .current_dir(root);
    command
}

/// `program subcommand --target T -Zbuild-std=…` with Debian's rustc.
fn cross(root: &Path, program: PathBuf, subcommand: &str, target: &Target, std: &str) -> Command {
    let mut command = Command::new(program);
    command
        .arg(subcommand)
        .args(["--target", &target.triple])
        .arg(std)
        .env("RUSTC", prereq::cross_rustc())
        // `-Zbuild-std` and compiling std itself are unstable: Debian's
        // stable rustc allows them with this.
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", cross_target_dir(root))
        // The flags a target needs are in `--config`; RUSTFLAGS from the
        // environment would silently replace them.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    command
}

/// The cargo that runs xtask (Cargo sets `CARGO`), else the PATH's.
fn cargo() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(command: &Command) -> Vec<String> {
        command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn the_windows_build_uses_debian_rustc_std_from_source_and_mingw() {
        let root = Path::new("/src");
        let target = Target {
            triple: "x86_64-pc-windows-gnu".to_owned(),
            recipe: Recipe::Mingw,
        };
        let command = command(root, &target, PROFILE);
        let args = args(&command);
        assert!(args.contains(&"-Zbuild-std=std,panic_abort".to_owned()));
        assert!(args.contains(
            &"target.x86_64-pc-windows-gnu.linker = \"x86_64-w64-mingw32-gcc\"".to_owned()
        ));
        assert!(args.windows(2).any(|pair| pair == ["--profile", "dist"]));
        let env: Vec<(String, Option<String>)> = command
            .get_envs()
            .map(|(key, value)| {
                (
                    key.to_string_lossy().into_owned(),
                    value.map(|value| value.to_string_lossy().into_owned()),
                )
            })
            .collect();
        assert!(env.contains(&("RUSTC_BOOTSTRAP".to_owned(), Some("1".to_owned()))));
        assert!(env.contains(&("RUSTFLAGS".to_owned(), None)));
        assert_eq!(
            binary_path(root, &target, PROFILE),
            Path::new("/src/target/cross/x86_64-pc-windows-gnu/dist/smtx-deploy.exe")
        );
    }

    #[test]
    fn the_musl_builds_go_through_zig_with_its_own_crt() {
        let target = Target {
            triple: "aarch64-unknown-linux-musl".to_owned(),
            recipe: Recipe::ZigMusl,
        };
        let command = command(Path::new("/src"), &target, PROFILE);
        assert_eq!(command.get_program(), "cargo-zigbuild");
        let args = args(&command);
        assert_eq!(args.first().map(String::as_str), Some("zigbuild"));
        assert!(
            args.contains(
                &"target.aarch64-unknown-linux-musl.rustflags = [\"-Clink-self-contained=no\"]"
                    .to_owned()
            )
        );
    }

    #[test]
    fn the_host_build_is_the_workspace_toolchain_without_target() {
        let target = Target {
            triple: "x86_64-unknown-linux-gnu".to_owned(),
            recipe: Recipe::Host,
        };
        let command = command(Path::new("/src"), &target, PROFILE);
        let args = args(&command);
        assert!(
            !args
                .iter()
                .any(|arg| arg.starts_with("-Z") || arg == "--target")
        );
        assert_eq!(
            binary_path(Path::new("/src"), &target, PROFILE),
            Path::new("/src/target/dist/smtx-deploy")
        );
    }
}
