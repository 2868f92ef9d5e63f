//! The simulator's shipped fault stories (`crates/sim/scenarios/*.toml`),
//! embedded: what `GET /api/scenarios` lists and a rehearsal may arm. The
//! title of each, in both languages, is here; the faults are the file's.

use axum::Json;
use serde::Serialize;
use smtx_sim::Scenario;

/// A shipped scenario: its name (the file's stem), title, and file text.
pub struct Shipped {
    pub name: &'static str,
    pub en: &'static str,
    pub zh_cn: &'static str,
    pub toml: &'static str,
}

pub const SHIPPED: &[Shipped] = &[
    Shipped {
        name: "bmc-down",
        en: "One host's BMC does not answer: the BMC accounts step ends as a warning",
        zh_cn: "一台主机的 BMC 无应答：带外账号步骤以警告结束",
        toml: include_str!("../../sim/scenarios/bmc-down.toml"),
    },
    Shipped {
        name: "configured-by-hand",
        en: "Someone started in Fisheye before you: root already set up, NTP job fails",
        zh_cn: "有人已在 Fisheye 中做过配置：root 已初始化，NTP 任务失败",
        toml: include_str!("../../sim/scenarios/configured-by-hand.toml"),
    },
    Shipped {
        name: "failing-deployment",
        en: "The deployment did not finish: prepare fails at deploy_verify",
        zh_cn: "部署未完成：准备阶段在 deploy_verify 失败",
        toml: include_str!("../../sim/scenarios/failing-deployment.toml"),
    },
    Shipped {
        name: "flaky-network",
        en: "A bad network: failed calls and uploads are retried, the run ends ok",
        zh_cn: "网络不稳定：失败的调用与上传会重试，运行最终成功",
        toml: include_str!("../../sim/scenarios/flaky-network.toml"),
    },
    Shipped {
        name: "reads-unavailable",
        en: "The cluster cannot read back its settings: they are sent without comparing",
        zh_cn: "集群无法读回其设置：不经比对直接发送",
        toml: include_str!("../../sim/scenarios/reads-unavailable.toml"),
    },
    Shipped {
        name: "session-expires-mid-lanes",
        en: "The session expires while two lanes use it: one login again, both carry on",
        zh_cn: "两个并行通道使用会话时会话过期：只重新登录一次，两者继续",
        toml: include_str!("../../sim/scenarios/session-expires-mid-lanes.toml"),
    },
    Shipped {
        name: "ssh-trouble",
        en: "SSH goes wrong on two hosts while their passwords are rotated",
        zh_cn: "轮换密码时两台主机的 SSH 出错",
        toml: include_str!("../../sim/scenarios/ssh-trouble.toml"),
    },
    Shipped {
        name: "upload-fails-mid-vlans",
        en: "The VMTools upload fails while VLANs are created: the stage fails, the other lanes end their step",
        zh_cn: "创建 VLAN 时 VMTools 上传失败：阶段失败，其他并行通道完成当前步骤后停止",
        toml: include_str!("../../sim/scenarios/upload-fails-mid-vlans.toml"),
    },
    Shipped {
        name: "vip-in-use",
        en: "Another device already answers on the planned VIP: set_vip is a warning",
        zh_cn: "规划的 VIP 上已有其他设备应答：set_vip 以警告结束",
        toml: include_str!("../../sim/scenarios/vip-in-use.toml"),
    },
];

/// The scenario called `name`, parsed.
pub fn find(name: &str) -> Option<Result<Scenario, smtx_sim::SimError>> {
    SHIPPED
        .iter()
        .find(|shipped| shipped.name == name)
        .map(|shipped| Scenario::from_toml(shipped.toml))
}

pub fn names() -> String {
    SHIPPED
        .iter()
        .map(|shipped| shipped.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A shipped scenario as the rehearsal form lists it.
#[derive(Debug, Serialize)]
pub struct ScenarioView {
    name: &'static str,
    title: Title,
}

#[derive(Debug, Serialize)]
struct Title {
    en: &'static str,
    #[serde(rename = "zh-CN")]
    zh_cn: &'static str,
}

/// `GET /api/scenarios`.
pub async fn list() -> Json<Vec<ScenarioView>> {
    Json(
        SHIPPED
            .iter()
            .map(|shipped| ScenarioView {
                name: shipped.name,
                title: Title {
                    en: shipped.en,
                    zh_cn: shipped.zh_cn,
                },
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of `crates/sim/scenarios` is listed, and parses.
    #[test]
    fn every_shipped_file_is_listed_and_parses() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sim/scenarios");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("scenario directory")
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".toml").map(str::to_string)
            })
            .collect();
        files.sort();
        let listed: Vec<String> = SHIPPED.iter().map(|s| s.name.to_string()).collect();
        assert_eq!(listed, files);
        for shipped in SHIPPED {
            assert!(
                find(shipped.name).is_some_and(|parsed| parsed.is_ok()),
                "{}",
                shipped.name
            );
            let left = smtx_i18n::untranslated_words(shipped.zh_cn);
            assert!(left.is_empty(), "{}: {left:?}", shipped.zh_cn);
        }
    }
}
