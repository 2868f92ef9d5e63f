//! The messages of the BMC (IPMI) account step.

use smtx_i18n::{Lang, Lang::En, Lang::ZhCn, Localize, clauses};

use super::list;
use super::settings::Unread;

smtx_i18n::catalog! {
    pub enum IpmiMsg {
        NoBmc { cells: String },
        NotScanned { hosts: Vec<String> },
        RescanHint,
        WouldStore { count: usize },
        /// `count` sent; `already` the cluster had as the workbook says
        /// (not sent); `unread` when the stored accounts could not be read.
        Stored { count: usize, already: usize, unread: Option<Unread> },
        /// Every account is stored as the workbook says: nothing sent.
        /// Compared on what the read shows (user, BMC address, not marked
        /// unreachable); a password is never read back.
        AlreadySet { count: usize },
        /// `(node, BMC address)` the cluster rejected, and hosts with no scan.
        Problems { rejected: Vec<(String, String)>, unscanned: Vec<String> },
        Tally { stored: usize, failed: usize },
        BmcHint { cells: String },
        FailedHint,
    }
}

impl Localize for IpmiMsg {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::NoBmc { cells }, En) => format!("no BMC addresses in the workbook ({cells})"),
            (Self::NoBmc { cells }, ZhCn) => format!("规划表中没有 BMC 地址（{cells}）"),
            (Self::NotScanned { hosts }, En) => format!(
                "BMC accounts not stored: no host scan for {}",
                hosts.join(", ")
            ),
            (Self::NotScanned { hosts }, ZhCn) => format!(
                "未保存 BMC 账号：这些主机没有扫描结果：{}",
                list(lang, hosts)
            ),
            (Self::RescanHint, En) => {
                "run the prepare stage again (it scans the hosts), then this one".into()
            }
            (Self::RescanHint, ZhCn) => "重新运行准备阶段（它会扫描主机），再运行本阶段".into(),
            (Self::WouldStore { count }, En) => format!("would store {count} BMC account(s)"),
            (Self::WouldStore { count }, ZhCn) => format!("将保存 {count} 个 BMC 账号"),
            (
                Self::Stored {
                    count,
                    already,
                    unread,
                },
                _,
            ) => {
                let mut said = match lang {
                    En => format!("{count} BMC account(s) stored"),
                    ZhCn => format!("已保存 {count} 个 BMC 账号"),
                };
                if *already > 0 {
                    said.push_str(&match lang {
                        En => format!(", {already} already set (same user and address)"),
                        ZhCn => format!("，另有 {already} 个已设置（用户名和地址相同）"),
                    });
                }
                match (unread, lang) {
                    (None, _) => said,
                    (Some(unread), En) => format!("{said} ({})", unread.clause(lang)),
                    (Some(unread), ZhCn) => format!("{said}（{}）", unread.clause(lang)),
                }
            }
            (Self::AlreadySet { count }, En) => format!(
                "{count} BMC account(s) already set, not sent again: user and BMC address as in the workbook (passwords cannot be read back, so they were not compared)"
            ),
            (Self::AlreadySet { count }, ZhCn) => format!(
                "{count} 个 BMC 账号已设置，未再发送：用户名和 BMC 地址与规划表一致（密码无法读回，未比对）"
            ),
            (
                Self::Problems {
                    rejected,
                    unscanned,
                },
                _,
            ) => {
                let mut problems: Vec<String> = rejected
                    .iter()
                    .map(|(node, bmc)| match lang {
                        En => format!("{node} (BMC {bmc}) rejected"),
                        ZhCn => format!("{node}（BMC {bmc}）被拒绝"),
                    })
                    .collect();
                problems.extend(unscanned.iter().map(|host| match lang {
                    En => format!("{host}: no host scan"),
                    ZhCn => format!("{host}：没有主机扫描结果"),
                }));
                clauses(lang, &problems)
            }
            (Self::Tally { stored, failed }, En) => format!("{stored} stored, {failed} failed"),
            (Self::Tally { stored, failed }, ZhCn) => {
                format!("成功 {stored} 个，失败 {failed} 个")
            }
            (Self::BmcHint { cells }, En) => format!(
                "check each BMC address, user and password ({cells}) and that the BMC answers on port 623"
            ),
            (Self::BmcHint { cells }, ZhCn) => {
                format!("检查每个 BMC 的地址、用户名和密码（{cells}），并确认 BMC 在 623 端口应答")
            }
            (Self::FailedHint, En) => {
                "enter the BMC accounts in Fisheye, or fix the cause and run again".into()
            }
            (Self::FailedHint, ZhCn) => "在 Fisheye 中录入 BMC 账号，或排除原因后重新运行".into(),
        }
    }
}
