//! `smtx-deploy serve`: the web console (`smtx-console`) on an address,
//! with its data directory and tokens. Prints exactly one stdout line,
//! `console: http://ADDR/` (the real port for `:0`), or over HTTPS
//! `console: https://ADDR/  SHA-256 AB:CD:…` with the certificate's
//! fingerprint for a user to check the browser's against; a token it had
//! to make up (off loopback, none given) goes to stderr, once. Off
//! loopback plain HTTP is refused unless `--allow-http` says it is meant.
//! Its tracing events go as JSON lines to `DATA_DIR/console.log` (with
//! the console's request lines). The first SIGINT/SIGTERM aborts the runs under way through their cancellation,
//! waits for them to record `aborted`, and exits.

use std::net::SocketAddr;
use std::path::PathBuf;

use smtx_console::{ServeOptions, TlsSource, Tokens};
use smtx_secret::Secret;

use crate::Outcome;
use crate::i18n::{CliMsg, Lang, Localize, ServeMsg, Text};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; off loopback a token is required (one is
    /// generated and printed when neither --token nor --token-file is
    /// given) and HTTPS (--tls-self-signed or --tls-cert/--tls-key) unless
    /// --allow-http.
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
    /// A file of `NAME TOKEN` lines (blank lines and `#` comments allowed),
    /// one per member of a team: any of them is accepted, and what each
    /// starts, uploads or aborts is recorded under its name. Must not be
    /// readable by other users (chmod 600).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Serve HTTPS with this certificate (PEM, the server's first, then
    /// its chain); needs --tls-key.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "tls_self_signed"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate the console makes once and keeps in
    /// its data directory (tls/self-signed.pem), naming localhost, this
    /// host's name and the listen address; its SHA-256 fingerprint is
    /// printed beside the address.
    #[arg(long)]
    pub tls_self_signed: bool,
    /// Serve plain HTTP off loopback all the same (a warning is printed):
    /// tokens and passwords then cross the network unencrypted.
    #[arg(long)]
    pub allow_http: bool,
    /// Keep uploads and finished runs this many days; older ones are
    /// removed at start and daily (never a run under way, never the newest
    /// finished run of a cluster).
    #[arg(long, value_name = "DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_days: u32,
    /// Keep at most this many finished runs (the newest; each cluster's
    /// newest is kept whatever the count).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_runs: Option<u64>,
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

/// Where the certificate comes from, per the flags (clap pairs them).
fn tls_source(args: &ServeArgs) -> Option<TlsSource> {
    match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsSource::Files {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => args.tls_self_signed.then_some(TlsSource::SelfSigned),
    }
}

/// The flags' refusals before anything is opened: both token flags, plain
/// HTTP off loopback, a token file that is shared or malformed.
fn checked(args: &ServeArgs, lang: Lang) -> Result<(Option<TlsSource>, Tokens), super::BadInput> {
    if args.token_file.is_some() && args.token.is_some() {
        return Err(super::BadInput(ServeMsg::TokenAndTokenFile.localize(lang)));
    }
    let tls = tls_source(args);
    let off_loopback = !args.listen.ip().is_loopback();
    if off_loopback && tls.is_none() {
        let addr = args.listen.to_string();
        if !args.allow_http {
            return Err(super::BadInput(
                ServeMsg::PlainHttpOffLoopback { addr }.localize(lang),
            ));
        }
        errln!("{}", ServeMsg::PlainHttpWarning { addr }.localize(lang));
    }
    let tokens = match &args.token_file {
        Some(path) => Tokens::from_file(path).map_err(|e| super::BadInput(e.localize(lang)))?,
        None => Tokens::default(),
    };
    Ok((tls, tokens))
}

pub async fn run(args: ServeArgs, lang: Lang) -> anyhow::Result<Outcome> {
    let (tls, named_tokens) = checked(&args, lang)?;
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
        named_tokens,
        iso_dir: args.iso_dir,
        tls,
        keep: smtx_console::prune::KeepPolicy {
            days: args.keep_days,
            runs: args
                .keep_runs
                .map(|runs| usize::try_from(runs).unwrap_or(usize::MAX)),
        },
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
        match console.tls_fingerprint() {
            Some(fingerprint) => {
                outln!(
                    "console: https://{}/  SHA-256 {fingerprint}",
                    console.addr()
                )
            }
            None => outln!("console: http://{}/", console.addr()),
        }
        let names = console.state().token_names();
        if !names.is_empty() {
            errln!("{}", ServeMsg::NamedTokens { names }.localize(lang));
        }
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
            | smtx_console::ConsoleError::Tls(_)
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
