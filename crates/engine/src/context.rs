//! The run context: `config` (settings, redacted) and `extra`, one typed
//! record per stage's output, persisted as `context.json` after every step
//! so that a later run can start from it (`--from RUN_DIR`).
//!
//! The JSON keys are the design's (`extra.host_scan`,
//! `extra.deploy_verify`, `extra.prepare.workbook`,
//! `extra.config_cluster.{results,vds_uuid,svt_image,serial,status}`,
//! `extra.deploy_cloudtower.vmtools`). Keys this version does not know — a
//! later version's, another stage's — are kept in the `other` map beside
//! each record and written back as they came.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{EngineError, Stage, Step, StepResult, StepStatus};

pub const CONTEXT_FILE: &str = "context.json";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunContext {
    /// Resolved settings, secrets redacted.
    #[serde(default)]
    pub config: Value,
    #[serde(default)]
    pub extra: Extra,
    /// Top-level keys of another version, kept.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// What the stages left: one field per stage's output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepare: Option<PrepareRecord>,
    /// `prepare`'s scan of every host, by management IP, in workbook order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_scan: Option<HostScans>,
    /// `prepare`'s deployment check; `config_cluster` starts only when it
    /// says deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy_verify: Option<DeployVerifyRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_cluster: Option<ConfigClusterRecord>,
    /// Left for the CloudTower stage (the VMTools image record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy_cloudtower: Option<DeployCloudtowerRecord>,
    /// Other stages' outputs, kept as they came.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A step result as a file holds it: the step's wire form and English
/// text. Written from a [`StepResult`]; read back as it was written (a
/// context of another version may name steps this one does not know).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedStep {
    pub action: String,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(default)]
    pub elapsed_ms: u64,
}

impl RecordedStep {
    /// The step, when this version knows it.
    pub fn step(&self) -> Option<Step> {
        Step::parse(&self.action)
    }
}

impl From<&StepResult> for RecordedStep {
    fn from(result: &StepResult) -> Self {
        use smtx_i18n::Localize as _;
        Self {
            action: result.step.to_string(),
            status: result.status,
            error: result.error.as_ref().map(|message| message.en()),
            detail: result.detail.as_ref().map(|message| message.en()),
            hint: result.hint.as_ref().map(|message| message.en()),
            elapsed_ms: result.elapsed_ms,
        }
    }
}

/// `extra.prepare`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrepareRecord {
    /// Which cluster this context belongs to, so that `--from` can refuse
    /// another one's run directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workbook: Option<WorkbookIdentity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<RecordedStep>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StepStatus>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `extra.prepare.workbook`. Both fields are optional: contexts written
/// before they were recorded are checked on what they have.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkbookIdentity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_ips: Option<Vec<String>>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One host's scan (`GET /api/v2/deployment/host`), `extra.host_scan.<ip>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScannedHost {
    #[serde(default)]
    pub host_uuid: String,
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub host_ip: String,
    #[serde(default)]
    pub nics: Vec<String>,
    /// The whole answer's `data`.
    #[serde(default)]
    pub raw: Value,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl From<smtx_api::HostScan> for ScannedHost {
    fn from(scan: smtx_api::HostScan) -> Self {
        Self {
            host_uuid: scan.host_uuid,
            hostname: scan.hostname,
            host_ip: scan.host_ip,
            nics: scan.nics,
            raw: scan.raw,
            other: Map::new(),
        }
    }
}

/// `extra.host_scan`: scans by management IP, in the order they were made
/// (a JSON object on disk).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostScans(Vec<(String, ScannedHost)>);

impl HostScans {
    pub fn insert(&mut self, ip: String, scan: ScannedHost) {
        match self.0.iter_mut().find(|(known, _)| *known == ip) {
            Some((_, slot)) => *slot = scan,
            None => self.0.push((ip, scan)),
        }
    }

    pub fn get(&self, ip: &str) -> Option<&ScannedHost> {
        self.0
            .iter()
            .find(|(known, _)| known == ip)
            .map(|(_, scan)| scan)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &ScannedHost)> {
        self.0.iter().map(|(ip, scan)| (ip.as_str(), scan))
    }

    pub fn ips(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(ip, _)| ip.as_str())
    }
}

impl Serialize for HostScans {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(ip, scan)| (ip, scan)))
    }
}

impl<'de> Deserialize<'de> for HostScans {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // serde_json keeps the file's order (`preserve_order`).
        let map = Map::<String, Value>::deserialize(deserializer)?;
        let mut scans = HostScans::default();
        for (ip, value) in map {
            let scan = serde_json::from_value(value).map_err(serde::de::Error::custom)?;
            scans.insert(ip, scan);
        }
        Ok(scans)
    }
}

/// `extra.deploy_verify`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeployVerifyRecord {
    /// The answer's `data` as the cluster sent it.
    #[serde(default)]
    pub data: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deployed: Option<bool>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `extra.config_cluster`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigClusterRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<RecordedStep>>,
    /// Where the business networks went (the business VDS, or under 存储独立
    /// the management VDS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vds_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svt_image: Option<SvtImageRecord>,
    /// The cluster serial, kept even when the workbook could not take it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StepStatus>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The VMTools image uploaded: `extra.config_cluster.svt_image`, mirrored
/// in `extra.deploy_cloudtower.vmtools`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SvtImageRecord {
    #[serde(default)]
    pub image_uuid: String,
    #[serde(default)]
    pub zbs_volume_id: String,
    #[serde(default)]
    pub file_name: String,
    #[serde(default)]
    pub chunk_size: u64,
    #[serde(default)]
    pub sha256: String,
    /// Older records have no size or cluster: they never count as "the
    /// same upload".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The first scanned host's uuid: which cluster the image went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `extra.deploy_cloudtower`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeployCloudtowerRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmtools: Option<SvtImageRecord>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Extra {
    pub fn config_cluster_mut(&mut self) -> &mut ConfigClusterRecord {
        self.config_cluster.get_or_insert_with(Default::default)
    }

    /// Record a stage's results (and, once it ended, its status).
    pub fn record_stage(
        &mut self,
        stage: Stage,
        results: &[StepResult],
        status: Option<StepStatus>,
    ) {
        let results = Some(results.iter().map(RecordedStep::from).collect());
        match stage {
            Stage::Prepare => {
                let record = self.prepare.get_or_insert_with(Default::default);
                record.results = results;
                if status.is_some() {
                    record.status = status;
                }
            }
            Stage::ConfigCluster => {
                let record = self.config_cluster_mut();
                record.results = results;
                if status.is_some() {
                    record.status = status;
                }
            }
        }
    }
}

impl RunContext {
    pub fn load(run_dir: &Path) -> Result<Self, EngineError> {
        let path = run_dir.join(CONTEXT_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| EngineError::Io {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| EngineError::NotAContext {
            path,
            reason: e.to_string(),
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
}

/// Temp file, fsync, rename, directory fsync: a run killed at any instant
/// leaves the previous file whole. A run directory's files are the tool's
/// own: a link or another's file planted there is not written through.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EngineError> {
    smtx_api::write_atomic(path, bytes, smtx_api::Replace::Own).map_err(|e| EngineError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
