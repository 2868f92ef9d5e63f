//! `smtx-deploy serve`: the web console (`smtx-console`) on an address,
//! with its data directory and token. Prints exactly one stdout line,
//! `console: http://ADDR/` (the real port for `:0`); a token it had to make
//! up (off loopback, none given) goes to stderr, once. The first
//! Its tracing events go as JSON lines to `DATA_DIR/console.log` (with
//! the console's request lines). The first SIGINT/SIGTERM aborts the runs under way through their cancellation,
//! waits for them to record `aborted`, and exits.

use std::net::SocketAddr;
use std::path::PathBuf;

use smtx_console::ServeOptions;
use smtx_secret::Secret;

use crate::Outcome;
use crate::i18n::{CliMsg, Lang, Localize, Text};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; off loopback a token is required (one is
    /// generated and printed when --token is not given).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where the console keeps its history, uploads and run directories
    /// (default: ./smtx-console; on Windows
    /// %LOCALAPPDATA%\smtx-deploy\console, private to the user).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Token every /api call must carry as `Authorization: Bearer TOKEN`
    /// (prefer the environment variable: a flag shows in `ps`).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SMTX_CONSOLE_TOKEN",
        hide_env_values = true,
        value_parser = secret
    )]
    pub token: Option<Secret>,
    /// A directory of VMTools ISOs the console offers to runs, picked by
    /// name in the page (the page names no path of this machine; an ISO
    /// can also be uploaded through it).
    #[arg(long, value_name = "DIR")]
    pub iso_dir: Option<PathBuf>,
}

fn secret(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(value))
}

/// Resolves at the first stop request (`crate::signals`).
async fn stop_signal(stop: std::io::Result<crate::signals::Stop>, lang: Lang) {
    match stop {
        Ok(mut stop) => stop.requested().await,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    errln!("{}", CliMsg::ConsoleStopping.localize(lang));
}

pub async fn run(args: ServeArgs, lang: Lang) -> anyhow::Result<Outcome> {
    // Listening starts before the address is printed: whoever reads that
    // line may ask the console to stop at once, and a request that came
    // before the listener would kill the process uncleanly.
    let stop = crate::signals::Stop::listen();
    let options = ServeOptions {
        listen: args.listen,
        data_dir: args
            .data_dir
            .unwrap_or_else(smtx_platform::dirs::console_data_dir),
        token: args.token,
        iso_dir: args.iso_dir,
    };
    let served = async {
        let console = smtx_console::start(options).await?;
        // The console's tracing events (runs, steps, refusals) go to its
        // log beside the request lines; nothing else of the process traces.
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_writer(console.log_writer())
            .finish();
        if tracing::subscriber::set_global_default(subscriber).is_err() {
            tracing::warn!(action = "console_log", status = "skipped");
        }
        outln!("console: http://{}/", console.addr());
        if let Some(token) = console.generated_token() {
            let message = CliMsg::ConsoleToken {
                token: token.expose().to_string(),
            };
            errln!("{}", message.localize(lang));
        }
        stop_signal(stop, lang).await;
        console.shutdown().await;
        Ok::<(), smtx_console::ConsoleError>(())
    }
    .await;
    match served {
        Ok(()) => Ok(Outcome::Ok),
        // What the user can change: where it listens, the directories.
        Err(
            error @ (smtx_console::ConsoleError::DataDirBusy { .. }
            | smtx_console::ConsoleError::IsoDir { .. }
            | smtx_console::ConsoleError::Listen { .. }),
        ) => Err(super::BadInput(error.localize(lang)).into()),
        Err(error @ smtx_console::ConsoleError::Io { .. }) => Err(super::BadInput(
            CliMsg::ConsoleDataDirUnusable {
                error: Text::of(&error),
            }
            .localize(lang),
        )
        .into()),
        Err(error) => Err(anyhow::anyhow!(
            CliMsg::ConsoleFailed {
                error: Text::of(&error)
            }
            .localize(lang)
        )),
    }
}
