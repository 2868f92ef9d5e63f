//! The stages and what they share: the per-stage run state, the client
//! built from settings, the step bookkeeping (result, log line, progress
//! event) every step goes through, and the lanes a stage may split into
//! (steps of different lanes under way at once, one report in the design's
//! order).

pub mod config_cluster;
pub mod prepare;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use smtx_api::{ApiClient, ClientConfig, TlsConfig};
use smtx_plan::Plan;
use tokio_util::sync::CancellationToken;

use crate::messages::RunMsg;
use crate::{
    EngineError, ProgressEvent, ProgressSink, RunContext, Settings, Stage, Step, StepResult,
    StepStatus, Workbook,
};

/// The result of a step the run was stopped in.
pub(crate) fn aborted_step(step: Step) -> StepResult {
    StepResult::aborted(step, RunMsg::Aborted).with_hint(RunMsg::AbortedHint)
}

/// What one stage works with while it runs.
#[derive(Debug)]
pub struct StageRun<'a> {
    pub stage: Stage,
    pub settings: &'a Settings,
    pub workbook: &'a Workbook,
    pub client: ApiClient,
    pub context: &'a mut RunContext,
    pub progress: ProgressSink,
    pub results: Vec<StepResult>,
    cancel: CancellationToken,
    /// The step started last and not yet recorded: what an abort interrupts.
    current: Option<(Step, Instant)>,
    /// A step was recorded `aborted`: nothing after it ran, so nothing after
    /// it is recorded.
    stopped: bool,
    /// While the stage runs in lanes: what they share (this run's own
    /// results wait there until [`StageRun::join_lanes`]).
    board: Option<Arc<Mutex<Board>>>,
    /// This run is one lane of its stage.
    lane: Option<Lane>,
}

/// The lanes `config_cluster` runs side by side once its session is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lane {
    Api,
    Ssh,
    Upload,
}

impl Lane {
    const ALL: [Lane; 3] = [Lane::Api, Lane::Ssh, Lane::Upload];

    fn index(self) -> usize {
        self as usize
    }
}

/// What the lanes of a stage share while they run.
#[derive(Debug)]
pub(crate) struct Board {
    /// The stage's results before it split.
    base: Vec<StepResult>,
    lanes: [LaneState; 3],
    /// The context the lanes' checkpoints save: the stage's own, with what
    /// each lane wrote into its copy.
    context: RunContext,
    /// A lane failed the stage: the others end their step under way, then
    /// start no other.
    halted: bool,
    /// Whether the VIP is in place, once the API lane has recorded it: the
    /// upload goes there, as it does one step at a time.
    vip: tokio::sync::watch::Sender<Option<bool>>,
}

#[derive(Debug, Default)]
struct LaneState {
    results: Vec<StepResult>,
    current: Option<(Step, Instant)>,
    stopped: bool,
}

impl Board {
    /// Every result so far, in the design's order whatever order the lanes
    /// ended them in: a lane's own order is kept, and the steps of later
    /// lanes come after those of earlier ones by their rank in the design.
    fn merged(&self) -> Vec<StepResult> {
        let mut all: Vec<StepResult> = self.base.clone();
        for lane in &self.lanes {
            all.extend(lane.results.iter().cloned());
        }
        // Stable: results of one rank keep the order they were recorded in.
        all.sort_by_key(|result| config_cluster::design_rank(&result.step));
        all
    }

    /// What `lane` wrote into its copy of the context, into the shared one:
    /// each lane owns its fields, so nothing is overwritten.
    fn absorb(&mut self, lane: Lane, from: &RunContext) {
        let Some(record) = &from.extra.config_cluster else {
            return;
        };
        match lane {
            Lane::Api => {
                self.context.extra.config_cluster_mut().vds_uuid = record.vds_uuid.clone();
            }
            Lane::Upload => {
                self.context.extra.config_cluster_mut().svt_image = record.svt_image.clone();
                self.context.extra.deploy_cloudtower = from.extra.deploy_cloudtower.clone();
            }
            Lane::Ssh => {}
        }
    }
}

/// What a stage hands back besides its results.
#[derive(Debug, Default)]
pub struct StageOutcome {
    pub serial: Option<String>,
}

impl<'a> StageRun<'a> {
    pub fn new(
        stage: Stage,
        settings: &'a Settings,
        workbook: &'a Workbook,
        client: ApiClient,
        context: &'a mut RunContext,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            stage,
            settings,
            workbook,
            client,
            context,
            progress,
            results: Vec::new(),
            cancel,
            current: None,
            stopped: false,
            board: None,
            lane: None,
        }
    }

    /// Split the stage into lanes: the results so far and the context are
    /// shared from here until [`StageRun::join_lanes`].
    pub(crate) fn fork(&mut self) -> Arc<Mutex<Board>> {
        let board = Arc::new(Mutex::new(Board {
            base: self.results.clone(),
            lanes: Default::default(),
            context: self.context.clone(),
            halted: false,
            vip: tokio::sync::watch::Sender::new(None),
        }));
        self.board = Some(board.clone());
        board
    }

    /// One lane of a forked stage, working on its own copy of the context
    /// (`context`, cloned from the stage's).
    pub(crate) fn lane<'b>(
        &self,
        lane: Lane,
        board: &Arc<Mutex<Board>>,
        context: &'b mut RunContext,
    ) -> StageRun<'b>
    where
        'a: 'b,
    {
        StageRun {
            stage: self.stage,
            settings: self.settings,
            workbook: self.workbook,
            client: self.client.clone(),
            context,
            progress: self.progress.clone(),
            results: Vec::new(),
            cancel: self.cancel.clone(),
            current: None,
            stopped: false,
            board: Some(board.clone()),
            lane: Some(lane),
        }
    }
}

impl StageRun<'_> {
    pub fn plan(&self) -> &Plan {
        &self.workbook.plan
    }

    pub fn step_started(&mut self, step: Step) -> Instant {
        let now = Instant::now();
        if self.stopped {
            return now;
        }
        self.current = Some((step.clone(), now));
        if let (Some(lane), Some(board)) = (self.lane, &self.board)
            && let Ok(mut board) = board.lock()
        {
            board.lanes[lane.index()].current = Some((step.clone(), now));
        }
        self.progress.emit(ProgressEvent::StepStarted {
            stage: self.stage,
            step,
        });
        now
    }

    /// A step was recorded `aborted`.
    pub fn has_stopped(&self) -> bool {
        self.stopped
    }

    /// Another lane failed the stage: this lane starts no further step.
    pub(crate) fn halted(&self) -> bool {
        self.lane.is_some()
            && self
                .board
                .as_ref()
                .and_then(|board| board.lock().ok().map(|board| board.halted))
                .unwrap_or(false)
    }

    /// Whether the VIP is in place: at once one step at a time (`None`:
    /// not set, or not forked), else once the API lane has recorded its
    /// step; an abort ends the wait (the calls after it are refused anyway).
    pub(crate) async fn vip_in_place(&self) -> bool {
        let Some(mut vip) = self
            .board
            .as_ref()
            .and_then(|board| board.lock().ok().map(|board| board.vip.subscribe()))
        else {
            return false;
        };
        tokio::select! {
            settled = vip.wait_for(Option::is_some) => settled.ok().and_then(|vip| *vip).unwrap_or(false),
            () = self.cancel.cancelled() => false,
        }
    }

    /// The lanes have ended (or were dropped at the abort backstop): their
    /// results become the stage's, in the design's order, and each step a
    /// lane had under way is recorded `aborted`. True when a lane failed
    /// the stage.
    pub(crate) fn join_lanes(&mut self) -> bool {
        let Some(board) = self.board.take() else {
            return false;
        };
        let Ok(mut board) = board.lock() else {
            return false;
        };
        for lane in Lane::ALL {
            let state = &mut board.lanes[lane.index()];
            if let Some((step, started)) = state.current.take()
                && !state.stopped
            {
                let result = self.finish(aborted_step(step), started);
                state.results.push(result);
                state.stopped = true;
            }
        }
        self.results = board.merged();
        self.stopped = board.lanes.iter().any(|lane| lane.stopped);
        self.current = None;
        *self.context = board.context.clone();
        let halted = board.halted;
        drop(board);
        self.checkpoint();
        halted
    }

    /// The step under way (started, not recorded), else the stage itself.
    pub(crate) fn current_step(&self) -> (Step, Instant) {
        self.current
            .clone()
            .unwrap_or_else(|| (Step::Stage(self.stage), Instant::now()))
    }

    /// Record a step: result list, stage log line, progress event.
    ///
    /// Once the run is aborted, the first step that does not succeed is the
    /// one the abort interrupted (its calls answer "aborted"): it is
    /// recorded `aborted`, and the steps after it, which never really ran,
    /// are not recorded at all.
    pub fn record(&mut self, mut result: StepResult, started: Instant) {
        if self.stopped {
            return;
        }
        if self.cancel.is_cancelled()
            && matches!(result.status, StepStatus::Warning | StepStatus::Failed)
        {
            result = StepResult {
                detail: result.detail.take(),
                ..aborted_step(result.step)
            };
        }
        if result.status == StepStatus::Aborted {
            self.stopped = true;
        }
        self.current = None;
        let result = self.finish(result, started);
        match (self.lane, self.board.clone()) {
            (Some(lane), Some(board)) => self.record_in_lane(lane, &board, result),
            _ => {
                self.results.push(result);
                self.checkpoint();
            }
        }
    }

    /// A lane's result goes to the board, and the checkpoint saves every
    /// lane's results so far.
    fn record_in_lane(&mut self, lane: Lane, board: &Mutex<Board>, result: StepResult) {
        let Ok(mut board) = board.lock() else {
            return;
        };
        // The design says a failed upload (after its retry and recreate)
        // fails the stage.
        if lane == Lane::Upload
            && result.step == Step::VmtoolsUpload
            && result.status == StepStatus::Failed
        {
            board.halted = true;
        }
        if result.step == Step::SetVip {
            board
                .vip
                .send_replace(Some(result.status == StepStatus::Ok));
        }
        let state = &mut board.lanes[lane.index()];
        state.results.push(result);
        state.current = None;
        state.stopped = self.stopped;
        board.absorb(lane, &*self.context);
        let merged = board.merged();
        board.context.extra.record_stage(self.stage, &merged, None);
        if let Err(error) = board.context.save(&self.settings.run_dir) {
            tracing::warn!(action = "checkpoint", status = "failed", error = %error);
        }
    }

    /// A result's time, log line and progress event.
    fn finish(&self, mut result: StepResult, started: Instant) -> StepResult {
        result.elapsed_ms = started.elapsed().as_millis() as u64;
        let error = result
            .error
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let detail = result
            .detail
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        match result.status {
            StepStatus::Ok | StepStatus::Skipped => tracing::info!(
                stage = self.stage.name(),
                action = %result.step,
                status = result.status.as_str(),
                error = %error,
                detail = %detail,
                elapsed_ms = result.elapsed_ms,
            ),
            StepStatus::Warning | StepStatus::Failed | StepStatus::Aborted => tracing::warn!(
                stage = self.stage.name(),
                action = %result.step,
                status = result.status.as_str(),
                error = %error,
                detail = %detail,
                elapsed_ms = result.elapsed_ms,
            ),
        }
        self.progress.emit(ProgressEvent::StepFinished {
            stage: self.stage,
            result: Box::new(result.clone()),
        });
        result
    }

    /// Save the context with the results so far: a run killed mid-stage
    /// (Ctrl-C, a lost laptop lid) leaves a `context.json` that says how far
    /// it got.
    fn checkpoint(&mut self) {
        self.context
            .extra
            .record_stage(self.stage, &self.results, None);
        if let Err(error) = self.context.save(&self.settings.run_dir) {
            tracing::warn!(action = "checkpoint", status = "failed", error = %error);
        }
    }
}

/// The API base: configured, else the first host's management IP.
pub fn api_base(settings: &Settings, plan: &Plan) -> Option<String> {
    settings.api_base.clone().or_else(|| {
        plan.hosts
            .first()
            .map(|h| format!("{}://{}", settings.scheme, h.management_ip))
    })
}

pub fn build_client(settings: &Settings, plan: &Plan) -> Result<ApiClient, EngineError> {
    let base = api_base(settings, plan).ok_or(EngineError::NoApiBase)?;
    let mut config = ClientConfig::new(base);
    config.overrides = settings.http_overrides.clone();
    config.tls = TlsConfig {
        ca_cert_pem: settings.ca_cert.as_ref().map(|(_, pem)| pem.clone()),
        insecure: settings.insecure,
    };
    config.request_timeout = settings.request_timeout;
    config.dry_run = settings.dry_run;
    Ok(ApiClient::new(config)?)
}
