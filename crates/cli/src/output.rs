//! Terminal rendering of a run: a line per step as it finishes (stderr), an
//! upload progress bar when stderr is a terminal, and the final table and
//! hints (stdout). `--json` replaces the table with the report.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};
use smtx_engine::{ProgressEvent, ProgressSink, RunReport, StepStatus};

use crate::i18n::{Lang, Msg, status_word, text};

fn marker(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Ok => "[ok]  ",
        StepStatus::Skipped => "[skip]",
        StepStatus::Warning => "[warn]",
        StepStatus::Failed => "[FAIL]",
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
            eprintln!("== {} {stage}", text(lang, Msg::Stage));
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
                .as_deref()
                .or(result.detail.as_deref())
                .unwrap_or("");
            eprintln!(
                "  {} {:<36} {:>6}  {what}",
                marker(result.status),
                result.action,
                seconds(result.elapsed_ms),
            );
            if let Some(hint) = &result.hint
                && matches!(result.status, StepStatus::Warning | StepStatus::Failed)
            {
                eprintln!("         hint: {hint}");
            }
        }
        ProgressEvent::Transfer {
            action,
            bytes_done,
            total,
            bytes_per_sec,
            eta,
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
                        bar.set_message(action.clone());
                        bar
                    });
                    bar.set_position(*bytes_done);
                }
            } else if *total > 0 && (*bytes_done == *total || *bytes_done == 0) {
                let eta = eta.map(|e| format!("{:.0}s", e.as_secs_f64()));
                eprintln!(
                    "  {action}: {:.0}% of {} MiB, {:.1} MiB/s, ETA {}",
                    *bytes_done as f64 * 100.0 / *total as f64,
                    total / (1024 * 1024),
                    bytes_per_sec / (1024.0 * 1024.0),
                    eta.unwrap_or_else(|| "-".to_string())
                );
            }
        }
        ProgressEvent::StageFinished { stage, status } => {
            eprintln!(
                "== {} {stage}: {}",
                text(lang, Msg::Stage),
                status_word(lang, *status)
            );
        }
    })
}

/// The final table and hints on stdout.
pub fn print_report(lang: Lang, report: &RunReport) {
    if report.dry_run && !report.planned_calls.is_empty() {
        println!("{}:", text(lang, Msg::DryRunCalls));
        for call in &report.planned_calls {
            println!("  {call}");
        }
        println!();
    }
    let width = report
        .stages
        .iter()
        .flat_map(|stage| &stage.steps)
        .map(|step| step.action.chars().count())
        .max()
        .unwrap_or(0)
        .max(20);
    println!(
        "{:<16} {:<width$} {:<8} {:>7}",
        text(lang, Msg::Stage),
        text(lang, Msg::Step),
        text(lang, Msg::Status),
        text(lang, Msg::Time)
    );
    for stage in &report.stages {
        for step in &stage.steps {
            println!(
                "{:<16} {:<width$} {:<8} {:>7}",
                stage.stage,
                step.action,
                status_word(lang, step.status),
                seconds(step.elapsed_ms)
            );
        }
    }
    println!();
    let verdict = match report.status {
        StepStatus::Ok | StepStatus::Skipped => text(lang, Msg::RunOk),
        StepStatus::Warning => text(lang, Msg::RunWarnings),
        StepStatus::Failed => text(lang, Msg::RunFailed),
    };
    println!("{}: {verdict}", text(lang, Msg::Summary));
    println!("{}: {}", text(lang, Msg::RunDir), report.run_dir.display());
    if let Some(workbook) = &report.workbook {
        println!("{}: {}", text(lang, Msg::Workbook), workbook.display());
    }
    if let Some(serial) = &report.serial {
        println!("{}: {serial}", text(lang, Msg::Serial));
    }
    match report.status {
        StepStatus::Warning => println!("{}", text(lang, Msg::HintWarnings)),
        StepStatus::Failed => println!("{}", text(lang, Msg::HintFailed)),
        _ => {}
    }
}
