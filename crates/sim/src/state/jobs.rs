//! Jobs: what settings and VDS creation answer with, advancing `pending` →
//! `running` → `done`/`failed` as they are polled (and no sooner than the
//! minimum duration). Bounded by [`Limits::jobs`](super::Limits): past it
//! the oldest finished job is dropped, or the oldest job when none has
//! finished; polling a dropped job answers 404 saying so.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::fixtures::{JOB, set};
use super::{ApiError, Evicted, SimState, epoch_seconds, v4_uuid};

pub(super) struct Job {
    pub id: String,
    pub description: String,
    event_name: String,
    message: String,
    pub polls: u32,
    pub fails: bool,
    ctime: u64,
    /// For a minimum wall-clock duration (`SimOptions::job_duration`).
    created: Instant,
    resources: Value,
    event_resources: Value,
    event_data: Value,
}

/// What a new job reports about itself.
pub(super) struct NewJob {
    pub description: &'static str,
    pub event_name: &'static str,
    pub message: String,
    pub resources: Value,
    pub event_resources: Value,
    pub event_data: Value,
}

#[derive(Default)]
pub(super) struct Jobs {
    pub list: VecDeque<Job>,
    pub evicted: Evicted,
}

/// When jobs end: after this many polls and no sooner than this.
#[derive(Clone, Copy)]
pub(super) struct Pace {
    pub polls_to_finish: u32,
    pub duration: Duration,
}

impl Job {
    pub fn state(&self, pace: Pace) -> &'static str {
        if self.polls > pace.polls_to_finish && self.created.elapsed() >= pace.duration {
            if self.fails { "failed" } else { "done" }
        } else if self.polls <= 1 {
            "pending"
        } else {
            "running"
        }
    }

    fn finished(&self, pace: Pace) -> bool {
        matches!(self.state(pace), "done" | "failed")
    }

    fn to_json(&self, state: &str) -> Result<Value, ApiError> {
        let message = if state == "failed" {
            format!("{} failed (injected fault).\n", self.description)
        } else {
            self.message.clone()
        };
        let both = json!({"zh_CN": message, "en_US": message});
        let mut job = JOB.load()?;
        set(&mut job, &["job_id"], json!(self.id))?;
        set(&mut job, &["state"], json!(state))?;
        set(&mut job, &["description"], json!(self.description))?;
        set(&mut job, &["resources"], self.resources.clone())?;
        set(&mut job, &["ctime"], json!(self.ctime))?;
        set(&mut job, &["event", "event_name"], json!(self.event_name))?;
        set(
            &mut job,
            &["event", "resources"],
            self.event_resources.clone(),
        )?;
        set(&mut job, &["event", "message"], both.clone())?;
        set(&mut job, &["event", "detail"], both)?;
        set(&mut job, &["event", "data"], self.event_data.clone())?;
        if state == "failed"
            && let Some(object) = job.as_object_mut()
        {
            object.insert(
                "error".to_owned(),
                Value::String(message.trim_end().to_owned()),
            );
        }
        Ok(json!({ "job": job }))
    }
}

impl SimState {
    pub(super) fn pace(&self) -> Pace {
        Pace {
            polls_to_finish: self.job_polls_to_finish,
            duration: self.job_duration,
        }
    }

    /// Starts a job (made to fail if a `job_fails` fault says so); returns
    /// its id and whether it will fail.
    pub(super) fn new_job(&mut self, new: NewJob) -> (String, bool) {
        let id = v4_uuid(&mut self.rng);
        let fails = self.faults.take_job_failure(new.description);
        let pace = self.pace();
        let jobs = &mut self.jobs;
        while jobs.list.len() >= self.limits.jobs.max(1) {
            let victim = jobs
                .list
                .iter()
                .position(|job| job.finished(pace))
                .unwrap_or(0);
            if let Some(job) = jobs.list.remove(victim) {
                jobs.evicted
                    .record(job.id, self.limits.remembered_evictions);
            }
        }
        jobs.list.push_back(Job {
            id: id.clone(),
            description: new.description.to_owned(),
            event_name: new.event_name.to_owned(),
            message: new.message,
            polls: 0,
            fails,
            ctime: epoch_seconds(),
            created: Instant::now(),
            resources: new.resources,
            event_resources: new.event_resources,
            event_data: new.event_data,
        });
        (id, fails)
    }

    /// A job with empty resources, as the settings endpoints start.
    pub(super) fn settings_job(
        &mut self,
        description: &'static str,
        message: String,
    ) -> (String, bool) {
        self.new_job(NewJob {
            description,
            event_name: description,
            message,
            resources: json!({}),
            event_resources: json!({}),
            event_data: json!({}),
        })
    }

    pub fn poll_job(&mut self, job_id: &str) -> Result<Value, ApiError> {
        let pace = self.pace();
        let Some(job) = self.jobs.list.iter_mut().find(|job| job.id == job_id) else {
            if self.jobs.evicted.contains(job_id) {
                return Err(ApiError::not_found(
                    "JOB_NOT_FOUND",
                    format!(
                        "job {job_id} was dropped: the simulator keeps the newest {} jobs",
                        self.limits.jobs
                    ),
                ));
            }
            return Err(ApiError::not_found(
                "JOB_NOT_FOUND",
                format!("no job {job_id}"),
            ));
        };
        job.polls += 1;
        let state = job.state(pace);
        job.to_json(state)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Limits;
    use super::super::settings::DnsBody;
    use super::super::tests::state;
    use super::*;

    fn dns_job(state: &mut SimState) -> Result<String, ApiError> {
        let body: DnsBody = serde_json::from_value(json!({"dns_servers": ["10.0.0.1"]}))
            .map_err(|error| ApiError::internal(error.to_string()))?;
        let answer = state.set_dns(body)?;
        Ok(answer["job_id"].as_str().unwrap_or_default().to_owned())
    }

    #[test]
    fn jobs_go_pending_running_done() -> Result<(), ApiError> {
        let mut state = state();
        let id = dns_job(&mut state)?;
        let states: Vec<Value> = (0..4)
            .map(|_| state.poll_job(&id).map(|job| job["job"]["state"].clone()))
            .collect::<Result<_, _>>()?;
        assert_eq!(
            states,
            vec![
                json!("pending"),
                json!("running"),
                json!("done"),
                json!("done")
            ]
        );
        Ok(())
    }

    #[test]
    fn finished_jobs_are_dropped_first_then_the_oldest() -> Result<(), ApiError> {
        let mut state = state().with_limits(Limits {
            jobs: 2,
            ..Limits::DEFAULT
        });
        let first = dns_job(&mut state)?;
        let second = dns_job(&mut state)?;
        for _ in 0..3 {
            state.poll_job(&second)?;
        }
        // `second` is done, `first` still pending: `second` goes.
        let third = dns_job(&mut state)?;
        let dropped = state.poll_job(&second);
        assert!(
            dropped
                .as_ref()
                .is_err_and(|error| error.msg.contains("was dropped")),
            "{dropped:?}"
        );
        state.poll_job(&first)?;
        // None finished: the oldest (`first`) goes.
        dns_job(&mut state)?;
        assert!(state.poll_job(&first).is_err());
        state.poll_job(&third)?;
        assert_eq!(state.jobs.list.len(), 2);
        assert_eq!(state.jobs.evicted.total(), 2);
        assert!(
            state
                .poll_job("unknown")
                .is_err_and(|error| error.msg == "no job unknown")
        );
        Ok(())
    }
}
