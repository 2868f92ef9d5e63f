//! Messages in English and Chinese. The language comes from `--lang`, else
//! `SMTX_LANG`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`).

use std::path::Path;

use smtx_engine::{StepCounts, StepStatus};
pub use smtx_i18n::Lang;

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
        (Lang::ZhCn, DryRunCalls) => "演练模式：将要发出的调用（敏感字段已隐藏）",
        (Lang::En, WorkbookHasErrors) => "the workbook has errors; fix them and run again",
        (Lang::ZhCn, WorkbookHasErrors) => "规划表有错误，请修正后重新运行",
        (Lang::En, HintWarnings) => {
            "hint: fix what the warnings say, then run again: finished steps are found, not repeated"
        }
        (Lang::ZhCn, HintWarnings) => {
            "hint: 按警告提示处理后重新运行：已完成的步骤会被识别，不会重复执行"
        }
        (Lang::En, HintFailed) => "hint: see the failed step above",
        (Lang::ZhCn, HintFailed) => "hint: 查看上面失败的步骤",
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
            format!("演练模式：未做任何更改；计划发出 {calls} 个调用（见上）；步骤：{steps}")
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
        (Lang::ZhCn, TargetKind::Rehearsal) => format!("目标：{base}{via} —— 模拟集群预演"),
        (Lang::ZhCn, TargetKind::Live) => format!("目标：{base}{via} —— 真实集群"),
        (Lang::ZhCn, TargetKind::DryRun) => {
            format!("目标：{base}{via} —— 演练模式，不发送任何请求")
        }
    }
}

/// A rehearsal writes the serial into a copy, never the customer's workbook.
pub fn rehearsal_copy(lang: Lang, copy: &Path, original: &Path) -> String {
    match lang {
        Lang::En => format!(
            "rehearsal: the serial goes into {}; {} is left as it is",
            copy.display(),
            original.display()
        ),
        Lang::ZhCn => format!(
            "预演：序列号写入副本 {}，{} 保持不变",
            copy.display(),
            original.display()
        ),
    }
}

/// The failed stage's log, when the run wrote one.
pub fn see_log(lang: Lang, log: &Path) -> String {
    match lang {
        Lang::En => format!("hint: see the failed step above and {}", log.display()),
        Lang::ZhCn => format!("hint: 查看上面失败的步骤以及 {}", log.display()),
    }
}

/// `--from` names the run directory of another cluster (or of a rehearsal
/// when this run is live, or the reverse).
pub fn from_mismatch(lang: Lang, dir: &Path, what: &str) -> String {
    match lang {
        Lang::En => format!(
            "--from {}: {what}; refusing to reuse it (hint: run prepare again without --from, \
             or pass the run directory of this cluster)",
            dir.display()
        ),
        Lang::ZhCn => format!(
            "--from {}：{what}；拒绝使用（hint: 去掉 --from 重新运行 prepare，或指定本集群的运行目录）",
            dir.display()
        ),
    }
}

/// An ISO named explicitly (flag or settings file) that is not a file.
pub fn missing_iso(lang: Lang, iso: &Path, error: &str) -> String {
    match lang {
        Lang::En => format!(
            "--vmtools-iso {}: {error} (hint: check the path, or leave --vmtools-iso and \
             vmtools.iso out to use the newest SMTX_VMTOOLS-*.iso in the current directory)",
            iso.display()
        ),
        Lang::ZhCn => format!(
            "--vmtools-iso {}：{error}（hint: 检查路径；或不指定 --vmtools-iso 与 vmtools.iso，\
             使用当前目录中最新的 SMTX_VMTOOLS-*.iso）",
            iso.display()
        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_count_every_status() {
        let counts = StepCounts {
            ok: 14,
            warning: 2,
            skipped: 1,
            failed: 0,
            aborted: 0,
        };
        assert_eq!(
            summary_line(Lang::En, counts),
            "done: 14 ok, 2 warnings, 1 skipped"
        );
        assert_eq!(
            summary_line(Lang::ZhCn, counts),
            "完成：成功 14 项，警告 2 项，跳过 1 项"
        );
        let failed = StepCounts {
            ok: 3,
            warning: 1,
            skipped: 0,
            failed: 1,
            aborted: 0,
        };
        assert_eq!(
            summary_line(Lang::En, failed),
            "failed: 3 ok, 1 warning, 1 failed"
        );
        let aborted = StepCounts {
            ok: 5,
            aborted: 1,
            ..StepCounts::default()
        };
        assert_eq!(summary_line(Lang::En, aborted), "aborted: 5 ok, 1 aborted");
        assert_eq!(
            summary_line(Lang::ZhCn, aborted),
            "已中止：成功 5 项，中止 1 项"
        );
        assert_eq!(
            summary_line(Lang::ZhCn, failed),
            "失败：成功 3 项，警告 1 项，失败 1 项"
        );
    }
}
