//! The call log behind `/_sim/state`'s `calls`: a ring buffer of the most
//! recent [`Limits::calls`](super::Limits) calls, each with a sequence
//! number that keeps counting across dropped entries, so a reader can tell
//! the log was cut and by how much. Each call says when it arrived and
//! when it was answered (microseconds since the simulator's first call), so
//! a reader can tell which calls overlapped.

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::time::Instant;

use super::{SimState, Target};

pub(super) struct CallRecord {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    pub target: Target,
    pub started_us: u64,
    pub ended_us: u64,
}

/// What call times count from: one instant per process is enough to order
/// the calls of one simulator.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// `at` in microseconds since [`epoch`].
fn micros(at: Instant) -> u64 {
    at.saturating_duration_since(epoch()).as_micros() as u64
}

#[derive(Default)]
pub(super) struct CallLog {
    pub records: VecDeque<CallRecord>,
    next_seq: u64,
    pub dropped: u64,
}

/// At most `limit` bytes of `text`, cut at a character boundary and marked,
/// so one absurd URL cannot hold megabytes in the log.
fn clipped(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

impl SimState {
    pub fn record_call(
        &mut self,
        method: &str,
        path: &str,
        query: Option<&str>,
        status: u16,
        target: Target,
    ) {
        self.record_call_since(method, path, query, status, target, Instant::now());
    }

    /// A call that arrived at `started` and is answered now.
    pub fn record_call_since(
        &mut self,
        method: &str,
        path: &str,
        query: Option<&str>,
        status: u16,
        target: Target,
        started: Instant,
    ) {
        let limit = self.limits.logged_text;
        let log = &mut self.calls;
        if self.limits.calls == 0 {
            log.dropped += 1;
            log.next_seq += 1;
            return;
        }
        while log.records.len() >= self.limits.calls {
            log.records.pop_front();
            log.dropped += 1;
        }
        log.records.push_back(CallRecord {
            seq: log.next_seq,
            method: clipped(method, limit),
            path: clipped(path, limit),
            query: query.map(|query| clipped(query, limit)),
            status,
            target,
            started_us: micros(started),
            ended_us: micros(Instant::now()),
        });
        log.next_seq += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Limits, SimState};
    use super::*;
    use crate::spec::ClusterSpec;

    #[test]
    fn the_log_keeps_the_newest_calls_and_counts_the_rest() {
        let mut state = SimState::new(ClusterSpec::example(1), 1024, 2).with_limits(Limits {
            calls: 3,
            logged_text: 8,
            ..Limits::DEFAULT
        });
        for index in 0..5 {
            state.record_call("GET", &format!("/p{index}"), None, 200, Target::Node(0));
        }
        state.record_call("GET", "/a/very/long/path/ü", Some("q"), 404, Target::Vip);
        let seqs: Vec<u64> = state.calls.records.iter().map(|call| call.seq).collect();
        assert_eq!(seqs, vec![3, 4, 5]);
        assert_eq!(state.calls.dropped, 3);
        assert_eq!(
            state.calls.records.back().map(|call| call.path.as_str()),
            Some("/a/very/…")
        );
    }

    #[test]
    fn clipping_never_splits_a_character() {
        assert_eq!(clipped("ééé", 3), "é…");
        assert_eq!(clipped("abc", 3), "abc");
    }
}
