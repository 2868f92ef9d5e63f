//! Checks made before a run's first call: settings that contradict each
//! other (TLS off with a CA to verify against; `tls_choice`, made by each
//! front end's settings resolve, which knows the sources), an ISO that was
//! named but is not there, a CA file without a certificate, an earlier
//! run's context (`--from`) that belongs to another cluster or the other
//! kind of run — the last three made by [`crate::launch::prepare`] for
//! every front end. Each refusal is a typed message in both languages; the
//! front end adds where the value came from.

use std::collections::BTreeSet;

use serde_json::Value;
use smtx_i18n::{Lang, Localize, Text, quoted};
use smtx_plan::Plan;

use crate::{RunContext, Settings};

/// Why a run is refused before it starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreflightError {
    /// TLS verification turned off and a CA named: `insecure` and `ca` say
    /// where each came from, as the front end spells its sources.
    #[error(
        "{} and a CA certificate ({}) together: verify against the CA, or verify nothing; drop one of them",
        insecure.en,
        ca.en
    )]
    InsecureWithCa { insecure: Text, ca: Text },
    /// An ISO named explicitly (flag, settings file, console settings) that is
    /// not a file.
    #[error("{iso}: {reason}")]
    MissingIso { iso: String, reason: IsoProblem },
    /// The earlier run's context does not belong to this run.
    #[error("{}", why.en())]
    FromMismatch { why: FromMismatch },
    /// The CA certificate named (flag, settings file, console settings)
    /// holds nothing the client can trust.
    #[error("{path}: {reason}")]
    BadCa {
        path: String,
        reason: smtx_api::ConfigReason,
    },
    /// The serial cell named (flag, settings file, console settings) is no
    /// `sheet!cell`: found before the run, not after it has configured the
    /// cluster and comes to write the serial.
    /// `example`: this workbook's own serial cell, as a cell is written.
    #[error("serial cell {cell:?}: not a cell of a sheet (sheet!cell, e.g. {example})")]
    BadSerialCell { cell: String, example: String },
}

/// Why a named ISO cannot be used: ours (a directory, a device), or the
/// operating system's words (quoted in Chinese).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IsoProblem {
    NotAFile,
    Io(String),
}

impl std::fmt::Display for IsoProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAFile => f.write_str("not a file"),
            Self::Io(cause) => f.write_str(cause),
        }
    }
}

impl Localize for IsoProblem {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::NotAFile, Lang::ZhCn) => "不是普通文件（是目录或设备）".into(),
            (Self::Io(cause), Lang::ZhCn) => quoted(lang, cause),
        }
    }
}

impl Localize for PreflightError {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::InsecureWithCa { insecure, ca }, Lang::ZhCn) => format!(
                "{} 与 CA 证书（{}）同时给出：要么用该 CA 校验，要么不校验；去掉其中一个",
                insecure.zh_cn, ca.zh_cn
            ),
            (Self::MissingIso { iso, reason }, Lang::ZhCn) => {
                format!("{iso}：无法使用该文件：{}", reason.localize(lang))
            }
            (Self::FromMismatch { why }, Lang::ZhCn) => why.localize(lang),
            (Self::BadCa { path, reason }, Lang::ZhCn) => format!(
                "{path}：{}",
                crate::messages::errors::config_reason_zh(reason)
            ),
            (Self::BadSerialCell { cell, example }, Lang::ZhCn) => format!(
                "序列号单元格{}：不是工作表中的单元格（应为 工作表!单元格，如 {example}）",
                quoted(lang, cell)
            ),
        }
    }
}

/// Why an earlier run's context (`--from`) does not belong to this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromMismatch {
    OtherCluster { recorded: String, planned: String },
    OtherHosts { recorded: String, planned: String },
    RehearsalInLiveRun,
    LiveInRehearsal,
}

impl Localize for FromMismatch {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::OtherCluster { recorded, planned }, Lang::En) => {
                format!("it is a run of cluster {recorded:?}, the workbook plans {planned:?}")
            }
            (Self::OtherCluster { recorded, planned }, Lang::ZhCn) => {
                format!("它是集群 {recorded} 的运行，规划表中是 {planned}")
            }
            (Self::OtherHosts { recorded, planned }, Lang::En) => {
                format!("its hosts are {recorded}, the workbook's are {planned}")
            }
            (Self::OtherHosts { recorded, planned }, Lang::ZhCn) => {
                format!("它的主机是 {recorded}，规划表中的是 {planned}")
            }
            (Self::RehearsalInLiveRun, Lang::En) => {
                "it is a rehearsal's run (against the simulator), this run is live".into()
            }
            (Self::RehearsalInLiveRun, Lang::ZhCn) => {
                "它是一次演练（针对模拟集群）的运行，而本次运行针对真实集群".into()
            }
            (Self::LiveInRehearsal, Lang::En) => {
                "it is a live run, this run is a rehearsal (against the simulator)".into()
            }
            (Self::LiveInRehearsal, Lang::ZhCn) => {
                "它是真实集群的运行，而本次运行是一次演练（针对模拟集群）".into()
            }
        }
    }
}

/// The serial cell, when one is named, is a `sheet!cell`; the refusal
/// shows the plan's own serial cell as the example.
pub fn serial_cell(settings: &Settings, plan: &Plan) -> Result<(), PreflightError> {
    match &settings.serial_cell {
        Some(cell) if smtx_plan::cell::SheetCell::parse(cell).is_none() => {
            Err(PreflightError::BadSerialCell {
                cell: cell.clone(),
                example: plan.cluster.serial_cell(),
            })
        }
        _ => Ok(()),
    }
}

/// Verifying against a CA and verifying nothing cannot both hold: `insecure`
/// and `ca` are the sources that turned each on (`None`: not set).
pub fn tls_choice(insecure: Option<&Text>, ca: Option<&Text>) -> Result<(), PreflightError> {
    match (insecure, ca) {
        (Some(insecure), Some(ca)) => Err(PreflightError::InsecureWithCa {
            insecure: insecure.clone(),
            ca: ca.clone(),
        }),
        _ => Ok(()),
    }
}

/// A CA certificate that was named must hold certificates: a wrong file
/// (a key, a chain in DER, an empty file) is bad input before any call.
pub fn ca_cert(settings: &Settings) -> Result<(), PreflightError> {
    let Some((path, pem)) = &settings.ca_cert else {
        return Ok(());
    };
    smtx_api::check_ca_pem(pem).map_err(|reason| PreflightError::BadCa {
        path: path.display().to_string(),
        reason,
    })
}

/// An ISO that was named must be a file: a typo must not turn into a run
/// that skips the upload (or finds another ISO) without a word.
pub fn vmtools_iso(settings: &Settings) -> Result<(), PreflightError> {
    let Some(iso) = &settings.vmtools_iso else {
        return Ok(());
    };
    let found = match std::fs::metadata(iso) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err(IsoProblem::NotAFile),
        Err(error) => Err(IsoProblem::Io(error.to_string())),
    };
    found.map_err(|reason| PreflightError::MissingIso {
        iso: iso.display().to_string(),
        reason,
    })
}

/// Why an earlier run's context does not belong to this run: another
/// cluster (name or host addresses), or a rehearsal's context in a live run
/// (or the reverse). `None` when it fits. Contexts written before these
/// facts were recorded are checked on what they have (the host scan).
pub fn from_mismatch(context: &RunContext, plan: &Plan, rehearsal: bool) -> Option<FromMismatch> {
    let identity = context
        .extra
        .prepare
        .as_ref()
        .and_then(|prepare| prepare.workbook.as_ref());
    if let Some(name) = identity.and_then(|identity| identity.cluster_name.as_deref())
        && name != plan.cluster.name
    {
        return Some(FromMismatch::OtherCluster {
            recorded: name.to_string(),
            planned: plan.cluster.name.clone(),
        });
    }
    let recorded: Option<BTreeSet<String>> = identity
        .and_then(|identity| identity.management_ips.as_ref())
        .map(|ips| ips.iter().cloned().collect())
        .or_else(|| {
            context
                .extra
                .host_scan
                .as_ref()
                .map(|scans| scans.ips().map(str::to_string).collect())
        });
    let planned: BTreeSet<String> = plan
        .hosts
        .iter()
        .map(|host| host.management_ip.to_string())
        .collect();
    if let Some(recorded) = recorded
        && recorded != planned
    {
        let list = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(", ");
        return Some(FromMismatch::OtherHosts {
            recorded: list(&recorded),
            planned: list(&planned),
        });
    }
    let was_rehearsal = context.config.get("rehearsal").and_then(Value::as_bool);
    match (was_rehearsal, rehearsal) {
        (Some(true), false) => Some(FromMismatch::RehearsalInLiveRun),
        (Some(false), true) => Some(FromMismatch::LiveInRehearsal),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal renders in both languages, the Chinese with no English
    /// word left but sources, paths and quoted reasons.
    #[test]
    fn every_refusal_renders_in_both_languages() {
        let s = |text: &str| text.to_string();
        let mut samples = vec![
            PreflightError::InsecureWithCa {
                insecure: Text::same("--insecure / SMTX_INSECURE"),
                ca: Text {
                    en: s("api.ca_cert /srv/ca.pem in sim.toml"),
                    zh_cn: s("sim.toml 中的 api.ca_cert /srv/ca.pem"),
                },
            },
            PreflightError::MissingIso {
                iso: s("/srv/SMTX_VMTOOLS-3.2.0.iso"),
                reason: IsoProblem::Io(s("No such file or directory (os error 2)")),
            },
            PreflightError::MissingIso {
                iso: s("/srv/SMTX_VMTOOLS-3.2.0.iso"),
                reason: IsoProblem::NotAFile,
            },
            PreflightError::BadCa {
                path: s("/srv/ca.pem"),
                reason: smtx_api::ConfigReason::CaEmpty,
            },
        ];
        for why in [
            FromMismatch::OtherCluster {
                recorded: s("CN-BJ-01"),
                planned: s("CN-SH-02"),
            },
            FromMismatch::OtherHosts {
                recorded: s("10.0.20.11"),
                planned: s("10.0.30.11"),
            },
            FromMismatch::RehearsalInLiveRun,
            FromMismatch::LiveInRehearsal,
        ] {
            samples.push(PreflightError::FromMismatch { why });
        }
        for sample in samples {
            let en = sample.localize(Lang::En);
            let zh = sample.localize(Lang::ZhCn);
            assert!(!en.is_empty() && en != zh, "{sample:?}");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
            let left = smtx_i18n::untranslated_words(&zh);
            assert!(left.is_empty(), "{zh}: {left:?}");
            let drift = smtx_i18n::glossary::problems(Some(&en), &zh);
            assert!(drift.is_empty(), "{zh}: {drift:?}");
        }
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let settings = |pem: &[u8]| {
            let mut settings = crate::SettingsLayer::default()
                .resolve(
                    std::path::PathBuf::from("run"),
                    std::path::PathBuf::from("."),
                    |_| Ok::<_, std::io::Error>(Vec::new()),
                )
                .expect("defaults resolve");
            settings.ca_cert = Some((std::path::PathBuf::from("ca.pem"), pem.to_vec()));
            settings
        };
        for pem in [
            &b""[..],
            b"PEM",
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            let refusal = ca_cert(&settings(pem)).expect_err("refused");
            assert!(
                refusal.to_string().starts_with("ca.pem: CA certificate"),
                "{refusal}"
            );
        }
        let mut none = settings(b"");
        none.ca_cert = None;
        assert!(ca_cert(&none).is_ok());
    }

    #[test]
    fn a_ca_and_insecure_together_are_refused_and_either_alone_is_not() {
        let (a, b) = (Text::same("a"), Text::same("b"));
        assert!(tls_choice(Some(&a), Some(&b)).is_err());
        assert!(tls_choice(Some(&a), None).is_ok());
        assert!(tls_choice(None, Some(&b)).is_ok());
    }
}
