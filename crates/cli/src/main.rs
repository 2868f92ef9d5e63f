//! The `smtx-deploy` binary: parses arguments, builds the one tokio runtime,
//! runs one command and maps its outcome to an exit code, in one place.
//!
//! Exit codes: 0 ok (warnings included), 1 the job failed, 2 bad input
//! (workbook errors, bad flags, unreadable files, a run directory another
//! run holds), 3 drift found (`check`), 130 the run was aborted (Ctrl-C,
//! SIGTERM), 141 stdout's reader went away.

#[macro_use]
mod stdio;
mod alloc;
mod bad_input;
mod commands;
mod i18n;
mod output;
mod parse_error;
mod settings;
mod signals;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use smtx_i18n::Localize as _;

/// What `--version` prints after the name: the version, the commit and the
/// target the binary was built for (`build.rs` stamps the last two).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (git ",
    env!("SMTX_GIT_REVISION"),
    ", ",
    env!("SMTX_TARGET"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "smtx-deploy",
    version = VERSION,
    about = "Configure a deployed SmartX SMTX OS cluster from its planning workbook"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Language of messages: en or zh-CN (default: SMTX_LANG, else the locale).
    #[arg(long, global = true, value_name = "LANG", value_parser = i18n::parse_lang)]
    lang: Option<i18n::Lang>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read, validate and update the planning workbook.
    Plan(commands::plan::PlanArgs),
    /// Start a simulated, deployed SMTX OS cluster from a workbook.
    Sim(commands::sim::SimArgs),
    /// Run stages (prepare, config_cluster) against a cluster.
    // Boxed: `run` has many more flags than the other commands.
    Run(Box<commands::run::RunArgs>),
    /// Build an example workbook, start the simulator and configure it end to end.
    Demo(commands::demo::DemoArgs),
    /// Compare a live cluster with its workbook, read-only (exit 3: drift).
    Check(commands::check::CheckArgs),
    /// Serve the web console: upload a workbook, rehearse, run, watch live.
    Serve(commands::serve::ServeArgs),
    /// Write a run's delivery record (report.html) again, e.g. in another language.
    Report(commands::report::ReportArgs),
}

/// What a command reports back to `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed,
    BadInput,
    /// Stopped by SIGINT/SIGTERM; the report says where.
    Aborted,
    /// `check`: the cluster differs from its workbook.
    Drift,
}

/// The process exit code of an outcome.
pub fn exit_code(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Ok => 0,
        Outcome::Failed => 1,
        Outcome::BadInput => 2,
        Outcome::Drift => 3,
        Outcome::Aborted => ABORTED_EXIT as u8,
    }
}

/// 128 + SIGINT, what a shell reports for a program Ctrl-C stopped.
pub const ABORTED_EXIT: i32 = 130;

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        ExitCode::from(exit_code(outcome))
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return parse_error::report(error),
    };
    let lang = i18n::Lang::detect(cli.lang);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let message = i18n::CliMsg::NoRuntime {
                reason: error.to_string(),
            };
            errln!("{}", i18n::error_line(lang, &message.localize(lang)));
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Plan(args) => commands::plan::run(args, lang),
            Command::Sim(args) => commands::sim::run(args, lang).await,
            // The fleet imports `run` and `check`, never the other way.
            Command::Run(args) if args.plan.is_none() && !args.fleet.plans.is_empty() => {
                commands::fleet::run_fleet(*args, lang).await
            }
            Command::Run(args) => commands::run::run(*args, lang, cli.lang).await,
            Command::Demo(args) => commands::demo::run(args, lang).await,
            Command::Check(args) => match args.plan.clone() {
                Some(plan) => commands::check::run(plan, args, lang).await,
                None => commands::fleet::check_fleet(args, lang).await,
            },
            Command::Serve(args) => commands::serve::run(args, lang).await,
            Command::Report(args) => commands::report::run(args, lang),
        }
    });
    match result {
        Ok(outcome) => outcome.into(),
        Err(error) => {
            errln!(
                "{}",
                i18n::error_line(lang, &i18n::error_chain(lang, &error))
            );
            ExitCode::from(error_exit_code(&error))
        }
    }
}

/// Input problems (files, flags) exit 2; everything else 1.
fn error_exit_code(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<bad_input::BadInput>().is_some() {
        2
    } else {
        1
    }
}
