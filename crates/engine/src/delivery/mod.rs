//! The delivery record: what a delivery engineer hands the customer at the
//! end of a site visit, and what a team lead reads the next morning.
//!
//! Every run ends by writing `delivery.json` (the facts, with each text in
//! both languages, so it can be rendered again in either without the
//! workbook) and `report.html` from it (`html.rs`: one self-contained file,
//! no script, no fetch, printable on A4). `smtx-deploy report RUN_DIR`
//! renders it again from `delivery.json`. Never a password, a token or a
//! password's length: the record is built from the plan's non-secret
//! fields and from step results, which hold none.

mod fleet;
mod html;
mod words;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use smtx_i18n::{Lang, Localize, Text};
use smtx_plan::Plan;

use crate::messages::NetworkMsg;
use crate::{EngineError, Message, RunContext, RunReport, Step, StepResult, StepStatus};

pub use fleet::{FleetRow, render_fleet};
pub use html::render;

/// The facts, in a run directory.
pub const DELIVERY_FILE: &str = "delivery.json";
/// The page, in a run directory.
pub const REPORT_HTML_FILE: &str = "report.html";
/// The policy the page holds itself to (its `<meta>`), for a server that
/// sends it: its own inline style, nothing fetched, no script, no frame.
pub const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const VERSION: u32 = 1;

/// What kind of run a record is of: a rehearsal's says so on every page,
/// so that nobody hands one to a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    Live,
    Rehearsal,
    DryRun,
}

/// A text in both languages, as the file keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Words {
    pub en: String,
    pub zh_cn: String,
}

impl Words {
    fn of(message: &impl Localize) -> Self {
        Self::from(Text::of(message))
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::ZhCn => &self.zh_cn,
        }
    }
}

impl From<Text> for Words {
    fn from(text: Text) -> Self {
        Self {
            en: text.en,
            zh_cn: text.zh_cn,
        }
    }
}

/// One host of the cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostRow {
    pub name: String,
    pub management_ip: String,
    pub bmc_ip: Option<String>,
    pub bmc_user: String,
    /// How its password rotation ended (`None`: the run did not get there).
    pub password: Option<StepStatus>,
}

/// The business virtual switch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwitchRow {
    pub name: String,
    pub bond_mode: String,
    pub nics: Vec<String>,
    pub uuid: Option<String>,
    pub status: Option<StepStatus>,
}

/// One business network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VlanRow {
    pub name: String,
    pub vlan_id: u16,
    pub switch: String,
    pub uuid: Option<String>,
    pub status: Option<StepStatus>,
}

/// The VMTools image the cluster holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageRow {
    pub file: String,
    pub size: Option<u64>,
    pub sha256: String,
    pub image_uuid: String,
}

/// The workbook, before and after the serial went in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkbookRow {
    /// Its file name (never a path of the machine: the record travels).
    pub name: String,
    pub sha256_before: Option<String>,
    /// The file the serial was written into (the workbook, or a
    /// rehearsal's copy), after the run.
    pub written_name: String,
    pub sha256_after: Option<String>,
}

/// One step, as the run ended it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRow {
    pub stage: Words,
    pub label: Words,
    pub status: StepStatus,
    pub detail: Option<Words>,
    pub error: Option<Words>,
    pub hint: Option<Words>,
    pub elapsed_ms: u64,
}

/// A setting the run made, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingRow {
    pub values: Vec<String>,
    pub status: Option<StepStatus>,
}

/// `delivery.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub version: u32,
    pub tool_version: String,
    pub kind: RunKind,
    pub status: StepStatus,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub ended_at: String,
    pub duration_ms: u64,
    pub cluster: String,
    pub vip: SettingRow,
    pub dns: SettingRow,
    pub ntp: SettingRow,
    pub bmc_accounts: Option<StepStatus>,
    pub hosts: Vec<HostRow>,
    pub switch: Option<SwitchRow>,
    pub vlans: Vec<VlanRow>,
    pub vmtools: Option<ImageRow>,
    pub vmtools_status: Option<StepStatus>,
    pub cpu_compatibility: Option<StepRow>,
    pub serial: Option<String>,
    pub workbook: WorkbookRow,
    pub steps: Vec<StepRow>,
    /// What the engineer still has to do, from the warnings, failures and
    /// skips (each a step's hint or, without one, its error).
    pub left_to_do: Vec<Words>,
    /// Who started it: the console token's name (None from the CLI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_by: Option<String>,
}

/// What a run knows as it ends, for [`DeliveryRecord::of`].
pub(crate) struct RunFacts<'a> {
    pub plan: &'a Plan,
    pub report: &'a RunReport,
    pub context: &'a RunContext,
    pub rehearsal: bool,
    pub started: SystemTime,
    /// The customer's workbook (not a rehearsal's copy).
    pub workbook: &'a Path,
    pub workbook_sha256_before: Option<String>,
    pub run_by: Option<String>,
}

impl DeliveryRecord {
    pub(crate) fn of(facts: &RunFacts<'_>) -> Self {
        let RunFacts {
            plan,
            report,
            context,
            rehearsal,
            started,
            workbook,
            workbook_sha256_before,
            run_by,
        } = facts;
        let ended = SystemTime::now();
        let results: Vec<&StepResult> = report
            .stages
            .iter()
            .flat_map(|stage| &stage.steps)
            .collect();
        let status_of = |wanted: &dyn Fn(&Step) -> bool| {
            results
                .iter()
                .find(|result| wanted(&result.step))
                .map(|result| result.status)
        };
        let hosts = plan
            .hosts
            .iter()
            .map(|host| HostRow {
                name: host.hostname.clone(),
                management_ip: host.management_ip.to_string(),
                bmc_ip: host.bmc.ip.map(|ip| ip.to_string()),
                bmc_user: host.bmc.user.clone(),
                password: status_of(
                    &|step| matches!(step, Step::HostPassword(h) if h.hostname == host.hostname),
                ),
            })
            .collect();
        let switch_step = results
            .iter()
            .find(|result| result.step == Step::BusinessVds);
        let switch = plan.business_vds.as_ref().map(|vds| SwitchRow {
            name: vds.name.clone(),
            bond_mode: vds.bond_mode.to_string(),
            nics: vds.nics.clone(),
            uuid: switch_step.and_then(|result| uuid_in(result.detail.as_ref())),
            status: switch_step.map(|result| result.status),
        });
        let home = switch
            .as_ref()
            .map(|switch| switch.name.clone())
            .unwrap_or_else(|| plan.management_vds.name.clone());
        let vlans = plan
            .business_networks
            .iter()
            .map(|network| {
                let step = results.iter().find(|result| {
                    matches!(&result.step, Step::Vlan(n) if n.name == network.name && n.vlan_id == network.vlan_id)
                });
                VlanRow {
                    name: network.name.clone(),
                    vlan_id: network.vlan_id,
                    switch: home.clone(),
                    uuid: step.and_then(|result| uuid_in(result.detail.as_ref())),
                    status: step.map(|result| result.status),
                }
            })
            .collect();
        let image = context
            .extra
            .config_cluster
            .as_ref()
            .and_then(|record| record.svt_image.as_ref())
            .map(|image| ImageRow {
                file: image.file_name.clone(),
                size: image.size,
                sha256: image.sha256.clone(),
                image_uuid: image.image_uuid.clone(),
            });
        let stage_words = |stage: crate::Stage| Words {
            en: stage.label(Lang::En),
            zh_cn: stage.label(Lang::ZhCn),
        };
        let steps: Vec<StepRow> = report
            .stages
            .iter()
            .flat_map(|stage| {
                stage
                    .steps
                    .iter()
                    .map(move |result| step_row(stage_words(stage.stage), result))
            })
            .collect();
        let left_to_do = results
            .iter()
            .filter(|result| {
                matches!(
                    result.status,
                    StepStatus::Warning | StepStatus::Failed | StepStatus::Aborted
                ) || (result.status == StepStatus::Skipped && result.step == Step::VmtoolsUpload)
            })
            .filter_map(|result| {
                let why = result.hint.as_ref().or(result.error.as_ref())?;
                Some(Words {
                    en: format!(
                        "{}: {}",
                        result.step.label(Lang::En),
                        why.localize(Lang::En)
                    ),
                    zh_cn: format!(
                        "{}：{}",
                        result.step.label(Lang::ZhCn),
                        why.localize(Lang::ZhCn)
                    ),
                })
            })
            .collect();
        let written = report
            .workbook
            .clone()
            .unwrap_or_else(|| workbook.to_path_buf());
        Self {
            version: VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            kind: if report.dry_run {
                RunKind::DryRun
            } else if *rehearsal {
                RunKind::Rehearsal
            } else {
                RunKind::Live
            },
            status: report.status,
            started_at: humantime::format_rfc3339_seconds(*started).to_string(),
            ended_at: humantime::format_rfc3339_seconds(ended).to_string(),
            duration_ms: ended
                .duration_since(*started)
                .map_or(0, |d| d.as_millis() as u64),
            cluster: plan.cluster.name.clone(),
            vip: SettingRow {
                values: plan.cluster.vip.iter().map(ToString::to_string).collect(),
                status: status_of(&|step| *step == Step::SetVip),
            },
            dns: SettingRow {
                values: plan.dns_servers.iter().map(ToString::to_string).collect(),
                status: status_of(&|step| *step == Step::SetDns),
            },
            ntp: SettingRow {
                values: plan.ntp_servers.clone(),
                status: status_of(&|step| *step == Step::SetNtp),
            },
            bmc_accounts: status_of(&|step| *step == Step::IpmiAccounts),
            hosts,
            switch,
            vlans,
            vmtools: image,
            vmtools_status: status_of(&|step| *step == Step::VmtoolsUpload),
            cpu_compatibility: results
                .iter()
                .find(|result| result.step == Step::CpuCompatibility)
                .map(|result| step_row(stage_words(crate::Stage::ConfigCluster), result)),
            serial: report.serial.clone(),
            workbook: WorkbookRow {
                name: file_name(workbook),
                sha256_before: workbook_sha256_before.clone(),
                written_name: file_name(&written),
                sha256_after: sha256_of(&written),
            },
            steps,
            left_to_do,
            run_by: run_by.clone(),
        }
    }

    /// `delivery.json` of `run_dir`.
    pub fn load(run_dir: &Path) -> Result<Self, EngineError> {
        let path = run_dir.join(DELIVERY_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| EngineError::Io {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let record: Self =
            serde_json::from_str(&text).map_err(|e| EngineError::NotADeliveryRecord {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if record.version > VERSION {
            return Err(EngineError::NotADeliveryRecord {
                path,
                reason: format!(
                    "written by a newer smtx-deploy (version {})",
                    record.version
                ),
            });
        }
        Ok(record)
    }

    pub(crate) fn save(&self, run_dir: &Path) -> Result<(), EngineError> {
        let path = run_dir.join(DELIVERY_FILE);
        let text = serde_json::to_string_pretty(self).map_err(|e| EngineError::Io {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        crate::context::write_atomic(&path, text.as_bytes())
    }
}

/// Writes `report.html` of `run_dir` again, in `lang`, from its
/// `delivery.json`, to `out` (default: the run directory's
/// `report.html`). Returns the file written.
pub fn write_html(run_dir: &Path, lang: Lang, out: Option<&Path>) -> Result<PathBuf, EngineError> {
    let record = DeliveryRecord::load(run_dir)?;
    let path = out.map_or_else(|| run_dir.join(REPORT_HTML_FILE), Path::to_path_buf);
    let replace = if out.is_some() {
        smtx_api::Replace::Named
    } else {
        smtx_api::Replace::Own
    };
    smtx_api::write_atomic(&path, render(&record, lang).as_bytes(), replace).map_err(|e| {
        EngineError::Io {
            path: path.clone(),
            reason: e.to_string(),
        }
    })?;
    Ok(path)
}

/// As a run ends: `delivery.json`, then `report.html` in `lang`.
pub(crate) fn record_run(facts: &RunFacts<'_>, lang: Lang) -> Result<(), EngineError> {
    let run_dir = &facts.report.run_dir;
    let record = DeliveryRecord::of(facts);
    record.save(run_dir)?;
    let path = run_dir.join(REPORT_HTML_FILE);
    crate::context::write_atomic(&path, render(&record, lang).as_bytes())
}

fn step_row(stage: Words, result: &StepResult) -> StepRow {
    let words = |message: Option<&Message>| message.map(Words::of);
    StepRow {
        stage,
        label: Words {
            en: result.step.label(Lang::En),
            zh_cn: result.step.label(Lang::ZhCn),
        },
        status: result.status,
        detail: words(result.detail.as_ref()),
        error: words(result.error.as_ref()),
        hint: words(result.hint.as_ref()),
        elapsed_ms: result.elapsed_ms,
    }
}

/// The uuid a switch or network step's detail names.
fn uuid_in(detail: Option<&Message>) -> Option<String> {
    match detail? {
        Message::Network(
            NetworkMsg::VdsCreated { uuid, .. }
            | NetworkMsg::VdsExists { uuid, .. }
            | NetworkMsg::OnManagement { uuid, .. }
            | NetworkMsg::VlanCreated { uuid }
            | NetworkMsg::VlanExists { uuid },
        ) => Some(uuid.clone()),
        _ => None,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The SHA-256 of a file, hex; `None` when it cannot be read.
pub(crate) fn sha256_of(path: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).ok()?;
    Some(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests;
