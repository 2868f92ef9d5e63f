//! Terminal rendering of a run: a line per step as it finishes (stderr),
//! the steps under way and the upload progress bar when stderr is a
//! terminal, and the final table and hints (stdout). `--json` replaces the table with the report.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use smtx_engine::{Localize, ProgressEvent, ProgressSink, RunReport, Step, StepStatus};
use smtx_i18n::{display_width, pad};

use crate::i18n::{CliMsg, Lang, Msg, dry_run_summary, status_word, summary_line, text};

/// A step line's status marker, six columns wide in either language.
fn marker(lang: Lang, status: StepStatus) -> &'static str {
    match (lang, status) {
        (Lang::En, StepStatus::Ok) => "[ok]  ",
        (Lang::En, StepStatus::Skipped) => "[skip]",
        (Lang::En, StepStatus::Warning) => "[warn]",
        (Lang::En, StepStatus::Failed) => "[FAIL]",
        (Lang::En, StepStatus::Aborted) => "[STOP]",
        (Lang::ZhCn, StepStatus::Ok) => "[成功]",
        (Lang::ZhCn, StepStatus::Skipped) => "[跳过]",
        (Lang::ZhCn, StepStatus::Warning) => "[警告]",
        (Lang::ZhCn, StepStatus::Failed) => "[失败]",
        (Lang::ZhCn, StepStatus::Aborted) => "[中止]",
    }
}

/// `label: value` with the language's colon.
/// A label that a block of lines follows: `simulated cluster:`, 模拟集群：.
pub fn heading(lang: Lang, msg: Msg) -> String {
    match lang {
        Lang::En => format!("{}:", text(lang, msg)),
        Lang::ZhCn => format!("{}：", text(lang, msg)),
    }
}

fn labelled(lang: Lang, msg: Msg, value: &str) -> String {
    match lang {
        Lang::En => format!("{}: {value}", text(lang, msg)),
        Lang::ZhCn => format!("{}：{value}", text(lang, msg)),
    }
}

fn seconds(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// What stderr shows live on a terminal, under the lines already printed:
/// a spinner per step under way (the lanes run several at once) and the
/// upload bar, all drawn by one `MultiProgress` so that a step line printed
/// while the bar moves goes above it instead of through it.
struct Live {
    multi: MultiProgress,
    running: Vec<(Step, ProgressBar)>,
    upload: Option<ProgressBar>,
}

impl Live {
    /// A line above the bars on a terminal, else a plain line.
    fn line(&self, terminal: bool, text: &str) {
        if terminal {
            // A hidden target (output gone) drops the line, as errln! would.
            let _ = self.multi.println(text);
        } else {
            errln!("{text}");
        }
    }

    fn started(&mut self, lang: Lang, step: &Step) {
        let spinner = self.multi.add(ProgressBar::new_spinner());
        if let Ok(style) = ProgressStyle::with_template("  {spinner} {msg} {elapsed}") {
            spinner.set_style(style);
        }
        spinner.set_message(step.label(lang));
        spinner.enable_steady_tick(Duration::from_millis(120));
        self.running.push((step.clone(), spinner));
    }

    fn finished(&mut self, step: &Step) {
        if let Some(index) = self.running.iter().position(|(running, _)| running == step) {
            let (_, spinner) = self.running.remove(index);
            spinner.finish_and_clear();
            self.multi.remove(&spinner);
        }
        if *step == Step::VmtoolsUpload
            && let Some(bar) = self.upload.take()
        {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
    }

    /// The stage has ended: nothing is under way any more.
    fn clear(&mut self) {
        for (_, spinner) in self.running.drain(..) {
            spinner.finish_and_clear();
            self.multi.remove(&spinner);
        }
        if let Some(bar) = self.upload.take() {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
    }
}

/// Progress on stderr: one line per step, and on a terminal the steps
/// under way and a bar for transfers.
pub fn progress_sink(lang: Lang, quiet: bool) -> ProgressSink {
    if quiet {
        return ProgressSink::none();
    }
    let terminal = std::io::stderr().is_terminal();
    let live = Arc::new(Mutex::new(Live {
        multi: MultiProgress::with_draw_target(if terminal {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        }),
        running: Vec::new(),
        upload: None,
    }));
    ProgressSink::new(move |event| {
        let Ok(mut live) = live.lock() else {
            return;
        };
        match event {
            ProgressEvent::StageStarted { stage } => {
                live.line(
                    terminal,
                    &format!("== {} {}", text(lang, Msg::Stage), stage.label(lang)),
                );
            }
            ProgressEvent::StepStarted { step, .. } => {
                if terminal {
                    live.started(lang, step);
                }
            }
            ProgressEvent::StepFinished { result, .. } => {
                live.finished(&result.step);
                let what = result
                    .error
                    .as_ref()
                    .or(result.detail.as_ref())
                    .map(|message| message.localize(lang))
                    .unwrap_or_default();
                live.line(
                    terminal,
                    &format!(
                        "  {} {} {:>6}  {what}",
                        marker(lang, result.status),
                        pad(&result.step.label(lang), 36),
                        seconds(result.elapsed_ms),
                    ),
                );
                if let Some(hint) = &result.hint
                    && matches!(
                        result.status,
                        StepStatus::Warning | StepStatus::Failed | StepStatus::Aborted
                    )
                {
                    live.line(
                        terminal,
                        &format!(
                            "         {}{}",
                            crate::i18n::hint_label(lang),
                            hint.localize(lang)
                        ),
                    );
                }
            }
            ProgressEvent::Transfer {
                file,
                bytes_done,
                total,
                bytes_per_sec,
                eta,
                ..
            } => {
                if terminal {
                    let multi = live.multi.clone();
                    let bar = live.upload.get_or_insert_with(|| {
                        let bar = multi.add(ProgressBar::new(*total));
                        if let Ok(style) = ProgressStyle::with_template(
                            "  {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
                        ) {
                            bar.set_style(style.progress_chars("=> "));
                        }
                        bar.set_message(match lang {
                            Lang::En => format!("upload {file}"),
                            Lang::ZhCn => format!("上传 {file}"),
                        });
                        bar
                    });
                    bar.set_position(*bytes_done);
                } else if *total > 0 && (*bytes_done == *total || *bytes_done == 0) {
                    let line = CliMsg::Upload {
                        file: file.clone(),
                        bytes_done: *bytes_done,
                        total: *total,
                        bytes_per_sec: *bytes_per_sec as u64,
                        eta_secs: eta.map(|eta| eta.as_secs_f64().round() as u64),
                    };
                    errln!("  {}", line.localize(lang));
                }
            }
            ProgressEvent::StageFinished { stage, status } => {
                live.clear();
                let status = status_word(lang, *status);
                let line = match lang {
                    Lang::En => format!(
                        "== {} {}: {status}",
                        text(lang, Msg::Stage),
                        stage.label(lang)
                    ),
                    Lang::ZhCn => format!(
                        "== {} {}：{status}",
                        text(lang, Msg::Stage),
                        stage.label(lang)
                    ),
                };
                live.line(terminal, &line);
            }
        }
    })
}

/// The final table and hints on stdout.
pub fn print_report(lang: Lang, report: &RunReport) {
    if report.dry_run && !report.planned_calls.is_empty() {
        outln!("{}", heading(lang, Msg::DryRunCalls));
        for call in &report.planned_calls {
            outln!("  {call}");
        }
        outln!();
    }
    let width = report
        .stages
        .iter()
        .flat_map(|stage| &stage.steps)
        .map(|step| display_width(&step.step.label(lang)))
        .max()
        .unwrap_or(0)
        .max(20);
    // As wide as the longest stage label ("cluster configuration" is 21
    // columns): a fixed 16 pushed that stage's rows out of line.
    let stage_width = report
        .stages
        .iter()
        .map(|stage| display_width(&stage.stage.label(lang)))
        .chain([display_width(text(lang, Msg::Stage))])
        .max()
        .unwrap_or(0);
    let time = text(lang, Msg::Time);
    outln!(
        "{} {} {} {}{time}",
        pad(text(lang, Msg::Stage), stage_width),
        pad(text(lang, Msg::Step), width),
        pad(text(lang, Msg::Status), 8),
        " ".repeat(7usize.saturating_sub(display_width(time)))
    );
    for stage in &report.stages {
        for step in &stage.steps {
            outln!(
                "{} {} {} {:>7}",
                pad(&stage.stage.label(lang), stage_width),
                pad(&step.step.label(lang), width),
                pad(status_word(lang, step.status), 8),
                seconds(step.elapsed_ms)
            );
        }
    }
    outln!();
    let verdict = if report.dry_run {
        dry_run_summary(lang, report.planned_calls.len(), report.counts())
    } else {
        summary_line(lang, report.counts())
    };
    outln!("{}", labelled(lang, Msg::Summary, &verdict));
    let run_dir = report.run_dir.display().to_string();
    outln!("{}", labelled(lang, Msg::RunDir, &run_dir));
    if let Some(workbook) = &report.workbook {
        let workbook = workbook.display().to_string();
        outln!("{}", labelled(lang, Msg::Workbook, &workbook));
    }
    if let Some(serial) = &report.serial {
        outln!("{}", labelled(lang, Msg::Serial, serial));
    }
    match report.status {
        StepStatus::Warning if !report.dry_run => outln!("{}", text(lang, Msg::HintWarnings)),
        StepStatus::Failed => {
            // Name the log of the stage that failed, and only if it exists.
            let log = report
                .stages
                .iter()
                .find(|stage| stage.status == StepStatus::Failed)
                .map(|stage| {
                    report
                        .run_dir
                        .join("logs")
                        .join(format!("stage_{}.log", stage.stage.name()))
                })
                .filter(|log| log.is_file());
            match log {
                Some(log) => outln!(
                    "{}",
                    CliMsg::SeeLog {
                        log: log.display().to_string()
                    }
                    .localize(lang)
                ),
                None => outln!("{}", text(lang, Msg::HintFailed)),
            }
        }
        _ => {}
    }
}
