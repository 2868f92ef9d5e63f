//! Messages in English and Chinese. The language comes from `--lang`, else
//! `SMTX_LANG`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`).

use smtx_engine::StepStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    #[value(name = "en")]
    En,
    #[value(name = "zh-CN", alias = "zh", alias = "zh_CN")]
    ZhCn,
}

impl Lang {
    pub fn detect(flag: Option<Lang>) -> Lang {
        if let Some(lang) = flag {
            return lang;
        }
        for var in ["SMTX_LANG", "LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(value) = std::env::var(var)
                && !value.is_empty()
            {
                return if value.to_ascii_lowercase().starts_with("zh") {
                    Lang::ZhCn
                } else {
                    Lang::En
                };
            }
        }
        Lang::En
    }
}

/// Every fixed string the CLI prints, in both languages.
#[derive(Debug, Clone, Copy)]
pub enum Msg {
    Stage,
    Step,
    Status,
    Time,
    Summary,
    RunDir,
    Workbook,
    Serial,
    DryRunCalls,
    WorkbookHasErrors,
    RunOk,
    RunWarnings,
    RunFailed,
    HintWarnings,
    HintFailed,
    DemoStarting,
    DemoSimulator,
}

pub fn text(lang: Lang, msg: Msg) -> &'static str {
    use Msg::*;
    match (lang, msg) {
        (Lang::En, Stage) => "stage",
        (Lang::ZhCn, Stage) => "阶段",
        (Lang::En, Step) => "step",
        (Lang::ZhCn, Step) => "步骤",
        (Lang::En, Status) => "status",
        (Lang::ZhCn, Status) => "状态",
        (Lang::En, Time) => "time",
        (Lang::ZhCn, Time) => "耗时",
        (Lang::En, Summary) => "summary",
        (Lang::ZhCn, Summary) => "汇总",
        (Lang::En, RunDir) => "run directory",
        (Lang::ZhCn, RunDir) => "运行目录",
        (Lang::En, Workbook) => "workbook",
        (Lang::ZhCn, Workbook) => "规划表",
        (Lang::En, Serial) => "cluster serial",
        (Lang::ZhCn, Serial) => "集群序列号",
        (Lang::En, DryRunCalls) => "dry run: calls that would be made (payloads redacted)",
        (Lang::ZhCn, DryRunCalls) => "演练模式：将要发出的调用（敏感字段已隐藏）",
        (Lang::En, WorkbookHasErrors) => "the workbook has errors; fix them and run again",
        (Lang::ZhCn, WorkbookHasErrors) => "规划表有错误，请修正后重新运行",
        (Lang::En, RunOk) => "done: every step ok",
        (Lang::ZhCn, RunOk) => "完成：所有步骤成功",
        (Lang::En, RunWarnings) => "done with warnings",
        (Lang::ZhCn, RunWarnings) => "完成，但有警告",
        (Lang::En, RunFailed) => "failed",
        (Lang::ZhCn, RunFailed) => "失败",
        (Lang::En, HintWarnings) => {
            "hint: fix what the warnings say, then run again: finished steps are found, not repeated"
        }
        (Lang::ZhCn, HintWarnings) => {
            "hint: 按警告提示处理后重新运行：已完成的步骤会被识别，不会重复执行"
        }
        (Lang::En, HintFailed) => {
            "hint: see the failed step above and logs/stage_config_cluster.log in the run directory"
        }
        (Lang::ZhCn, HintFailed) => {
            "hint: 查看上面失败的步骤以及运行目录中的 logs/stage_config_cluster.log"
        }
        (Lang::En, DemoStarting) => "demo: example workbook and simulated cluster",
        (Lang::ZhCn, DemoStarting) => "演示：示例规划表与模拟集群",
        (Lang::En, DemoSimulator) => "simulated cluster",
        (Lang::ZhCn, DemoSimulator) => "模拟集群",
    }
}

pub fn status_word(lang: Lang, status: StepStatus) -> &'static str {
    match (lang, status) {
        (Lang::En, StepStatus::Ok) => "ok",
        (Lang::En, StepStatus::Skipped) => "skipped",
        (Lang::En, StepStatus::Warning) => "warning",
        (Lang::En, StepStatus::Failed) => "FAILED",
        (Lang::ZhCn, StepStatus::Ok) => "成功",
        (Lang::ZhCn, StepStatus::Skipped) => "跳过",
        (Lang::ZhCn, StepStatus::Warning) => "警告",
        (Lang::ZhCn, StepStatus::Failed) => "失败",
        (Lang::En, StepStatus::Aborted) => "ABORTED",
        (Lang::ZhCn, StepStatus::Aborted) => "已中止",
    }
}

/// A step's name as the terminal shows it: the action itself in English, a
/// Chinese name (with the action's own detail, a host or a network) in
/// Chinese. Reports and logs keep the action as it is.
pub fn step_label(lang: Lang, action: &str) -> String {
    if lang == Lang::En {
        return action.to_string();
    }
    let (head, rest) = match action.split_once(' ') {
        Some((head, rest)) => (head, Some(rest)),
        None => (action, None),
    };
    let name = match head {
        "workbook" => "规划表",
        "host_scan" => "主机扫描",
        "check_nics" => "网口检查",
        "deploy_verify" => "部署校验",
        "preconditions" => "前置检查",
        "setup_root" => "初始化管理员",
        "login" => "登录",
        "set_vip" => "设置管理 VIP",
        "set_dns" => "设置 DNS",
        "set_ntp" => "设置 NTP",
        "ipmi_accounts" => "带外账号",
        "business_vds" => "业务虚拟交换机",
        "vlans" | "vlan" => "业务网络",
        "verify_vlans" => "核对业务网络",
        "host_password" => "主机密码",
        "host_passwords" => "主机密码汇总",
        "vmtools_upload" => "上传 VMTools",
        "cpu_compatibility" => "CPU 兼容性",
        "serial" => "序列号回填",
        _ => return action.to_string(),
    };
    match rest {
        Some(rest) => format!("{name} {rest}"),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_labels() {
        assert_eq!(step_label(Lang::En, "set_dns"), "set_dns");
        assert_eq!(step_label(Lang::ZhCn, "set_dns"), "设置 DNS");
        assert_eq!(
            step_label(Lang::ZhCn, "host_password node-01 (10.0.20.11)"),
            "主机密码 node-01 (10.0.20.11)"
        );
        assert_eq!(step_label(Lang::ZhCn, "something_new"), "something_new");
    }
}
