//! The run context: `config` (settings, redacted) and `extra` (one key per
//! stage's output), persisted as `context.json` after every stage so that a
//! later run can start from it (`--from RUN_DIR`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::EngineError;

pub const CONTEXT_FILE: &str = "context.json";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunContext {
    /// Resolved settings, secrets redacted.
    #[serde(default)]
    pub config: Value,
    #[serde(default)]
    pub extra: Map<String, Value>,
}

impl RunContext {
    pub fn load(run_dir: &Path) -> Result<Self, EngineError> {
        let path = run_dir.join(CONTEXT_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| EngineError::Io {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| EngineError::Io {
            path,
            reason: format!("not a run context: {e}"),
        })
    }

    /// Write atomically: a crash mid-write leaves the previous context.
    pub fn save(&self, run_dir: &Path) -> Result<PathBuf, EngineError> {
        let path = run_dir.join(CONTEXT_FILE);
        let text = serde_json::to_string_pretty(self).map_err(|e| EngineError::Io {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }

    /// `extra.<stage>`, created as an object if missing.
    pub fn stage_mut(&mut self, stage: &str) -> &mut Map<String, Value> {
        let entry = self
            .extra
            .entry(stage.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        match entry {
            Value::Object(map) => map,
            _ => unreachable!("just made an object"),
        }
    }
}

/// Temp file, fsync, rename, directory fsync: a run killed at any instant
/// leaves the previous file whole.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EngineError> {
    smtx_api::write_atomic(path, bytes).map_err(|e| EngineError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
