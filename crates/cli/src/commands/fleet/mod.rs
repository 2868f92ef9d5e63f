//! Fleets: `run --plans DIR|GLOB…` and `check --plans DIR|GLOB…`. Each
//! workbook is one cluster; at most `--parallel` of them are worked on at
//! once in this one process (the work is network-bound). A cluster's
//! settings file is `<workbook stem>.toml` in `--configs DIR`, else beside
//! the workbook, else the shared `--config`; every other flag applies to
//! all. A run gives each cluster its own run directory under one fleet
//! directory (`runs/fleet-<time>` unless `--run-dir`), with `fleet.json`
//! beside them. A line on stderr per cluster as it finishes, a table (or
//! `--json`) on stdout at the end, and the exit code of the worst cluster:
//! 1 (failed, could not check, interrupted) over 2 (bad input) over 3
//! (drift) over 0, and 130 when Ctrl-C stopped it. Ctrl-C stops every
//! cluster: none is started any more, those under way abort through the
//! engine (each records its step as aborted; a second Ctrl-C drops them)
//! and the summary says which. Which workbooks make the fleet: `members`.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use smtx_engine::check::{CheckReport, CheckRequest, CheckStatus};
use smtx_engine::fleet::FleetGate;
use smtx_engine::launch::LaunchRequest;
use smtx_engine::{CancellationToken, Localize, ProgressSink, Stage, StepStatus, Workbook};
use tokio::task::JoinSet;

use super::BadInput;
use super::check::CheckArgs;
use super::run::{RunArgs, default_run_dir, utc_stamp};
use crate::Outcome;
use crate::i18n::{CliMsg, Lang};
use crate::settings::{self, ConnectionArgs, RunSettingsArgs};
use smtx_i18n::{display_width, pad};

mod members;

pub(crate) use members::expand;
#[cfg(test)]
use members::wildcard_match;
use members::{Member, members};

/// How one cluster of the fleet ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Ok,
    Warning,
    Failed,
    BadInput,
    InSync,
    Drift,
    CouldNotCheck,
    /// Under way when Ctrl-C came.
    Aborted,
    /// Not started when Ctrl-C came.
    NotStarted,
}

impl MemberStatus {
    fn outcome(self) -> Outcome {
        match self {
            Self::Ok | Self::Warning | Self::InSync => Outcome::Ok,
            Self::Drift => Outcome::Drift,
            Self::BadInput => Outcome::BadInput,
            Self::Aborted | Self::NotStarted => Outcome::Aborted,
            Self::Failed | Self::CouldNotCheck => Outcome::Failed,
        }
    }
}

/// 130 (Ctrl-C) over 1 over 2 over 3 over 0: a cluster in an unknown or broken state is the
/// worst news, then a workbook to fix, then drift.
fn severity(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Ok => 0,
        Outcome::Drift => 1,
        Outcome::BadInput => 2,
        Outcome::Failed => 3,
        Outcome::Aborted => 4,
    }
}

/// One line of the fleet summary.
#[derive(Debug, Clone, Serialize)]
pub struct MemberResult {
    pub workbook: PathBuf,
    pub stem: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    pub status: MemberStatus,
    /// Run: steps that ended with a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<usize>,
    /// Check: items that are missing, different or extra.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_items: Option<usize>,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<CheckReport>,
}

impl MemberResult {
    fn new(member: &Member, status: MemberStatus) -> Self {
        Self {
            workbook: member.workbook.clone(),
            stem: member.stem.clone(),
            cluster: None,
            status,
            warnings: None,
            drift_items: None,
            duration_ms: 0,
            run_dir: None,
            detail: None,
            report: None,
        }
    }

    fn with_detail(mut self, status: MemberStatus, detail: impl Into<String>) -> Self {
        self.status = status;
        self.detail = Some(detail.into());
        self
    }

    fn name(&self) -> &str {
        self.cluster.as_deref().unwrap_or(&self.stem)
    }
}

/// Parses and validates one workbook quietly (a fleet's stderr is for one
/// line per cluster): errors become the cluster's detail.
fn read_workbook(path: &Path) -> Result<Workbook, String> {
    let bytes = smtx_plan::read_workbook_file(path, &smtx_plan::WorkbookLimits::DEFAULT)
        .map_err(|error| format!("{}: {error}", path.display()))?;
    let parsed = smtx_plan::parse_workbook(&bytes, &path.display().to_string())
        .map_err(|error| error.to_string())?;
    if parsed.has_errors() {
        let errors: Vec<String> = parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == smtx_plan::Severity::Error)
            .map(ToString::to_string)
            .collect();
        return Err(format!(
            "{} error(s), first: {}; see `smtx-deploy plan check {}`",
            errors.len(),
            errors.first().map(String::as_str).unwrap_or_default(),
            path.display()
        ));
    }
    Ok(Workbook {
        path: path.to_path_buf(),
        plan: parsed.plan,
    })
}

/// The connection flags with this cluster's settings file.
fn connection_for(base: &ConnectionArgs, member: &Member) -> Result<ConnectionArgs, String> {
    let mut connection = base.clone();
    if let Some(config) = &member.config {
        if !config.is_file() {
            return Err(format!("no settings file {}", config.display()));
        }
        connection.config = Some(config.clone());
    }
    Ok(connection)
}

/// Runs `job` for every member, `parallel` at a time, each on its own task;
/// prints a line as each ends; stops everything on Ctrl-C. Results come
/// back in the members' order, with `interrupted` set after a Ctrl-C.
async fn drive<F, Fut>(
    members: Vec<Member>,
    parallel: usize,
    lang: Lang,
    cancel: Option<CancellationToken>,
    job: F,
) -> (Vec<MemberResult>, bool)
where
    F: Fn(Member) -> Fut,
    Fut: Future<Output = MemberResult> + Send + 'static,
{
    let total = members.len();
    // Listen for Ctrl-C before any cluster starts: until then Ctrl-C would
    // kill the process without a summary.
    let mut stop = crate::signals::Stop::listen().ok();
    let mut interrupted = false;
    let gate = FleetGate::new(parallel);
    let started: Arc<Vec<AtomicBool>> =
        Arc::new((0..total).map(|_| AtomicBool::new(false)).collect());
    let mut tasks = JoinSet::new();
    for (index, member) in members.iter().enumerate() {
        let work = job(member.clone());
        let gate = gate.clone();
        let started = Arc::clone(&started);
        tasks.spawn(async move {
            let Some(_place) = gate.enter(None).await else {
                return (index, None);
            };
            if let Some(flag) = started.get(index) {
                flag.store(true, Ordering::SeqCst);
            }
            let begun = Instant::now();
            let mut result = work.await;
            result.duration_ms = begun.elapsed().as_millis() as u64;
            (index, Some(result))
        });
    }
    let mut results: Vec<Option<MemberResult>> = vec![None; total];
    let mut done = 0usize;
    // The first Ctrl-C starts no further cluster and aborts those under way
    // through the engine (each records its step as aborted and stops within
    // a second); a second one drops them where they stand.
    loop {
        let joined = tokio::select! {
            joined = tasks.join_next() => joined,
            () = crate::signals::requested(&mut stop) => {
                if interrupted {
                    tasks.abort_all();
                } else {
                    interrupted = true;
                    errln!("{}", text(lang, FleetMsg::Interrupted));
                    gate.close();
                    match &cancel {
                        Some(cancel) => cancel.cancel(),
                        None => tasks.abort_all(),
                    }
                }
                continue;
            }
        };
        let Some(joined) = joined else { break };
        // An aborted or panicked task has no result: the gap is filled below.
        if let Ok((index, Some(result))) = joined {
            done += 1;
            errln!("{}", line(lang, done, total, &result));
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(result);
            }
        }
    }
    let results = results
        .into_iter()
        .zip(&members)
        .enumerate()
        .map(|(index, (result, member))| {
            result.unwrap_or_else(|| {
                let began = started
                    .get(index)
                    .is_some_and(|flag| flag.load(Ordering::SeqCst));
                let status = match (interrupted, began) {
                    (true, true) => MemberStatus::Aborted,
                    (true, false) => MemberStatus::NotStarted,
                    // A task that panicked: a bug, reported as a failure.
                    (false, _) => MemberStatus::Failed,
                };
                MemberResult::new(member, status)
            })
        })
        .collect();
    (results, interrupted)
}

/// What a fleet run shares between its clusters.
struct RunShared {
    connection: ConnectionArgs,
    options: RunSettingsArgs,
    lang: Lang,
    /// Cancelled by Ctrl-C: every cluster under way aborts between calls.
    cancel: CancellationToken,
    stages: Vec<Stage>,
    fleet_dir: PathBuf,
    known_hosts: PathBuf,
}

async fn run_member(member: Member, shared: Arc<RunShared>) -> MemberResult {
    let mut result = MemberResult::new(&member, MemberStatus::Failed);
    let workbook = match read_workbook(&member.workbook) {
        Ok(workbook) => workbook,
        Err(detail) => return result.with_detail(MemberStatus::BadInput, detail),
    };
    result.cluster = Some(workbook.plan.cluster.name.clone());
    let connection = match connection_for(&shared.connection, &member) {
        Ok(connection) => connection,
        Err(detail) => return result.with_detail(MemberStatus::BadInput, detail),
    };
    let run_dir = shared.fleet_dir.join(&member.stem);
    let options = RunSettingsArgs {
        run_dir: Some(run_dir.clone()),
        ..shared.options.clone()
    };
    let mut settings = match settings::resolve(&connection, &options, shared.lang, run_dir) {
        Ok(settings) => settings,
        Err(error) => return result.with_detail(MemberStatus::BadInput, format!("{error:#}")),
    };
    // Pinned keys outlive the fleet directory, as a single run's outlive its
    // run directory.
    // A settings file that names its own pins (a rehearsal's) keeps them.
    if settings.known_hosts.is_none() {
        settings.known_hosts = Some(shared.known_hosts.clone());
    }
    result.run_dir = Some(settings.run_dir.clone());
    // The refusals of a single run, in its words: this cluster is bad input
    // (exit 2) and does not start; the others go on.
    let recorded =
        super::resume::RecordedSettings::of(&connection, &options, settings.vmtools_iso.as_deref());
    let prepared = match smtx_engine::launch::prepare(LaunchRequest {
        settings,
        workbook,
        stages: shared.stages.clone(),
        from_dir: None,
        front_end: recorded.front_end(None),
    }) {
        Ok(prepared) => prepared,
        Err(refusal) => {
            let detail = super::run::refusal_message(&refusal, None, shared.lang);
            return result.with_detail(MemberStatus::BadInput, detail);
        }
    };
    match prepared
        .run(ProgressSink::none(), shared.cancel.clone())
        .await
    {
        Ok(report) => {
            let steps = report.stages.iter().flat_map(|stage| &stage.steps);
            result.warnings = Some(
                steps
                    .clone()
                    .filter(|step| step.status == StepStatus::Warning)
                    .count(),
            );
            result.status = match report.status {
                StepStatus::Ok | StepStatus::Skipped => MemberStatus::Ok,
                StepStatus::Warning => MemberStatus::Warning,
                StepStatus::Failed => MemberStatus::Failed,
                StepStatus::Aborted => MemberStatus::Aborted,
            };
            result.detail = report
                .stages
                .iter()
                .flat_map(|stage| &stage.steps)
                .find(|step| step.status == StepStatus::Failed)
                .map(|step| {
                    format!(
                        "{}: {}",
                        step.step,
                        step.error
                            .as_ref()
                            .map(|error| error.localize(shared.lang))
                            .unwrap_or_default()
                    )
                });
            result
        }
        Err(error) => result.with_detail(MemberStatus::Failed, format!("{error:#}")),
    }
}

/// `run --plans`.
pub async fn run_fleet(args: RunArgs, lang: Lang) -> anyhow::Result<Outcome> {
    if args.from.is_some() {
        return Err(
            BadInput("--from names one run; it cannot be given with --plans".to_owned()).into(),
        );
    }
    let stages = args
        .stage_words()
        .iter()
        .map(|s| s.parse::<Stage>().map_err(|e| BadInput(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let members = members(&args.fleet, lang)?;
    let fleet_dir = args
        .settings
        .run_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(format!("fleet-{}", utc_stamp())));
    std::fs::create_dir_all(&fleet_dir).with_context(|| CliMsg::cannot_create(&fleet_dir, lang))?;
    let known_hosts = match fleet_dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join("known_hosts"),
        _ => PathBuf::from("known_hosts"),
    };
    let cancel = CancellationToken::new();
    let shared = Arc::new(RunShared {
        connection: args.connection.clone(),
        options: RunSettingsArgs {
            run_dir: None,
            ..args.settings.clone()
        },
        lang,
        cancel: cancel.clone(),
        stages,
        fleet_dir: fleet_dir.clone(),
        known_hosts,
    });
    errln!(
        "{} {} {} ({}), --parallel {}",
        text(lang, FleetMsg::Fleet),
        members.len(),
        text(lang, FleetMsg::Clusters),
        fleet_dir.display(),
        args.fleet.parallel
    );
    let began = Instant::now();
    let (results, interrupted) = drive(
        members,
        usize::from(args.fleet.parallel),
        lang,
        Some(cancel),
        move |member| run_member(member, Arc::clone(&shared)),
    )
    .await;
    let summary = FleetSummary::new(
        Some(fleet_dir.clone()),
        results,
        began.elapsed(),
        interrupted,
    );
    let json = serde_json::to_string_pretty(&summary)
        .with_context(|| CliMsg::CannotPrintReport.localize(lang))?;
    let file = fleet_dir.join("fleet.json");
    let partial = fleet_dir.join("fleet.json.partial");
    std::fs::write(&partial, &json)
        .and_then(|()| std::fs::rename(&partial, &file))
        .with_context(|| CliMsg::cannot_write(&file, lang))?;
    write_fleet_record(&summary.clusters, &fleet_dir, lang)?;
    if args.json {
        outln!("{json}");
    } else {
        out!("{}", summary.render(lang, FleetKind::Run));
    }
    Ok(summary.outcome)
}

/// The fleet's `report.html`: each cluster's outcome, linking the
/// delivery record its run wrote.
fn write_fleet_record(
    clusters: &[MemberResult],
    fleet_dir: &Path,
    lang: Lang,
) -> anyhow::Result<()> {
    let rows: Vec<smtx_engine::delivery::FleetRow> = clusters
        .iter()
        .map(|member| smtx_engine::delivery::FleetRow {
            workbook: member
                .workbook
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
            cluster: member.cluster.clone(),
            status: status_word(lang, member.status).to_string(),
            ok: matches!(member.status, MemberStatus::Ok | MemberStatus::Warning),
            run_dir: member
                .run_dir
                .as_deref()
                .filter(|dir| dir.join(smtx_engine::delivery::REPORT_HTML_FILE).is_file())
                .and_then(|dir| dir.strip_prefix(fleet_dir).ok())
                .map(|dir| dir.to_string_lossy().replace('\\', "/")),
        })
        .collect();
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let page = smtx_engine::delivery::render_fleet(&rows, &started, lang);
    let file = fleet_dir.join(smtx_engine::delivery::REPORT_HTML_FILE);
    smtx_api::write_atomic(&file, page.as_bytes(), smtx_api::Replace::Own)
        .with_context(|| CliMsg::cannot_write(&file, lang))
}

/// What a fleet check shares between its clusters.
struct CheckShared {
    connection: ConnectionArgs,
    options: RunSettingsArgs,
    lang: Lang,
}

async fn check_member(member: Member, shared: Arc<CheckShared>) -> MemberResult {
    let mut result = MemberResult::new(&member, MemberStatus::CouldNotCheck);
    let workbook = match read_workbook(&member.workbook) {
        Ok(workbook) => workbook,
        Err(detail) => return result.with_detail(MemberStatus::BadInput, detail),
    };
    result.cluster = Some(workbook.plan.cluster.name.clone());
    let connection = match connection_for(&shared.connection, &member) {
        Ok(connection) => connection,
        Err(detail) => return result.with_detail(MemberStatus::BadInput, detail),
    };
    let default_dir = default_run_dir(&workbook.plan.cluster.name);
    let settings = match settings::resolve(&connection, &shared.options, shared.lang, default_dir) {
        Ok(settings) => settings,
        Err(error) => return result.with_detail(MemberStatus::BadInput, format!("{error:#}")),
    };
    match smtx_engine::check::check(CheckRequest { settings, workbook }).await {
        Ok(report) => {
            result.status = match report.status {
                CheckStatus::InSync => MemberStatus::InSync,
                CheckStatus::Drift => MemberStatus::Drift,
                CheckStatus::CouldNotCheck => MemberStatus::CouldNotCheck,
            };
            result.drift_items = Some(
                report
                    .items
                    .iter()
                    .filter(|item| item.drift.is_drift())
                    .count(),
            );
            result.detail = report.error.clone().or_else(|| {
                let drifting: Vec<String> = report
                    .items
                    .iter()
                    .filter(|item| item.drift.is_drift())
                    .map(|item| match &item.subject {
                        Some(subject) => format!("{} {subject}", item.item),
                        None => item.item.to_owned(),
                    })
                    .collect();
                (!drifting.is_empty()).then(|| drifting.join(", "))
            });
            result.report = Some(report);
            result
        }
        Err(error) => result.with_detail(MemberStatus::BadInput, error.to_string()),
    }
}

/// `check --plans`.
pub async fn check_fleet(args: CheckArgs, lang: Lang) -> anyhow::Result<Outcome> {
    let members = members(&args.fleet, lang)?;
    let shared = Arc::new(CheckShared {
        connection: args.connection.clone(),
        options: args.options(),
        lang,
    });
    let began = Instant::now();
    let (results, interrupted) = drive(
        members,
        usize::from(args.fleet.parallel),
        lang,
        // A check only reads: Ctrl-C drops it where it stands.
        None,
        move |member| check_member(member, Arc::clone(&shared)),
    )
    .await;
    let summary = FleetSummary::new(None, results, began.elapsed(), interrupted);
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&summary)
                .with_context(|| CliMsg::CannotPrintReport.localize(lang))?
        );
    } else {
        for result in &summary.clusters {
            if let Some(report) = result
                .report
                .as_ref()
                .filter(|report| report.status != CheckStatus::InSync)
            {
                out!("{}", super::check::render(lang, report));
            }
        }
        out!("{}", summary.render(lang, FleetKind::Check));
    }
    Ok(summary.outcome)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FleetKind {
    Run,
    Check,
}

/// The whole fleet: what `--json` prints and `fleet.json` holds.
#[derive(Debug, Serialize)]
struct FleetSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    fleet_dir: Option<PathBuf>,
    /// The worst cluster's exit code.
    exit_code: u8,
    #[serde(skip)]
    outcome: Outcome,
    interrupted: bool,
    duration_ms: u64,
    clusters: Vec<MemberResult>,
}

impl FleetSummary {
    fn new(
        fleet_dir: Option<PathBuf>,
        clusters: Vec<MemberResult>,
        took: Duration,
        interrupted: bool,
    ) -> Self {
        let outcome = clusters
            .iter()
            .map(|result| result.status.outcome())
            .max_by_key(|outcome| severity(*outcome))
            .unwrap_or(Outcome::Ok);
        Self {
            fleet_dir,
            exit_code: crate::exit_code(outcome),
            outcome,
            interrupted,
            duration_ms: took.as_millis() as u64,
            clusters,
        }
    }

    fn render(&self, lang: Lang, kind: FleetKind) -> String {
        let name_width = self
            .clusters
            .iter()
            .map(|result| display_width(result.name()))
            .max()
            .unwrap_or(0)
            .max(display_width(text(lang, FleetMsg::Cluster)));
        let count_header = match kind {
            FleetKind::Run => text(lang, FleetMsg::Warnings),
            FleetKind::Check => text(lang, FleetMsg::DriftItems),
        };
        let mut out = format!(
            "{} {} {} {:>8}",
            pad(text(lang, FleetMsg::Cluster), name_width),
            pad(text(lang, FleetMsg::Status), 14),
            pad(count_header, 8),
            text(lang, FleetMsg::Time),
        );
        if kind == FleetKind::Run {
            out.push_str(&format!("  {}", text(lang, FleetMsg::RunDir)));
        }
        out.push('\n');
        for result in &self.clusters {
            out.push_str(&format!(
                "{} {} {} {:>8}",
                pad(result.name(), name_width),
                pad(status_word(lang, result.status), 14),
                pad(
                    &result
                        .warnings
                        .or(result.drift_items)
                        .map_or_else(|| "-".to_owned(), |count| count.to_string()),
                    8
                ),
                seconds(result.duration_ms),
            ));
            if kind == FleetKind::Run
                && let Some(dir) = &result.run_dir
            {
                out.push_str(&format!("  {}", dir.display()));
            }
            out.push('\n');
        }
        let mut tally: Vec<(MemberStatus, usize)> = Vec::new();
        for result in &self.clusters {
            match tally
                .iter_mut()
                .find(|(status, _)| *status == result.status)
            {
                Some((_, count)) => *count += 1,
                None => tally.push((result.status, 1)),
            }
        }
        let tally: Vec<String> = tally
            .iter()
            .map(|(status, count)| format!("{count} {}", status_word(lang, *status)))
            .collect();
        out.push_str(&format!(
            "\n{}: {} {}, {}; {}\n",
            text(lang, FleetMsg::Fleet),
            self.clusters.len(),
            text(lang, FleetMsg::Clusters),
            seconds(self.duration_ms),
            tally.join(", "),
        ));
        if let Some(dir) = &self.fleet_dir {
            out.push_str(&format!(
                "{}: {}\n",
                text(lang, FleetMsg::FleetDir),
                dir.display()
            ));
        }
        out
    }
}

/// The line printed (stderr) as a cluster ends.
fn line(lang: Lang, done: usize, total: usize, result: &MemberResult) -> String {
    let width = total.to_string().len();
    let mut text = format!(
        "[{done:>width$}/{total}] {} {} {:>6}",
        pad(status_word(lang, result.status), 14),
        result.name(),
        seconds(result.duration_ms)
    );
    if let Some(dir) = &result.run_dir {
        text.push_str(&format!("  {}", dir.display()));
    }
    if let Some(detail) = &result.detail {
        text.push_str(&format!("  {detail}"));
    }
    text
}

fn seconds(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

fn status_word(lang: Lang, status: MemberStatus) -> &'static str {
    use MemberStatus::*;
    match (lang, status) {
        (Lang::En, Ok) => "ok",
        (Lang::ZhCn, Ok) => "成功",
        (Lang::En, Warning) => "warning",
        (Lang::ZhCn, Warning) => "警告",
        (Lang::En, Failed) => "FAILED",
        (Lang::ZhCn, Failed) => "失败",
        (Lang::En, BadInput) => "bad input",
        (Lang::ZhCn, BadInput) => "输入有误",
        (Lang::En, InSync) => "in sync",
        (Lang::ZhCn, InSync) => "一致",
        (Lang::En, Drift) => "drift",
        (Lang::ZhCn, Drift) => "有偏差",
        (Lang::En, CouldNotCheck) => "could not check",
        (Lang::ZhCn, CouldNotCheck) => "无法核对",
        (Lang::En, Aborted) => "aborted",
        (Lang::ZhCn, Aborted) => "已中止",
        (Lang::En, NotStarted) => "not started",
        (Lang::ZhCn, NotStarted) => "未开始",
    }
}

/// The fleet's fixed strings, in both languages (the pattern of `i18n.rs`,
/// kept beside the command until the catalogue takes them).
#[derive(Debug, Clone, Copy)]
enum FleetMsg {
    Fleet,
    Clusters,
    Cluster,
    Status,
    Warnings,
    DriftItems,
    Time,
    RunDir,
    FleetDir,
    Interrupted,
}

fn text(lang: Lang, msg: FleetMsg) -> &'static str {
    use FleetMsg::*;
    match (lang, msg) {
        (Lang::En, Fleet) => "fleet",
        (Lang::ZhCn, Fleet) => "批量",
        (Lang::En, Clusters) => "cluster(s)",
        (Lang::ZhCn, Clusters) => "个集群",
        (Lang::En, Cluster) => "cluster",
        (Lang::ZhCn, Cluster) => "集群",
        (Lang::En, Status) => "status",
        (Lang::ZhCn, Status) => "状态",
        (Lang::En, Warnings) => "warnings",
        (Lang::ZhCn, Warnings) => "警告数",
        (Lang::En, DriftItems) => "drift",
        (Lang::ZhCn, DriftItems) => "偏差项",
        (Lang::En, Time) => "time",
        (Lang::ZhCn, Time) => "耗时",
        (Lang::En, RunDir) => "run directory",
        (Lang::ZhCn, RunDir) => "运行目录",
        (Lang::En, FleetDir) => "fleet directory",
        (Lang::ZhCn, FleetDir) => "批量运行目录",
        (Lang::En, Interrupted) => {
            "interrupted: stopping every cluster (each run directory keeps what was done)"
        }
        (Lang::ZhCn, Interrupted) => "已中断：正在停止所有集群（各运行目录保留已完成的内容）",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, name: &str) -> bool {
        let pattern: Vec<char> = pattern.chars().collect();
        let name: Vec<char> = name.chars().collect();
        wildcard_match(&pattern, &name)
    }

    #[test]
    fn wildcards_match_like_a_shell() {
        assert!(matches("*.xlsx", "site-01.xlsx"));
        assert!(matches("site-??.xlsx", "site-01.xlsx"));
        assert!(matches("规划*", "规划设计表.xlsx"));
        assert!(!matches("site-?.xlsx", "site-01.xlsx"));
        assert!(!matches("*.xlsx", "site-01.xls"));
    }

    #[test]
    fn the_worst_cluster_decides_the_exit_code() {
        let worst = |statuses: &[MemberStatus]| {
            statuses
                .iter()
                .map(|status| status.outcome())
                .max_by_key(|outcome| severity(*outcome))
                .map(crate::exit_code)
        };
        use MemberStatus::*;
        assert_eq!(worst(&[Ok, Warning, InSync]), Some(0));
        assert_eq!(worst(&[InSync, Drift]), Some(3));
        assert_eq!(worst(&[Drift, BadInput]), Some(2));
        assert_eq!(worst(&[BadInput, Drift, CouldNotCheck]), Some(1));
        // A fleet stopped by Ctrl-C exits as a single run does.
        assert_eq!(worst(&[Ok, NotStarted]), Some(130));
        assert_eq!(worst(&[Failed, Aborted]), Some(130));
    }

    #[test]
    fn a_directory_lists_its_workbooks_but_not_excel_lock_files() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        for name in ["b.xlsx", "a.xlsx", "~$a.xlsx", "notes.txt", "c.XLSX"] {
            std::fs::write(dir.path().join(name), b"x")?;
        }
        let found = expand(&[dir.path().display().to_string()], Lang::En)?;
        let names: Vec<String> = found
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        assert_eq!(names, ["a.xlsx", "b.xlsx", "c.XLSX"]);
        let pattern = dir.path().join("?.xlsx").display().to_string();
        assert_eq!(
            expand(&[pattern.clone(), pattern], Lang::En)?.len(),
            2,
            "each once"
        );
        assert!(
            expand(
                &[dir.path().join("zz*.xlsx").display().to_string()],
                Lang::En
            )
            .is_err()
        );
        Ok(())
    }
}
