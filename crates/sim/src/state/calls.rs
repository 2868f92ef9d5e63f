//! The call log behind `/_sim/state`'s `calls`: a ring buffer of the most
//! recent [`Limits::calls`](super::Limits) calls, each with a sequence
//! number that keeps counting across dropped entries, so a reader can tell
//! the log was cut and by how much.

use std::collections::VecDeque;

use super::{SimState, Target};

pub(super) struct CallRecord {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    pub target: Target,
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
