//! Progress events: what a front end shows while a run is going (a line per
//! step in the terminal, a bar for the upload, live events in the console).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::{Stage, Step, StepResult};

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProgressEvent {
    StageStarted {
        stage: Stage,
    },
    StepStarted {
        stage: Stage,
        #[serde(rename = "action")]
        step: Step,
    },
    StepFinished {
        stage: Stage,
        /// Boxed: a result with its messages is much larger than the other
        /// events.
        result: Box<StepResult>,
    },
    /// Long transfers (the VMTools ISO).
    Transfer {
        #[serde(rename = "action")]
        step: Step,
        /// What is sent (the ISO's file name).
        file: String,
        bytes_done: u64,
        total: u64,
        bytes_per_sec: f64,
        #[serde(serialize_with = "serialize_eta")]
        eta: Option<Duration>,
    },
    StageFinished {
        stage: Stage,
        status: crate::StepStatus,
    },
}

fn serialize_eta<S: serde::Serializer>(eta: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match eta {
        Some(eta) => s.serialize_some(&eta.as_secs_f64()),
        None => s.serialize_none(),
    }
}

type ProgressFn = Arc<dyn Fn(&ProgressEvent) + Send + Sync>;

/// Where progress goes; cheap to clone, called from any task.
#[derive(Clone, Default)]
pub struct ProgressSink(Option<ProgressFn>);

impl ProgressSink {
    pub fn new(f: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(f)))
    }

    pub fn none() -> Self {
        Self(None)
    }

    pub fn emit(&self, event: ProgressEvent) {
        if let Some(f) = &self.0 {
            f(&event);
        }
    }
}

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "ProgressSink(on)"
        } else {
            "ProgressSink(off)"
        })
    }
}
