//! What a run was started with, as its run directory keeps it
//! (`launch.json`, written by [`crate::launch::prepare`] once the directory
//! is held): the workbook, the stages, the kind of run and the front end's
//! own record of its settings sources. A resume is built from it, never
//! from a command line: `run --from DIR` alone starts the same run again
//! from where it stopped, whatever order the flags stood in the first time.
//!
//! Never a secret: a front end records where its secrets come from (a
//! variable, a settings file), not their values.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{EngineError, Stage};

/// The file in a run directory.
pub const LAUNCH_FILE: &str = "launch.json";

/// The shape of `launch.json`; a newer one is refused rather than misread.
const VERSION: u32 = 1;

/// Who started a run, and what that front end needs to start it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "front_end", rename_all = "snake_case")]
pub enum LaunchedBy {
    /// `smtx-deploy run` (alone or as a fleet member): its settings sources
    /// as the CLI records them (its own type; the engine keeps it as is).
    Cli {
        /// The language it was asked to speak (`--lang`), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lang: Option<String>,
        #[serde(default)]
        settings: serde_json::Value,
    },
    /// `smtx-deploy demo`: its simulator ended with it, so it can only
    /// start again.
    Demo,
    /// The web console (its own history holds the rest).
    Console,
}

/// `launch.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchRecord {
    pub version: u32,
    /// The workbook the run read, absolute (a resume may start elsewhere).
    pub workbook: PathBuf,
    pub stages: Vec<String>,
    pub rehearsal: bool,
    pub dry_run: bool,
    #[serde(flatten)]
    pub front_end: LaunchedBy,
}

impl LaunchRecord {
    pub fn new(
        workbook: &Path,
        stages: &[Stage],
        rehearsal: bool,
        dry_run: bool,
        front_end: LaunchedBy,
    ) -> Self {
        Self {
            version: VERSION,
            workbook: std::path::absolute(workbook).unwrap_or_else(|_| workbook.to_path_buf()),
            stages: stages
                .iter()
                .map(|stage| stage.name().to_string())
                .collect(),
            rehearsal,
            dry_run,
            front_end,
        }
    }

    /// The stages, as they were asked for.
    pub fn stages(&self) -> Result<Vec<Stage>, EngineError> {
        self.stages.iter().map(|stage| stage.parse()).collect()
    }

    /// The record in `run_dir`; `Ok(None)` when it has none (a run of an
    /// earlier version, or one refused before it held its directory).
    pub fn load(run_dir: &Path) -> Result<Option<Self>, EngineError> {
        let path = run_dir.join(LAUNCH_FILE);
        let bytes = match read_bounded(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(EngineError::Io {
                    path,
                    reason: error.to_string(),
                });
            }
        };
        let record: Self =
            serde_json::from_slice(&bytes).map_err(|error| EngineError::NotALaunchRecord {
                path: path.clone(),
                reason: error.to_string(),
            })?;
        if record.version > VERSION {
            return Err(EngineError::NotALaunchRecord {
                path,
                reason: format!(
                    "written by a newer smtx-deploy (version {} of this file)",
                    record.version
                ),
            });
        }
        Ok(Some(record))
    }

    pub(crate) fn save(&self, run_dir: &Path) -> Result<(), EngineError> {
        let text = serde_json::to_string_pretty(self).map_err(|error| EngineError::Io {
            path: run_dir.join(LAUNCH_FILE),
            reason: error.to_string(),
        })?;
        crate::context::write_atomic(&run_dir.join(LAUNCH_FILE), text.as_bytes())
    }
}

/// A record is a few hundred bytes; anything near this is not one.
const MAX_BYTES: u64 = 1024 * 1024;

fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_BYTES)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 >= MAX_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "too large for a launch record",
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_it_was_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let record = LaunchRecord::new(
            Path::new("规划 设计表.xlsx"),
            &[Stage::Prepare, Stage::ConfigCluster],
            true,
            false,
            LaunchedBy::Cli {
                lang: Some("zh-CN".into()),
                settings: serde_json::json!({ "config": "/site/sim.toml" }),
            },
        );
        assert!(record.workbook.is_absolute());
        record.save(dir.path()).expect("saves");
        let loaded = LaunchRecord::load(dir.path())
            .expect("reads")
            .expect("is there");
        assert_eq!(loaded, record);
        assert_eq!(
            loaded.stages().expect("known stages"),
            [Stage::Prepare, Stage::ConfigCluster]
        );
    }

    #[test]
    fn no_record_is_none_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(LaunchRecord::load(dir.path()).expect("reads"), None);
        std::fs::write(
            dir.path().join(LAUNCH_FILE),
            r#"{"version": 9, "workbook": "/w.xlsx", "stages": [], "rehearsal": false,
                "dry_run": false, "front_end": "console"}"#,
        )
        .expect("writes");
        let error = LaunchRecord::load(dir.path()).expect_err("newer");
        assert!(error.to_string().contains("newer"), "{error}");
    }
}
