//! The messages of the cluster settings: VIP (and its probe), DNS, NTP.

use smtx_i18n::{Lang, Lang::En, Lang::ZhCn, Localize};

use super::list;

/// Something answering on the VIP: a port, and the address the probe
/// reached it through when that is not the VIP itself (an override).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipAnswer {
    pub port: u16,
    pub via: Option<String>,
}

smtx_i18n::catalog! {
    pub enum SettingsMsg {
        WouldSet { value: String },
        /// Set; `job` is the job waited for, if the answer carried one.
        Applied { value: String, job: Option<String> },
        /// `cells`: where the workbook's value was read.
        SettingHint { cells: String },
        VipTaken { vip: String, answering: Vec<VipAnswer> },
        VipTakenHint { cell: String },
        NoVip { cell: String },
        NoDns { cells: String },
        NoNtp { cells: String },
        FillCellsHint,
    }
}

impl Localize for SettingsMsg {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::WouldSet { value }, En) => format!("would set {value}"),
            (Self::WouldSet { value }, ZhCn) => format!("将设置为 {value}"),
            (
                Self::Applied {
                    value,
                    job: Some(job),
                },
                En,
            ) => format!("{value}: job {job} done"),
            (Self::Applied { value, job: None }, En) => format!("{value}: applied"),
            (
                Self::Applied {
                    value,
                    job: Some(job),
                },
                ZhCn,
            ) => {
                format!("{value}：任务 {job} 已完成")
            }
            (Self::Applied { value, job: None }, ZhCn) => format!("{value}：已生效"),
            (Self::SettingHint { cells }, En) => format!(
                "fix the cause (or the value in {cells}) and run again, or set it in Fisheye"
            ),
            (Self::SettingHint { cells }, ZhCn) => {
                format!("排除原因（或修正 {cells} 中的值）后重新运行，或在 Fisheye 中设置")
            }
            (Self::VipTaken { vip, answering }, _) => {
                let ports: Vec<String> = answering
                    .iter()
                    .map(|answer| match (&answer.via, lang) {
                        (None, _) => format!("TCP {}", answer.port),
                        (Some(via), En) => format!("TCP {} via {via}", answer.port),
                        (Some(via), ZhCn) => format!("TCP {}（经 {via}）", answer.port),
                    })
                    .collect();
                match lang {
                    En => format!(
                        "{vip} already answers ({}) and is not this cluster: VIP not set",
                        ports.join(", ")
                    ),
                    ZhCn => format!(
                        "{vip} 已有设备应答（{}），且不属于本集群：未设置 VIP",
                        list(lang, &ports)
                    ),
                }
            }
            (Self::VipTakenHint { cell }, En) => format!(
                "find out what holds that address and free it, or change the VIP ({cell}); if it is this cluster's, run again with --allow-active-vip"
            ),
            (Self::VipTakenHint { cell }, ZhCn) => format!(
                "查明占用该地址的设备并释放，或修改 VIP（{cell}）；如果它属于本集群，加上 --allow-active-vip 重新运行"
            ),
            (Self::NoVip { cell }, En) => format!("no management VIP in the workbook ({cell})"),
            (Self::NoVip { cell }, ZhCn) => format!("规划表中没有管理 VIP（{cell}）"),
            (Self::NoDns { cells }, En) => {
                format!("no DNS servers in the workbook ({cells}): DNS left as it is")
            }
            (Self::NoDns { cells }, ZhCn) => {
                format!("规划表中没有 DNS 服务器（{cells}）：DNS 保持不变")
            }
            (Self::NoNtp { cells }, En) => {
                format!("no NTP servers in the workbook ({cells}): NTP left as it is")
            }
            (Self::NoNtp { cells }, ZhCn) => {
                format!("规划表中没有 NTP 服务器（{cells}）：NTP 保持不变")
            }
            (Self::FillCellsHint, En) => "fill in the cells and run again".into(),
            (Self::FillCellsHint, ZhCn) => "填写这些单元格后重新运行".into(),
        }
    }
}
