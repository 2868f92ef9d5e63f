//! The messages of the cluster settings: VIP (and its probe), DNS, NTP;
//! and [`Unread`], what a step that reads before it sends says when it
//! could not read (the BMC step says it too).

use smtx_i18n::{FrontEnd, Lang, Lang::En, Lang::ZhCn, Localize, Text};

use super::{Action, list};

/// Something answering on the VIP: a port, and the address the probe
/// reached it through when that is not the VIP itself (an override).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipAnswer {
    pub port: u16,
    pub via: Option<String>,
}

/// A setting sent without first reading what the cluster had: the read
/// (`GET /api/v2/settings/dns`, an \[ASSUMED\] endpoint) and why it gave
/// nothing to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    pub read: String,
    /// `None`: the cluster does not have the read (404); else the failure.
    pub cause: Option<Text>,
}

impl Unread {
    /// What a failed read leaves: a 404 means the cluster lacks the
    /// (assumed) endpoint, anything else is quoted.
    pub fn of(read: &str, error: &smtx_api::ApiError) -> Self {
        Self {
            read: read.to_owned(),
            cause: (error.status() != Some(404)).then(|| super::errors::api_error(error)),
        }
    }

    /// The clause appended to what was done.
    pub fn clause(&self, lang: Lang) -> String {
        let read = &self.read;
        match (&self.cause, lang) {
            (None, En) => {
                format!("sent without comparing: the cluster does not answer {read} (404)")
            }
            (None, ZhCn) => format!("未比对即发送：集群不支持 {read}（404）"),
            (Some(cause), En) => {
                format!("sent without comparing: {read} failed: {}", cause.en)
            }
            (Some(cause), ZhCn) => format!("未比对即发送：{read} 失败：{}", cause.zh_cn),
        }
    }
}

smtx_i18n::catalog! {
    pub enum SettingsMsg {
        WouldSet { value: String },
        /// Set; `job` is the job waited for, if the answer carried one;
        /// `unread` when what the cluster had could not be read first.
        Applied { value: String, job: Option<String>, unread: Option<Unread> },
        /// The cluster already has the workbook's value: nothing sent.
        AlreadySet { value: String },
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
    fn localize_for(&self, front: FrontEnd, lang: Lang) -> String {
        if front == FrontEnd::Cli {
            return self.localize(lang);
        }
        let allow = Action::AllowActiveVip.words(front, lang);
        match (self, lang) {
            (Self::VipTakenHint { cell }, En) => format!(
                "find out what holds that address and free it, or change the VIP ({cell}); if it is this cluster's, start again with {allow}"
            ),
            (Self::VipTakenHint { cell }, ZhCn) => format!(
                "查明占用该地址的设备并释放，或修改 VIP（{cell}）；如果它属于本集群，{allow}后重新开始"
            ),
            _ => self.localize(lang),
        }
    }

    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::WouldSet { value }, En) => format!("would set {value}"),
            (Self::WouldSet { value }, ZhCn) => format!("将设置为 {value}"),
            (Self::Applied { value, job, unread }, _) => {
                let done = match (job, lang) {
                    (Some(job), En) => format!("{value}: job {job} done"),
                    (None, En) => format!("{value}: applied"),
                    (Some(job), ZhCn) => format!("{value}：任务 {job} 已完成"),
                    (None, ZhCn) => format!("{value}：已生效"),
                };
                match (unread, lang) {
                    (None, _) => done,
                    (Some(unread), En) => format!("{done} ({})", unread.clause(lang)),
                    (Some(unread), ZhCn) => format!("{done}（{}）", unread.clause(lang)),
                }
            }
            (Self::AlreadySet { value }, En) => format!("{value}: already set, not sent again"),
            (Self::AlreadySet { value }, ZhCn) => format!("{value}：集群已是该设置，未再发送"),
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
