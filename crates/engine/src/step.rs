//! [`Step`]: what every result, stage-log line and progress event names —
//! one variant per step of a stage, with its subject (a host, a VLAN) where
//! a step runs once per subject. A front end renders a `Step` with
//! [`Step::label`]; files keep its wire form (`host_password node-01
//! (10.0.20.11)`), which [`Step`]'s `Display` writes and `FromStr` reads.
//!
//! Adding a step: a variant here, its wire name in [`Step::name`], its
//! Chinese name in [`Step::label`] (and in `parse`): the compiler points at
//! each `match`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smtx_i18n::Lang;

use crate::Stage;

/// A host as a step names it: `node-01 (10.0.20.11)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostRef {
    pub hostname: String,
    /// The management IP, as the workbook has it.
    pub ip: String,
}

impl fmt::Display for HostRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.hostname, self.ip)
    }
}

/// A business network as a step names it: `VLAN-1120 (1120)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetworkRef {
    pub name: String,
    pub vlan_id: u16,
}

impl fmt::Display for NetworkRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.vlan_id)
    }
}

/// `name (subject)` read back: the last ` (` splits them.
fn split_subject(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_suffix(')')?;
    inner.rsplit_once(" (")
}

/// One step of a stage.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    // prepare
    Workbook,
    HostScan(HostRef),
    CheckNics,
    DeployVerify,
    // config_cluster
    Preconditions,
    SetupRoot,
    Login,
    SetVip,
    SetDns,
    SetNtp,
    IpmiAccounts,
    BusinessVds,
    /// The business networks as a whole (none planned, none possible).
    Vlans,
    Vlan(NetworkRef),
    VerifyVlans,
    HostPassword(HostRef),
    /// The host-password step's summary over every host.
    HostPasswords,
    VmtoolsUpload,
    CpuCompatibility,
    Serial,
    /// A stage stopped before its first step began: the stage itself.
    Stage(Stage),
}

impl Step {
    /// The step's wire name: the `action` of results and log lines, before
    /// the subject.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Workbook => "workbook",
            Self::HostScan(_) => "host_scan",
            Self::CheckNics => "check_nics",
            Self::DeployVerify => "deploy_verify",
            Self::Preconditions => "preconditions",
            Self::SetupRoot => "setup_root",
            Self::Login => "login",
            Self::SetVip => "set_vip",
            Self::SetDns => "set_dns",
            Self::SetNtp => "set_ntp",
            Self::IpmiAccounts => "ipmi_accounts",
            Self::BusinessVds => "business_vds",
            Self::Vlans => "vlans",
            Self::Vlan(_) => "vlan",
            Self::VerifyVlans => "verify_vlans",
            Self::HostPassword(_) => "host_password",
            Self::HostPasswords => "host_passwords",
            Self::VmtoolsUpload => "vmtools_upload",
            Self::CpuCompatibility => "cpu_compatibility",
            Self::Serial => "serial",
            Self::Stage(stage) => stage.name(),
        }
    }

    /// The host or network the step is about, if it runs once per subject.
    pub fn subject(&self) -> Option<String> {
        match self {
            Self::HostScan(host) | Self::HostPassword(host) => Some(host.to_string()),
            Self::Vlan(network) => Some(network.to_string()),
            _ => None,
        }
    }

    /// The step as a person reads it, in words in both languages (`Host
    /// scan node-01 (10.0.20.11)`, `主机扫描 node-01 (10.0.20.11)`), then its
    /// subject. Files keep the wire form ([`Step::name`], `Display`).
    pub fn label(&self, lang: Lang) -> String {
        let name = match lang {
            Lang::En => match self {
                Self::Workbook => "Workbook",
                Self::HostScan(_) => "Host scan",
                Self::CheckNics => "NIC check",
                Self::DeployVerify => "Deployment check",
                Self::Preconditions => "Preconditions",
                Self::SetupRoot => "Initialize the admin",
                Self::Login => "Log in",
                Self::SetVip => "Set the management VIP",
                Self::SetDns => "Set DNS",
                Self::SetNtp => "Set NTP",
                Self::IpmiAccounts => "BMC accounts",
                Self::BusinessVds => "Business vDS",
                Self::Vlans | Self::Vlan(_) => "Business network",
                Self::VerifyVlans => "Verify the business networks",
                Self::HostPassword(_) => "Host password",
                Self::HostPasswords => "Host passwords, all hosts",
                Self::VmtoolsUpload => "Upload VMTools",
                Self::CpuCompatibility => "CPU compatibility",
                Self::Serial => "Write back the serial",
                Self::Stage(stage) => return stage.label(lang),
            },
            Lang::ZhCn => match self {
                Self::Workbook => "规划表",
                Self::HostScan(_) => "主机扫描",
                Self::CheckNics => "网口检查",
                Self::DeployVerify => "部署校验",
                Self::Preconditions => "前置检查",
                Self::SetupRoot => "初始化管理员",
                Self::Login => "登录",
                Self::SetVip => "设置管理 VIP",
                Self::SetDns => "设置 DNS",
                Self::SetNtp => "设置 NTP",
                Self::IpmiAccounts => "带外账号",
                Self::BusinessVds => "业务虚拟交换机",
                Self::Vlans | Self::Vlan(_) => "业务网络",
                Self::VerifyVlans => "核对业务网络",
                Self::HostPassword(_) => "主机密码",
                Self::HostPasswords => "主机密码汇总",
                Self::VmtoolsUpload => "上传 VMTools",
                Self::CpuCompatibility => "CPU 兼容性",
                Self::Serial => "序列号回填",
                Self::Stage(stage) => return stage.label(lang),
            },
        };
        match self.subject() {
            Some(subject) => format!("{name} {subject}"),
            None => name.to_string(),
        }
    }

    /// The wire form read back; `None` for an action this version does not
    /// know (a later version's step).
    pub fn parse(text: &str) -> Option<Step> {
        let (head, rest) = match text.split_once(' ') {
            Some((head, rest)) => (head, Some(rest)),
            None => (text, None),
        };
        let host = |rest: Option<&str>| {
            let (hostname, ip) = split_subject(rest?)?;
            Some(HostRef {
                hostname: hostname.to_string(),
                ip: ip.to_string(),
            })
        };
        let step = match (head, rest) {
            ("host_scan", rest) => Self::HostScan(host(rest)?),
            ("host_password", rest) => Self::HostPassword(host(rest)?),
            ("vlan", Some(rest)) => {
                let (name, id) = split_subject(rest)?;
                Self::Vlan(NetworkRef {
                    name: name.to_string(),
                    vlan_id: id.parse().ok()?,
                })
            }
            (_, Some(_)) => return None,
            ("workbook", None) => Self::Workbook,
            ("check_nics", None) => Self::CheckNics,
            ("deploy_verify", None) => Self::DeployVerify,
            ("preconditions", None) => Self::Preconditions,
            ("setup_root", None) => Self::SetupRoot,
            ("login", None) => Self::Login,
            ("set_vip", None) => Self::SetVip,
            ("set_dns", None) => Self::SetDns,
            ("set_ntp", None) => Self::SetNtp,
            ("ipmi_accounts", None) => Self::IpmiAccounts,
            ("business_vds", None) => Self::BusinessVds,
            ("vlans", None) => Self::Vlans,
            ("verify_vlans", None) => Self::VerifyVlans,
            ("host_passwords", None) => Self::HostPasswords,
            ("vmtools_upload", None) => Self::VmtoolsUpload,
            ("cpu_compatibility", None) => Self::CpuCompatibility,
            ("serial", None) => Self::Serial,
            (other, None) => Self::Stage(other.parse().ok()?),
        };
        Some(step)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.subject() {
            Some(subject) => write!(f, "{} {subject}", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Step::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("unknown step {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> HostRef {
        HostRef {
            hostname: "node-01".into(),
            ip: "10.0.20.11".into(),
        }
    }

    /// One of each step. The `match` fails to compile when a variant is
    /// added, pointing here to add its sample.
    fn samples() -> Vec<Step> {
        let all = vec![
            Step::Workbook,
            Step::HostScan(host()),
            Step::CheckNics,
            Step::DeployVerify,
            Step::Preconditions,
            Step::SetupRoot,
            Step::Login,
            Step::SetVip,
            Step::SetDns,
            Step::SetNtp,
            Step::IpmiAccounts,
            Step::BusinessVds,
            Step::Vlans,
            Step::Vlan(NetworkRef {
                name: "VLAN-1120".into(),
                vlan_id: 1120,
            }),
            Step::VerifyVlans,
            Step::HostPassword(host()),
            Step::HostPasswords,
            Step::VmtoolsUpload,
            Step::CpuCompatibility,
            Step::Serial,
            Step::Stage(Stage::Prepare),
            Step::Stage(Stage::ConfigCluster),
        ];
        for step in &all {
            match step {
                Step::Workbook
                | Step::HostScan(_)
                | Step::CheckNics
                | Step::DeployVerify
                | Step::Preconditions
                | Step::SetupRoot
                | Step::Login
                | Step::SetVip
                | Step::SetDns
                | Step::SetNtp
                | Step::IpmiAccounts
                | Step::BusinessVds
                | Step::Vlans
                | Step::Vlan(_)
                | Step::VerifyVlans
                | Step::HostPassword(_)
                | Step::HostPasswords
                | Step::VmtoolsUpload
                | Step::CpuCompatibility
                | Step::Serial
                | Step::Stage(_) => {}
            }
        }
        all
    }

    #[test]
    fn the_wire_form_is_what_files_held_before_steps_were_typed() {
        assert_eq!(
            Step::HostPassword(host()).to_string(),
            "host_password node-01 (10.0.20.11)"
        );
        assert_eq!(
            Step::Vlan(NetworkRef {
                name: "VLAN-1120".into(),
                vlan_id: 1120
            })
            .to_string(),
            "vlan VLAN-1120 (1120)"
        );
        assert_eq!(Step::SetDns.to_string(), "set_dns");
        assert_eq!(
            Step::Stage(Stage::ConfigCluster).to_string(),
            "config_cluster"
        );
    }

    #[test]
    fn every_step_reads_back_and_has_a_chinese_label() {
        for step in samples() {
            let wire = step.to_string();
            assert_eq!(Step::parse(&wire), Some(step.clone()), "{wire}");
            let label = step.label(Lang::ZhCn);
            assert!(smtx_i18n::has_cjk(&label), "{label}");
            assert_eq!(
                smtx_i18n::untranslated_words(&label),
                Vec::<String>::new(),
                "{label}"
            );
            // English is words too, never the wire id (`host_scan`).
            let en = step.label(Lang::En);
            assert!(!en.contains('_'), "{en}");
            if !matches!(step, Step::Stage(_)) {
                assert_ne!(en, wire);
            }
            assert!(
                smtx_i18n::glossary::problems(Some(&en), &label).is_empty(),
                "{label}"
            );
        }
        let spaced = Step::Vlan(NetworkRef {
            name: "prod (east) 2".into(),
            vlan_id: 0,
        });
        assert_eq!(Step::parse(&spaced.to_string()), Some(spaced));
        assert_eq!(Step::parse("something_new"), None);
        assert_eq!(Step::parse("set_dns extra"), None);
        assert_eq!(
            Step::HostPassword(host()).label(Lang::ZhCn),
            "主机密码 node-01 (10.0.20.11)"
        );
    }
}
