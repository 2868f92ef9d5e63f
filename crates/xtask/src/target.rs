//! The targets `dist` builds: their triples, how each is built (the recipe),
//! and what its archive and binary are called.

use std::fmt;

/// The cross targets of issue 16, built unless `--target` says otherwise
/// (with the host's own target).
pub const CROSS_TRIPLES: [&str; 3] = [
    WINDOWS_GNU,
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
];

const WINDOWS_GNU: &str = "x86_64-pc-windows-gnu";

/// How a target's binary is compiled and linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipe {
    /// The workspace's own toolchain, for the machine `dist` runs on.
    Host,
    /// Debian's rustc with std built from its source (`-Zbuild-std`), linked
    /// by MinGW-w64's gcc.
    Mingw,
    /// Debian's rustc with std built from its source, linked by zig
    /// (`cargo zigbuild`) against zig's musl: a static binary.
    ZigMusl,
}

/// One target of `dist`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub triple: String,
    pub recipe: Recipe,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.triple)
    }
}

/// How a release is packed for a platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    /// `.zip`: what Windows' Explorer and `Expand-Archive` open.
    Zip,
    /// `.tar.gz`: what `tar xzf` opens on any Linux node.
    TarGz,
}

impl Target {
    /// The target named `triple`, given the host's triple; `None` for a
    /// target `dist` has no recipe for.
    pub fn parse(triple: &str, host: &str) -> Option<Target> {
        let recipe = if triple == host {
            Recipe::Host
        } else if triple == WINDOWS_GNU {
            Recipe::Mingw
        } else if CROSS_TRIPLES.contains(&triple) {
            Recipe::ZigMusl
        } else {
            return None;
        };
        Some(Target {
            triple: triple.to_owned(),
            recipe,
        })
    }

    /// The three cross targets and the host, in that order.
    pub fn defaults(host: &str) -> Vec<Target> {
        let mut triples: Vec<&str> = CROSS_TRIPLES.to_vec();
        if !triples.contains(&host) {
            triples.push(host);
        }
        triples
            .into_iter()
            .filter_map(|triple| Target::parse(triple, host))
            .collect()
    }

    pub fn is_windows(&self) -> bool {
        self.triple.contains("-windows-")
    }

    /// `smtx-deploy.exe` or `smtx-deploy`.
    pub fn binary_name(&self) -> &'static str {
        if self.is_windows() {
            "smtx-deploy.exe"
        } else {
            "smtx-deploy"
        }
    }

    pub fn archive_kind(&self) -> ArchiveKind {
        if self.is_windows() {
            ArchiveKind::Zip
        } else {
            ArchiveKind::TarGz
        }
    }

    /// `smtx-deploy-<version>-<target>`: the archive's name without its
    /// extension, and the one directory inside it.
    pub fn stem(&self, version: &str) -> String {
        format!("smtx-deploy-{version}-{}", self.triple)
    }

    /// `smtx-deploy-<version>-<target>.zip` or `.tar.gz`.
    pub fn archive_name(&self, version: &str) -> String {
        let extension = match self.archive_kind() {
            ArchiveKind::Zip => "zip",
            ArchiveKind::TarGz => "tar.gz",
        };
        format!("{}.{extension}", self.stem(version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "x86_64-unknown-linux-gnu";

    #[test]
    fn defaults_are_the_three_cross_targets_and_the_host() {
        let triples: Vec<String> = Target::defaults(HOST)
            .into_iter()
            .map(|target| target.triple)
            .collect();
        assert_eq!(
            triples,
            [
                "x86_64-pc-windows-gnu",
                "x86_64-unknown-linux-musl",
                "aarch64-unknown-linux-musl",
                "x86_64-unknown-linux-gnu",
            ]
        );
    }

    #[test]
    fn each_target_has_its_recipe_and_archive() {
        let windows = Target::parse("x86_64-pc-windows-gnu", HOST);
        let windows = windows
            .as_ref()
            .map(|t| (t.recipe, t.archive_name("1.2.3")));
        assert_eq!(
            windows,
            Some((
                Recipe::Mingw,
                "smtx-deploy-1.2.3-x86_64-pc-windows-gnu.zip".to_owned()
            ))
        );
        let arm = Target::parse("aarch64-unknown-linux-musl", HOST);
        let arm = arm.as_ref().map(|t| (t.recipe, t.archive_name("1.2.3")));
        assert_eq!(
            arm,
            Some((
                Recipe::ZigMusl,
                "smtx-deploy-1.2.3-aarch64-unknown-linux-musl.tar.gz".to_owned()
            ))
        );
        assert_eq!(
            Target::parse(HOST, HOST).map(|t| t.recipe),
            Some(Recipe::Host)
        );
        assert_eq!(Target::parse("x86_64-apple-darwin", HOST), None);
    }
}
