//! `smtx-deploy check`: compares a live cluster with its workbook, read-only,
//! and prints what differs in the manner of `terraform plan` (`+` missing on
//! the cluster, `~` different, `-` extra, `?` cannot verify), or the report
//! as `--json`. `--plans` checks a fleet (see `fleet`). Exit codes: 0 in
//! sync, 3 drift found, 1 could not check, 2 bad input.

use std::path::PathBuf;

use anyhow::Context;
use smtx_engine::check::{CheckItem, CheckReport, CheckRequest, CheckStatus, Drift, Note};

use super::BadInput;
use super::run::{default_run_dir, load_workbook};
use super::shared::FleetArgs;
use crate::Outcome;
use crate::i18n::{Lang, Localize};
use crate::settings::{self, ConnectionArgs, RunSettingsArgs};
use smtx_i18n::display_width;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The planning workbook (xlsx).
    #[arg(
        long = "plan",
        value_name = "WORKBOOK",
        required_unless_present = "plans"
    )]
    pub plan: Option<PathBuf>,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The VMTools ISO whose image should be on the cluster (default: newest
    /// SMTX_VMTOOLS-*.iso in the current directory; none: not checked).
    #[arg(long)]
    pub vmtools_iso: Option<PathBuf>,
    /// Leave the CPU model out, as `run --no-cpu-compatibility` leaves it alone.
    #[arg(long)]
    pub no_cpu_compatibility: bool,
    /// Leave the hosts' passwords out, as `run --no-host-passwords` leaves them alone.
    #[arg(long)]
    pub no_host_passwords: bool,
}

impl CheckArgs {
    pub fn options(&self) -> RunSettingsArgs {
        RunSettingsArgs {
            vmtools_iso: self.vmtools_iso.clone(),
            no_cpu_compatibility: self.no_cpu_compatibility,
            no_host_passwords: self.no_host_passwords,
            ..RunSettingsArgs::default()
        }
    }
}

/// One cluster's check against its workbook `plan` (`main` sends
/// `--plans` to the fleet).
pub async fn run(plan: PathBuf, args: CheckArgs, lang: Lang) -> anyhow::Result<Outcome> {
    let Some(workbook) = load_workbook(&plan, lang)? else {
        return Ok(Outcome::BadInput);
    };
    // The run directory is never made: it only places known_hosts where a
    // run would have pinned the host keys (`runs/known_hosts`).
    let default_dir = default_run_dir(&workbook.plan.cluster.name);
    let settings = settings::resolve(&args.connection, &args.options(), lang, default_dir)?;
    let report = smtx_engine::check::check(CheckRequest { settings, workbook })
        .await
        .map_err(|error| BadInput(error.to_string()))?;
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report)
                .with_context(|| crate::i18n::CliMsg::CannotPrintReport.localize(lang))?
        );
    } else {
        out!("{}", render(lang, &report));
    }
    Ok(outcome(&report))
}

pub fn outcome(report: &CheckReport) -> Outcome {
    match report.status {
        CheckStatus::InSync => Outcome::Ok,
        CheckStatus::Drift => Outcome::Drift,
        CheckStatus::CouldNotCheck => Outcome::Failed,
    }
}

fn symbol(drift: Drift) -> &'static str {
    match drift {
        Drift::InSync => "=",
        Drift::Missing => "+",
        Drift::Different => "~",
        Drift::Extra => "-",
        Drift::CannotVerify => "?",
        Drift::NotChecked => "·",
    }
}

/// The report as the terminal shows it: a line per item that is not in
/// sync, then the verdict and the counts.
pub fn render(lang: Lang, report: &CheckReport) -> String {
    let mut out = format!(
        "{} {} ({})\n",
        text(lang, CheckMsg::Checking),
        report.cluster,
        report.workbook.display()
    );
    if let Some(error) = &report.error {
        out.push_str(&format!(
            "  {}: {error}\n",
            text(lang, CheckMsg::CouldNotCheck)
        ));
    }
    let width = report
        .items
        .iter()
        .filter(|item| item.drift != Drift::InSync)
        .map(|item| display_width(&label(lang, item)))
        .max()
        .unwrap_or(0)
        .max(16);
    for item in report
        .items
        .iter()
        .filter(|item| item.drift != Drift::InSync)
    {
        let name = label(lang, item);
        let fill = " ".repeat(width.saturating_sub(display_width(&name)));
        out.push_str(&format!(
            "  {} {name}{fill}  {}\n",
            symbol(item.drift),
            describe(lang, item)
        ));
    }
    out.push_str(&summary(lang, report));
    out.push('\n');
    out
}

/// One line: the verdict and what it counts.
pub fn summary(lang: Lang, report: &CheckReport) -> String {
    let verdict = match report.status {
        CheckStatus::InSync => text(lang, CheckMsg::InSync),
        CheckStatus::Drift => text(lang, CheckMsg::DriftFound),
        CheckStatus::CouldNotCheck => text(lang, CheckMsg::CouldNotCheck),
    };
    let mut counts = Vec::new();
    for (drift, msg) in [
        (Drift::Missing, CheckMsg::CountMissing),
        (Drift::Different, CheckMsg::CountDifferent),
        (Drift::Extra, CheckMsg::CountExtra),
        (Drift::InSync, CheckMsg::CountInSync),
        (Drift::CannotVerify, CheckMsg::CountCannotVerify),
    ] {
        let count = report.count(drift);
        if count > 0 {
            counts.push(format!("{count} {}", text(lang, msg)));
        }
    }
    match (counts.is_empty(), lang) {
        (true, _) => verdict.to_owned(),
        (false, Lang::En) => format!("{verdict} ({})", counts.join(", ")),
        (false, Lang::ZhCn) => format!("{verdict}（{}）", counts.join("，")),
    }
}

fn describe(lang: Lang, item: &CheckItem) -> String {
    let none = "—";
    let expected = item.expected.as_deref().unwrap_or(none);
    let actual = item.actual.as_deref().unwrap_or(none);
    let separator = if lang == Lang::ZhCn { "：" } else { ": " };
    // Where the note says it all ("still the deployment password", "the
    // admin password does not log in"), it stands alone.
    if let Some(note) = &item.note {
        match (item.drift, &item.expected, &item.actual) {
            (Drift::Missing, None, _) => return note_text(lang, note),
            (Drift::Different, Some(expected), None) => {
                return format!("{expected}{separator}{}", note_text(lang, note));
            }
            _ => {}
        }
    }
    let mut line = match (item.drift, lang) {
        (Drift::Missing, Lang::En) => format!("missing on the cluster: {expected}"),
        (Drift::Missing, Lang::ZhCn) => format!("集群上缺少：{expected}"),
        (Drift::Different, Lang::En) => format!("workbook {expected}, cluster {actual}"),
        (Drift::Different, Lang::ZhCn) => format!("规划表 {expected}，集群 {actual}"),
        (Drift::Extra, Lang::En) => format!("on the cluster, not in the workbook: {actual}"),
        (Drift::Extra, Lang::ZhCn) => format!("集群上多出（规划表中没有）：{actual}"),
        (Drift::CannotVerify, Lang::En) => format!("cannot verify {}", label(lang, item)),
        (Drift::CannotVerify, Lang::ZhCn) => format!("无法核对{}", label(lang, item)),
        (Drift::NotChecked, Lang::En) => "not checked".to_owned(),
        (Drift::NotChecked, Lang::ZhCn) => "未检查".to_owned(),
        (Drift::InSync, Lang::En) => format!("in sync: {expected}"),
        (Drift::InSync, Lang::ZhCn) => format!("一致：{expected}"),
    };
    if let Some(note) = &item.note {
        let note = note_text(lang, note);
        if matches!(item.drift, Drift::CannotVerify | Drift::NotChecked) {
            line = format!("{line}{separator}{note}");
        } else {
            line = format!("{line} ({note})");
        }
    }
    line
}

/// An item's name: the item and what it is about.
fn label(lang: Lang, item: &CheckItem) -> String {
    let name = item_name(lang, item.item);
    match &item.subject {
        Some(subject) => format!("{name} {subject}"),
        None => name.to_owned(),
    }
}

fn item_name(lang: Lang, item: &str) -> &str {
    if lang == Lang::En {
        return item;
    }
    match item {
        "admin_login" => "管理员登录",
        "vip" => "管理 VIP",
        "dns" => "DNS",
        "ntp" => "NTP",
        "bmc" => "带外账号",
        "business_vds" => "业务虚拟交换机",
        "vds_bond_mode" => "交换机绑定模式",
        "vds_nics" => "交换机网口",
        "vlan" => "业务网络",
        "host_key" => "主机 SSH 密钥",
        "host_password" => "主机密码",
        "cpu_compatibility" => "CPU 兼容性",
        "serial" => "序列号",
        "vmtools" => "VMTools 镜像",
        other => other,
    }
}

fn note_text(lang: Lang, note: &Note) -> String {
    let zh = lang == Lang::ZhCn;
    let fixed = match note {
        Note::Error(text) => return text.clone(),
        Note::AdminPasswordRefused if zh => {
            "规划表中的管理员密码无法登录（集群未初始化，或密码不同）"
        }
        Note::AdminPasswordRefused => {
            "the workbook's admin password does not log in (not initialized, or another password)"
        }
        Note::NoSession if zh => "没有会话（管理员无法登录）",
        Note::NoSession => "no session (the admin cannot log in)",
        Note::NotInWorkbook if zh => "规划表中没有",
        Note::NotInWorkbook => "not in the workbook",
        Note::TurnedOff if zh => "设置中已关闭",
        Note::TurnedOff => "turned off in the settings",
        Note::OrderDiffers if zh => "顺序不同",
        Note::OrderDiffers => "same servers, another order",
        Note::NtpModeDiffers if zh => "NTP 模式不是 external",
        Note::NtpModeDiffers => "NTP mode is not external",
        Note::BmcUnreachable if zh => "已保存，但集群连不上该 BMC",
        Note::BmcUnreachable => "stored, but the cluster cannot reach the BMC",
        Note::NoHostsListed if zh => "集群未列出该交换机的主机",
        Note::NoHostsListed => "the cluster lists no hosts for the switch",
        Note::HostNotOnSwitch if zh => "主机不在该交换机上",
        Note::HostNotOnSwitch => "the host is not on the switch",
        Note::NoCpuRecommendation if zh => "集群没有推荐的 CPU 型号",
        Note::NoCpuRecommendation => "the cluster recommends no CPU model",
        Note::OtherSerialCell if zh => "只核对规划表中「Cluster SN」所在的单元格",
        Note::OtherSerialCell => "only the workbook's Cluster SN cell is read",
        Note::RehearsalSerial if zh => "演练不把序列号写入规划表（写入运行目录中的副本）",
        Note::RehearsalSerial => {
            "a rehearsal keeps the serial out of the workbook (its run directory has a copy)"
        }
        Note::NoIso if zh => "未配置 VMTools ISO，当前目录也没有",
        Note::NoIso => "no VMTools ISO configured or in the current directory",
        Note::UploadIncomplete if zh => "上传未完成",
        Note::UploadIncomplete => "the upload is incomplete",
        Note::SizeDiffers if zh => "大小与 ISO 不同",
        Note::SizeDiffers => "another size than the ISO",
        Note::NotRotated if zh => "仍是部署时的密码，未轮换",
        Note::NotRotated => "still the deployment password: not rotated",
        Note::NoPasswordAccepted if zh => "规划表密码和部署密码都无法登录",
        Note::NoPasswordAccepted => "neither the workbook's nor the deployment password logs in",
        Note::HostKeyChanged if zh => "主机密钥已变，未发送密码",
        Note::HostKeyChanged => "the host key changed, no password was sent",
        Note::NotPinned if zh => "尚未记录主机密钥（运行后会记录）",
        Note::NotPinned => "no host key pinned yet (a run pins it)",
    };
    fixed.to_owned()
}

/// The check's fixed strings, in both languages (the pattern of `i18n.rs`,
/// kept beside the command until the catalogue takes them).
#[derive(Debug, Clone, Copy)]
pub enum CheckMsg {
    Checking,
    InSync,
    DriftFound,
    CouldNotCheck,
    CountMissing,
    CountDifferent,
    CountExtra,
    CountInSync,
    CountCannotVerify,
}

pub fn text(lang: Lang, msg: CheckMsg) -> &'static str {
    use CheckMsg::*;
    match (lang, msg) {
        (Lang::En, Checking) => "check",
        (Lang::ZhCn, Checking) => "核对",
        (Lang::En, InSync) => "in sync",
        (Lang::ZhCn, InSync) => "与规划表一致",
        (Lang::En, DriftFound) => "drift found",
        (Lang::ZhCn, DriftFound) => "发现偏差",
        (Lang::En, CouldNotCheck) => "could not check",
        (Lang::ZhCn, CouldNotCheck) => "无法核对",
        (Lang::En, CountMissing) => "missing",
        (Lang::ZhCn, CountMissing) => "项缺少",
        (Lang::En, CountDifferent) => "different",
        (Lang::ZhCn, CountDifferent) => "项不一致",
        (Lang::En, CountExtra) => "extra",
        (Lang::ZhCn, CountExtra) => "项多出",
        (Lang::En, CountInSync) => "in sync",
        (Lang::ZhCn, CountInSync) => "项一致",
        (Lang::En, CountCannotVerify) => "cannot be verified",
        (Lang::ZhCn, CountCannotVerify) => "项无法核对",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> CheckReport {
        let item = |item,
                    subject: Option<&str>,
                    drift,
                    expected: Option<&str>,
                    actual: Option<&str>,
                    note| CheckItem {
            item,
            subject: subject.map(str::to_owned),
            drift,
            expected: expected.map(str::to_owned),
            actual: actual.map(str::to_owned),
            note,
        };
        CheckReport {
            cluster: "CN-01".to_owned(),
            workbook: PathBuf::from("site.xlsx"),
            status: CheckStatus::Drift,
            items: vec![
                item("vip", None, Drift::InSync, Some("10.0.20.10"), None, None),
                item(
                    "vlan",
                    Some("VLAN-9"),
                    Drift::Missing,
                    Some("9"),
                    None,
                    None,
                ),
                item("vlan", Some("VLAN-7"), Drift::Extra, None, Some("7"), None),
                item(
                    "dns",
                    None,
                    Drift::Different,
                    Some("10.0.0.1"),
                    Some("10.0.0.2"),
                    None,
                ),
                item(
                    "host_password",
                    Some("node-01"),
                    Drift::Missing,
                    None,
                    None,
                    Some(Note::NotRotated),
                ),
                item(
                    "ntp",
                    None,
                    Drift::CannotVerify,
                    None,
                    None,
                    Some(Note::Error("GET /api/v2/settings/ntp: HTTP 404".to_owned())),
                ),
            ],
            error: None,
            elapsed_ms: 5,
        }
    }

    #[test]
    fn drift_reads_like_terraform_plan_in_english() {
        let text = render(Lang::En, &report());
        assert!(text.contains("+ vlan VLAN-9"), "{text}");
        assert!(text.contains("missing on the cluster: 9"), "{text}");
        assert!(text.contains("- vlan VLAN-7"), "{text}");
        assert!(
            text.contains("~ dns") && text.contains("workbook 10.0.0.1, cluster 10.0.0.2"),
            "{text}"
        );
        assert!(
            text.contains("still the deployment password: not rotated"),
            "{text}"
        );
        assert!(
            text.contains("? ntp")
                && text.contains("cannot verify ntp: GET /api/v2/settings/ntp: HTTP 404"),
            "{text}"
        );
        assert!(
            !text.contains("= vip"),
            "in-sync items are only counted: {text}"
        );
        assert!(
            text.contains(
                "drift found (2 missing, 1 different, 1 extra, 1 in sync, 1 cannot be verified)"
            ),
            "{text}"
        );
    }

    #[test]
    fn and_in_chinese() {
        let text = render(Lang::ZhCn, &report());
        assert!(text.contains("+ 业务网络 VLAN-9"), "{text}");
        assert!(text.contains("集群上缺少：9"), "{text}");
        assert!(text.contains("规划表 10.0.0.1，集群 10.0.0.2"), "{text}");
        assert!(text.contains("无法核对NTP"), "{text}");
        assert!(text.contains("发现偏差（2 项缺少"), "{text}");
    }
}
