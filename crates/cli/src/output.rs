//! Terminal rendering of a run: a line per step as it finishes (stderr), an
//! upload progress bar when stderr is a terminal, and the final table and
//! hints (stdout). `--json` replaces the table with the report.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};
use smtx_engine::{Localize, ProgressEvent, ProgressSink, RunReport, StepStatus};

use crate::i18n::{Lang, Msg, dry_run_summary, see_log, status_word, summary_line, text};

fn marker(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Ok => "[ok]  ",
        StepStatus::Skipped => "[skip]",
        StepStatus::Warning => "[warn]",
        StepStatus::Failed => "[FAIL]",
        StepStatus::Aborted => "[STOP]",
    }
}

fn seconds(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// Progress on stderr: one line per step, a bar for transfers.
pub fn progress_sink(lang: Lang, quiet: bool) -> ProgressSink {
    if quiet {
        return ProgressSink::none();
    }
    let bar: Arc<Mutex<Option<ProgressBar>>> = Arc::new(Mutex::new(None));
    let terminal = std::io::stderr().is_terminal();
    ProgressSink::new(move |event| match event {
        ProgressEvent::StageStarted { stage } => {
            errln!("== {} {}", text(lang, Msg::Stage), stage.label(lang));
        }
        ProgressEvent::StepStarted { .. } => {}
        ProgressEvent::StepFinished { result, .. } => {
            if let Ok(mut bar) = bar.lock()
                && let Some(bar) = bar.take()
            {
                bar.finish_and_clear();
            }
            let what = result
                .error
                .as_ref()
                .or(result.detail.as_ref())
                .map(|message| message.localize(lang))
                .unwrap_or_default();
            errln!(
                "  {} {} {:>6}  {what}",
                marker(result.status),
                pad(&result.step.label(lang), 36),
                seconds(result.elapsed_ms),
            );
            if let Some(hint) = &result.hint
                && matches!(
                    result.status,
                    StepStatus::Warning | StepStatus::Failed | StepStatus::Aborted
                )
            {
                errln!("         hint: {}", hint.localize(lang));
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
                if let Ok(mut slot) = bar.lock() {
                    let bar = slot.get_or_insert_with(|| {
                        let bar = ProgressBar::new(*total);
                        if let Ok(style) = ProgressStyle::with_template(
                            "  {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
                        ) {
                            bar.set_style(style.progress_chars("=> "));
                        }
                        bar.set_message(format!("upload {file}"));
                        bar
                    });
                    bar.set_position(*bytes_done);
                }
            } else if *total > 0 && (*bytes_done == *total || *bytes_done == 0) {
                let eta = eta.map(|e| format!("{:.0}s", e.as_secs_f64()));
                errln!(
                    "  upload {file}: {:.0}% of {} MiB, {:.1} MiB/s, ETA {}",
                    *bytes_done as f64 * 100.0 / *total as f64,
                    total / (1024 * 1024),
                    bytes_per_sec / (1024.0 * 1024.0),
                    eta.unwrap_or_else(|| "-".to_string())
                );
            }
        }
        ProgressEvent::StageFinished { stage, status } => {
            errln!(
                "== {} {}: {}",
                text(lang, Msg::Stage),
                stage.label(lang),
                status_word(lang, *status)
            );
        }
    })
}

/// The final table and hints on stdout.
pub fn print_report(lang: Lang, report: &RunReport) {
    if report.dry_run && !report.planned_calls.is_empty() {
        outln!("{}:", text(lang, Msg::DryRunCalls));
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
    let time = text(lang, Msg::Time);
    outln!(
        "{} {} {} {}{time}",
        pad(text(lang, Msg::Stage), 16),
        pad(text(lang, Msg::Step), width),
        pad(text(lang, Msg::Status), 8),
        " ".repeat(7usize.saturating_sub(display_width(time)))
    );
    for stage in &report.stages {
        for step in &stage.steps {
            outln!(
                "{} {} {} {:>7}",
                pad(&stage.stage.label(lang), 16),
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
    outln!("{}: {verdict}", text(lang, Msg::Summary));
    outln!("{}: {}", text(lang, Msg::RunDir), report.run_dir.display());
    if let Some(workbook) = &report.workbook {
        outln!("{}: {}", text(lang, Msg::Workbook), workbook.display());
    }
    if let Some(serial) = &report.serial {
        outln!("{}: {serial}", text(lang, Msg::Serial));
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
                Some(log) => outln!("{}", see_log(lang, &log)),
                None => outln!("{}", text(lang, Msg::HintFailed)),
            }
        }
        _ => {}
    }
}

/// Columns a string takes in a terminal: CJK and full-width characters two.
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFF00..=0xFF60 => 2,
            _ => 1,
        })
        .sum()
}

/// `text` padded with spaces to `width` terminal columns (CJK counts two).
fn pad(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(display_width(text));
    format!("{text}{}", " ".repeat(fill))
}
