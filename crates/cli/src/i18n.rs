//! Messages in English and Chinese. The language comes from `--lang`, else
//! `SMTX_LANG`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`).

use smtx_engine::{StepCounts, StepStatus};
use smtx_i18n::quoted;

mod plan;
mod serve;
mod settings;
mod sim;

pub use plan::PlanMsg;
pub use serve::ServeMsg;
pub use sim::SimMsg;
pub use smtx_i18n::{Lang, Localize, Text};

pub use smtx_engine::messages::errors::override_error;

/// `--lang`'s parser: `en`, `zh-CN` (also `zh`, `zh_CN`).
pub fn parse_lang(text: &str) -> Result<Lang, smtx_i18n::UnknownLang> {
    text.parse()
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
        (Lang::ZhCn, DryRunCalls) => "试运行：将要发出的调用（敏感字段已隐藏）",
        (Lang::En, WorkbookHasErrors) => "the workbook has errors; fix them and run again",
        (Lang::ZhCn, WorkbookHasErrors) => "规划表有错误，请修正后重新运行",
        (Lang::En, HintWarnings) => {
            "hint: fix what the warnings say, then run again: the settings, BMC accounts, switches, networks and passwords the cluster already has are not sent again"
        }
        (Lang::ZhCn, HintWarnings) => {
            "提示：按警告提示处理后重新运行：集群上已有的设置、BMC 账号、交换机、网络和密码不会再次发送"
        }
        (Lang::En, HintFailed) => "hint: see the failed step above",
        (Lang::ZhCn, HintFailed) => "提示：查看上面失败的步骤",
        (Lang::En, DemoStarting) => "demo: example workbook and simulated cluster",
        (Lang::ZhCn, DemoStarting) => "演示：示例规划表与模拟集群",
        (Lang::En, DemoSimulator) => "simulated cluster",
        (Lang::ZhCn, DemoSimulator) => "模拟集群",
    }
}

/// `done: 14 ok, 2 warnings, 1 skipped` (or `failed: …`): the run's verdict
/// with every status counted, so no warning or skip hides behind "ok".
pub fn summary_line(lang: Lang, counts: StepCounts) -> String {
    let verdict = if counts.aborted > 0 {
        StepStatus::Aborted
    } else if counts.failed > 0 {
        StepStatus::Failed
    } else {
        StepStatus::Ok
    };
    let parts = counts_text(lang, counts);
    match (lang, verdict) {
        (Lang::En, StepStatus::Aborted) => format!("aborted: {parts}"),
        (Lang::En, StepStatus::Failed) => format!("failed: {parts}"),
        (Lang::En, _) => format!("done: {parts}"),
        (Lang::ZhCn, StepStatus::Aborted) => format!("已中止：{parts}"),
        (Lang::ZhCn, StepStatus::Failed) => format!("失败：{parts}"),
        (Lang::ZhCn, _) => format!("完成：{parts}"),
    }
}

/// `14 ok, 2 warnings, 1 skipped`: ok always, the others when there are any.
fn counts_text(lang: Lang, counts: StepCounts) -> String {
    let failed = counts.failed > 0;
    let parts: Vec<String> = match lang {
        Lang::En => {
            let plural = |n: usize, word: &str| {
                if n == 1 {
                    format!("{n} {word}")
                } else {
                    format!("{n} {word}s")
                }
            };
            let mut parts = vec![format!("{} ok", counts.ok)];
            if counts.warning > 0 {
                parts.push(plural(counts.warning, "warning"));
            }
            if counts.skipped > 0 {
                parts.push(format!("{} skipped", counts.skipped));
            }
            if failed {
                parts.push(format!("{} failed", counts.failed));
            }
            if counts.aborted > 0 {
                parts.push(format!("{} aborted", counts.aborted));
            }
            parts
        }
        Lang::ZhCn => {
            let mut parts = vec![format!("成功 {} 项", counts.ok)];
            if counts.warning > 0 {
                parts.push(format!("警告 {} 项", counts.warning));
            }
            if counts.skipped > 0 {
                parts.push(format!("跳过 {} 项", counts.skipped));
            }
            if failed {
                parts.push(format!("失败 {} 项", counts.failed));
            }
            if counts.aborted > 0 {
                parts.push(format!("中止 {} 项", counts.aborted));
            }
            parts
        }
    };
    match lang {
        Lang::En => parts.join(", "),
        Lang::ZhCn => parts.join("，"),
    }
}

/// A dry run's verdict: nothing changed, how many calls would have been
/// sent, and the steps counted as they would have gone.
pub fn dry_run_summary(lang: Lang, calls: usize, counts: StepCounts) -> String {
    let steps = counts_text(lang, counts);
    match lang {
        Lang::En => format!(
            "dry run: nothing was changed; {calls} call(s) planned (listed above); steps: {steps}"
        ),
        Lang::ZhCn => {
            format!("试运行：未做任何更改；计划发出 {calls} 个调用（见上）；步骤：{steps}")
        }
    }
}

/// Where a run is going, printed before its first call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A settings file written by `smtx-deploy sim`.
    Rehearsal,
    Live,
    DryRun,
}

pub fn target_line(lang: Lang, base: &str, via: Option<&str>, kind: TargetKind) -> String {
    let via = match (lang, via) {
        (_, None) => String::new(),
        (Lang::En, Some(via)) => format!(" (via {via})"),
        (Lang::ZhCn, Some(via)) => format!("（经 {via}）"),
    };
    match (lang, kind) {
        (Lang::En, TargetKind::Rehearsal) => {
            format!("target: {base}{via} — rehearsal against the simulator")
        }
        (Lang::En, TargetKind::Live) => format!("target: {base}{via} — live cluster"),
        (Lang::En, TargetKind::DryRun) => {
            format!("target: {base}{via} — dry run, nothing is sent")
        }
        (Lang::ZhCn, TargetKind::Rehearsal) => format!("目标：{base}{via} —— 对模拟集群演练"),
        (Lang::ZhCn, TargetKind::Live) => format!("目标：{base}{via} —— 真实集群"),
        (Lang::ZhCn, TargetKind::DryRun) => {
            format!("目标：{base}{via} —— 试运行，不发送任何请求")
        }
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

/// The prefix of an error line: `error: …` / `错误：…`.
pub fn error_line(lang: Lang, message: &str) -> String {
    match lang {
        Lang::En => format!("error: {message}"),
        Lang::ZhCn => format!("错误：{message}"),
    }
}

/// An error and its causes on one line, as `{:#}` prints them in English.
/// In Chinese the parts are joined with "：", and what the system or a
/// library said (not ours) is in its Chinese words or quoted.
pub fn error_chain(lang: Lang, error: &anyhow::Error) -> String {
    if lang == Lang::En {
        return format!("{error:#}");
    }
    error
        .chain()
        .map(|cause| {
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                smtx_i18n::io_error(lang, io)
            } else if cause.is::<serde_json::Error>() {
                quoted(lang, &cause.to_string())
            } else {
                cause.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("：")
}

/// Why `--from` names the run directory of another cluster, or of the
/// other kind of run: the engine's check, shared with the web console.
pub use smtx_engine::preflight::FromMismatch;

smtx_i18n::catalog! {
    /// What the commands say besides the run's steps.
    pub enum CliMsg {
        CannotReadWorkbook { file: String, reason: Text },
        /// The CA certificate file named in the settings cannot be read.
        CaUnreadable { path: String, cause: String },
        /// A rehearsal writes the serial into a copy, never the customer's workbook.
        RehearsalCopy { copy: String, original: String },
        /// The failed stage's log, when the run wrote one.
        SeeLog { log: String },
        /// `--from` names the run directory of another cluster (or kind of run).
        FromMismatch { dir: String, why: FromMismatch },
        FromUnreadable { error: Text },
        /// An ISO named explicitly (flag or settings file) that is not a file.
        MissingIso { iso: String, reason: smtx_engine::preflight::IsoProblem },
        RunFailed { error: Text },
        CannotPrintReport,
        /// A file or directory the system refused (its words in [`Text::io`]).
        PathError { path: String, reason: Text },
        /// `--plans` (run, check, sim): a pattern with a wildcard in a directory.
        PlansWildcardInDir { pattern: String },
        PlansNotFound { pattern: String },
        PlansNoWorkbook { pattern: String },
        /// Two workbooks of one fleet with one file name.
        PlansSameName { first: String, second: String, stem: String },
        TooManyRunDirs { name: String },
        /// A simulated host: where its HTTP(S) and SSH answer.
        SimNode { name: String, ip: String, url: String, ssh: Option<String> },
        CannotCreate { path: String },
        CannotWrite { path: String },
        CannotStartSim,
        ExampleInvalid,
        NoRuntime { reason: String },
        Stopping,
        QuitNow,
        Aborted,
        /// Aborted where nothing can be continued (`demo`: its simulator
        /// ended with it).
        AbortedStartAgain,
        /// A transfer's progress line (when stderr is not a terminal).
        Upload { file: String, bytes_done: u64, total: u64, bytes_per_sec: u64, eta_secs: Option<u64> },
        /// `serve` off loopback without `--token`: the one it made up, shown once.
        ConsoleToken { token: String },
        /// `serve` on Ctrl-C: the runs are aborted and waited for.
        ConsoleStopping,
        ConsoleFailed { error: Text },
        /// `run --from DIR` alone, DIR without a launch record (a run of an
        /// earlier version, or not a run directory).
        NoLaunchRecord { dir: String },
        /// `run --from DIR` alone, DIR a demo's run: its simulator is gone.
        ResumeOfDemo { dir: String },
        /// `run --from DIR` alone, DIR a console run: the console resumes it.
        ResumeOfConsoleRun { dir: String },
        /// `run --from DIR` with a flag that says otherwise than DIR's run.
        ResumeConflict { dir: String, given: String, recorded: String },
        /// `run` with neither a workbook nor a run to continue.
        PlanOrFrom,
        /// `serve`: the data directory (or a file in it) cannot be written.
        ConsoleDataDirUnusable { error: Text },
        /// `report RUN_DIR` where the run left no delivery record.
        NoDeliveryRecord { dir: String, error: Text },
    }
}

impl CliMsg {
    /// "cannot create PATH", for a context on a failed `create_dir_all`.
    pub fn cannot_create(path: &std::path::Path, lang: Lang) -> String {
        Self::CannotCreate {
            path: path.display().to_string(),
        }
        .localize(lang)
    }

    /// "cannot write PATH", for a context on a failed write.
    pub fn cannot_write(path: &std::path::Path, lang: Lang) -> String {
        Self::CannotWrite {
            path: path.display().to_string(),
        }
        .localize(lang)
    }
}

impl Localize for CliMsg {
    fn localize(&self, lang: Lang) -> String {
        use Lang::{En, ZhCn};
        match (self, lang) {
            // The reason says "cannot read" itself (`WorkbookFileError`).
            (Self::CannotReadWorkbook { file, reason }, En) => format!("{file}: {}", reason.en),
            (Self::CannotReadWorkbook { file, reason }, ZhCn) => {
                format!("{file}：{}", reason.zh_cn)
            }
            (Self::CaUnreadable { path, cause }, En) => format!("CA certificate {path}: {cause}"),
            (Self::CaUnreadable { path, cause }, ZhCn) => {
                format!("CA 证书 {path}：无法读取：{}", quoted(lang, cause))
            }
            (Self::RehearsalCopy { copy, original }, En) => {
                format!("rehearsal: the serial goes into {copy}; {original} is left as it is")
            }
            (Self::RehearsalCopy { copy, original }, ZhCn) => {
                format!("演练：序列号写入副本 {copy}，{original} 保持不变")
            }
            (Self::SeeLog { log }, En) => format!("hint: see the failed step above and {log}"),
            (Self::SeeLog { log }, ZhCn) => format!("提示：查看上面失败的步骤以及 {log}"),
            (Self::FromMismatch { dir, why }, En) => format!(
                "--from {dir}: {}; refusing to reuse it (hint: run prepare again without --from, \
                 or pass the run directory of this cluster)",
                why.localize(lang)
            ),
            (Self::FromMismatch { dir, why }, ZhCn) => format!(
                "--from {dir}：{}；拒绝使用（提示：去掉 --from 重新运行准备阶段，或指定本集群的运行目录）",
                why.localize(lang)
            ),
            (Self::FromUnreadable { error }, _) => match lang {
                En => format!("--from: {}", error.en),
                ZhCn => format!("--from：{}", error.zh_cn),
            },
            (Self::MissingIso { iso, reason }, En) => format!(
                "--vmtools-iso {iso}: {reason} (hint: check the path, or leave --vmtools-iso and \
                 vmtools.iso out to use the newest SMTX_VMTOOLS-*.iso in the current directory)"
            ),
            (Self::MissingIso { iso, reason }, ZhCn) => format!(
                "--vmtools-iso {iso}：{}（提示：检查路径；或不指定 --vmtools-iso 与 vmtools.iso，\
                 使用当前目录中最新的 SMTX_VMTOOLS-*.iso）",
                reason.localize(lang)
            ),
            (Self::RunFailed { error }, En) => format!("run failed: {}", error.en),
            (Self::RunFailed { error }, ZhCn) => format!("运行失败：{}", error.zh_cn),
            (Self::CannotPrintReport, En) => "cannot print the report".into(),
            (Self::CannotPrintReport, ZhCn) => "无法输出报告".into(),
            (Self::PathError { path, reason }, En) => format!("{path}: {}", reason.en),
            (Self::PathError { path, reason }, ZhCn) => format!("{path}：{}", reason.zh_cn),
            (Self::PlansWildcardInDir { pattern }, En) => {
                format!("--plans {pattern:?}: wildcards only in the file name")
            }
            (Self::PlansWildcardInDir { pattern }, ZhCn) => {
                format!("--plans {pattern:?}：通配符只能用在文件名中")
            }
            (Self::PlansNotFound { pattern }, En) => {
                format!("--plans {pattern:?}: no such file or directory")
            }
            (Self::PlansNotFound { pattern }, ZhCn) => {
                format!("--plans {pattern:?}：文件或目录不存在")
            }
            (Self::PlansNoWorkbook { pattern }, En) => {
                format!("--plans {pattern:?}: no workbook (.xlsx) found")
            }
            (Self::PlansNoWorkbook { pattern }, ZhCn) => {
                format!("--plans {pattern:?}：没有找到规划表（.xlsx）")
            }
            (
                Self::PlansSameName {
                    first,
                    second,
                    stem,
                },
                En,
            ) => format!(
                "{first} and {second} are both called {stem:?}: a fleet needs one name per cluster \
                 (run directory, settings file)"
            ),
            (
                Self::PlansSameName {
                    first,
                    second,
                    stem,
                },
                ZhCn,
            ) => format!(
                "{first} 与 {second} 同名（{stem:?}）：批量运行中每个集群需要各自的名称（运行目录、设置文件）"
            ),
            (Self::TooManyRunDirs { name }, En) => format!(
                "{name}: a thousand run directories of this name exist already; pass --run-dir"
            ),
            (Self::TooManyRunDirs { name }, ZhCn) => {
                format!("{name}：同名运行目录已有一千个；请用 --run-dir 指定")
            }
            (Self::SimNode { name, ip, url, ssh }, _) => {
                let ssh = ssh
                    .as_ref()
                    .map(|ssh| match lang {
                        En => format!("  ssh {ssh}"),
                        ZhCn => format!("，SSH 在 {ssh}"),
                    })
                    .unwrap_or_default();
                format!("{name}  {ip} → {url}{ssh}")
            }
            (Self::CannotCreate { path }, En) => format!("cannot create {path}"),
            (Self::CannotCreate { path }, ZhCn) => format!("无法创建 {path}"),
            (Self::CannotWrite { path }, En) => format!("cannot write {path}"),
            (Self::CannotWrite { path }, ZhCn) => format!("无法写入 {path}"),
            (Self::CannotStartSim, En) => "cannot start the simulator".into(),
            (Self::CannotStartSim, ZhCn) => "无法启动模拟集群".into(),
            (Self::ExampleInvalid, En) => {
                "the example workbook does not validate: this is a bug".into()
            }
            (Self::ExampleInvalid, ZhCn) => "示例规划表未通过校验：这是程序缺陷".into(),
            (Self::NoRuntime { reason }, En) => {
                format!("cannot start the async runtime: {reason}")
            }
            (Self::NoRuntime { reason }, ZhCn) => {
                format!("无法启动异步运行时：{}", quoted(lang, reason))
            }
            (Self::Stopping, En) => {
                "stopping: aborting the step under way (press Ctrl-C again to quit at once)".into()
            }
            (Self::Stopping, ZhCn) => "正在停止：中止当前步骤（再按一次 Ctrl-C 立即退出）".into(),
            (Self::ConsoleToken { token }, En) => format!(
                "token (every /api call needs Authorization: Bearer TOKEN; shown only now): {token}"
            ),
            (Self::ConsoleToken { token }, ZhCn) => format!(
                "令牌（每个 /api 请求都需带 `Authorization: Bearer TOKEN`；仅此一次显示）：{token}"
            ),
            (Self::ConsoleStopping, En) => {
                "stopping: aborting the runs under way and waiting for them to record it".into()
            }
            (Self::ConsoleStopping, ZhCn) => "正在停止：中止进行中的运行，并等待其记录完毕".into(),
            (Self::ConsoleFailed { error }, En) => format!("console: {}", error.en),
            (Self::ConsoleFailed { error }, ZhCn) => format!("控制台：{}", error.zh_cn),
            (Self::NoLaunchRecord { dir }, En) => format!(
                "--from {dir}: no record of how this run was started (launch.json; a run of an \
                 earlier version, or not a run directory) (hint: give --plan and the settings \
                 again with --from, as the first run had them)"
            ),
            (Self::NoLaunchRecord { dir }, ZhCn) => format!(
                "--from {dir}：没有这次运行的启动记录（launch.json；可能是旧版本的运行，或不是运行目录）\
                 （提示：请同时给出 --plan 和第一次运行时的设置）"
            ),
            (Self::ResumeOfDemo { dir }, En) => format!(
                "--from {dir}: a demo's run; its simulated cluster ended with it, so it cannot be \
                 continued (hint: run smtx-deploy demo again)"
            ),
            (Self::ResumeOfDemo { dir }, ZhCn) => format!(
                "--from {dir}：这是演示的运行，模拟集群已随演示结束，无法继续（提示：重新运行演示 `smtx-deploy demo`）"
            ),
            (Self::ResumeOfConsoleRun { dir }, En) => format!(
                "--from {dir}: a run started from the web console; continue it there (its Resume \
                 button), or give --plan and the settings with --from"
            ),
            (Self::ResumeOfConsoleRun { dir }, ZhCn) => format!(
                "--from {dir}：这是在网页控制台启动的运行，请在控制台继续（“继续”按钮），\
                 或同时给出 --plan 和设置"
            ),
            (Self::PlanOrFrom, En) => {
                "run needs --plan WORKBOOK, or --from RUN_DIR to continue that run".into()
            }
            (Self::PlanOrFrom, ZhCn) => {
                "运行需要 --plan 规划表，或用 --from 运行目录 继续那次运行".into()
            }
            (Self::ConsoleDataDirUnusable { error }, En) => format!(
                "console: {} (hint: the data directory must be one this user can write; \
                 choose another with `smtx-deploy serve --data-dir DIR`)",
                error.en
            ),
            (Self::ConsoleDataDirUnusable { error }, ZhCn) => format!(
                "控制台：{}（提示：数据目录必须是当前用户可写的目录；可用 `smtx-deploy serve --data-dir DIR` 另选）",
                error.zh_cn
            ),
            (Self::NoDeliveryRecord { dir, error }, En) => format!(
                "{dir}: no delivery record to write ({}) (hint: give the directory of a run \
                 made by this version; every run writes report.html as it ends)",
                error.en
            ),
            (Self::NoDeliveryRecord { dir, error }, ZhCn) => format!(
                "{dir}：没有可写出的交付记录（{}）（提示：请指定本版本运行产生的运行目录；每次运行结束时都会写出 report.html）",
                error.zh_cn
            ),
            (
                Self::ResumeConflict {
                    dir,
                    given,
                    recorded,
                },
                En,
            ) => format!(
                "--from {dir}: {given} says otherwise than the run it continues ({recorded}); \
                 refusing (hint: leave {given} out to continue that run, or start a new run \
                 without --from)"
            ),
            (
                Self::ResumeConflict {
                    dir,
                    given,
                    recorded,
                },
                ZhCn,
            ) => format!(
                "--from {dir}：{given} 与要继续的运行不一致（当时为 {recorded}），拒绝执行\
                 （提示：去掉 {given} 以继续那次运行，或不带 --from 开始新的运行）"
            ),
            (Self::QuitNow, En) => "quitting at once".into(),
            (Self::QuitNow, ZhCn) => "立即退出".into(),
            (Self::Aborted, En) => {
                "aborted: the run directory records how far it got; to continue, run".into()
            }
            (Self::Aborted, ZhCn) => "已中止：运行目录记录了进度；继续执行请运行".into(),
            (Self::AbortedStartAgain, En) => {
                "aborted: the simulated cluster ended with the demo; to start it again, run".into()
            }
            (Self::AbortedStartAgain, ZhCn) => {
                "已中止：模拟集群已随演示一同结束；如需重新开始，请运行".into()
            }
            (
                Self::Upload {
                    file,
                    bytes_done,
                    total,
                    bytes_per_sec,
                    eta_secs,
                },
                _,
            ) => {
                let percent = *bytes_done as f64 * 100.0 / (*total).max(1) as f64;
                let mib = total / (1024 * 1024);
                let mib_per_sec = *bytes_per_sec as f64 / (1024.0 * 1024.0);
                let eta = eta_secs.map_or_else(|| "-".to_string(), |eta| format!("{eta}s"));
                match lang {
                    En => format!(
                        "upload {file}: {percent:.0}% of {mib} MiB, {mib_per_sec:.1} MiB/s, ETA {eta}"
                    ),
                    ZhCn => format!(
                        "上传 {file}：{percent:.0}%，共 {mib} MiB，{mib_per_sec:.1} MiB/s，预计剩余 {eta}"
                    ),
                }
            }
        }
    }
}

/// What a hint line begins with: `hint: `, 提示：.
pub fn hint_label(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "hint: ",
        Lang::ZhCn => "提示：",
    }
}

#[cfg(test)]
mod tests;
