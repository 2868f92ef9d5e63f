//! The simulated cluster's state machine, split by domain: authentication
//! and sessions ([`auth`]), cluster settings ([`settings`]), the host scan
//! ([`deployment`]), IPMI accounts ([`ipmi`]), VDSes and VLANs ([`network`]),
//! jobs ([`jobs`]), upload volumes ([`images`]), the hosts' SSH accounts
//! ([`accounts`]), armed faults ([`faults`]), the call log ([`calls`]) and
//! the `/_sim/state` document ([`snapshot`]). Canned answer bodies live in
//! `crates/sim/fixtures/*.json` ([`fixtures`]).
//!
//! No sockets and no file I/O here: the HTTP and SSH layers call into one
//! [`SimState`] under one mutex that is never held across an `.await`, and
//! do the I/O a call asks for (create or remove an image file) themselves.
//! Everything a client can make grow is bounded by [`Limits`]: the oldest
//! entry goes, and later uses of it get an error that says so.

use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use smtx_secret::Secret;

use crate::spec::ClusterSpec;

mod accounts;
mod auth;
mod calls;
mod deployment;
mod faults;
mod fixtures;
mod images;
mod ipmi;
mod jobs;
mod network;
mod readback;
mod settings;
mod snapshot;

pub use accounts::SshDecision;
pub(crate) use auth::{LoginBody, SetupRootBody};
pub(crate) use images::{HashRest, NewVolume};
pub(crate) use ipmi::UpsertIpmiBody;
pub(crate) use network::{CreateVdsBody, CreateVlanBody};
pub(crate) use settings::{CpuModelBody, DnsBody, NtpBody, VipBody};

/// The fixed pre-deployment token every SMTX OS host accepts on
/// `/api/v2/deployment/*`.
pub const PRE_DEPLOYMENT_TOKEN: &str = "e79b85fc18b7402fbcc0391fe8d7d24c";

/// The `smartx`/`root` host password right after deployment.
pub const DEFAULT_HOST_PASSWORD: &str = "P@ssw0rd!123";

/// An API error: HTTP status plus the envelope's `ec` and `error.msg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub ec: &'static str,
    pub msg: String,
}

impl ApiError {
    pub fn new(status: StatusCode, ec: &'static str, msg: impl Into<String>) -> Self {
        Self {
            status,
            ec,
            msg: msg.into(),
        }
    }

    pub fn bad_request(ec: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ec, msg)
    }

    pub fn not_found(ec: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ec, msg)
    }

    pub fn conflict(ec: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ec, msg)
    }

    pub fn unauthorized(ec: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ec, msg)
    }

    pub fn internal(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", msg)
    }

    pub fn envelope(&self) -> Value {
        json!({"ec": self.ec, "error": {"msg": self.msg, "detail": ""}, "data": {}})
    }
}

/// Which listener a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Node(usize),
    Vip,
}

/// How much of each thing a client can make grow the simulator keeps.
/// Generous for any deployment run (a run makes a few hundred calls, a
/// handful of sessions, jobs and images), small enough that a flood of
/// requests cannot grow the process by more than a few MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Call-log entries (a ring: the oldest are dropped).
    pub calls: usize,
    /// Open sessions (the oldest login is logged out).
    pub sessions: usize,
    /// Jobs (finished ones go first, then the oldest).
    pub jobs: usize,
    /// Upload volumes, deleted ones included (deleted ones go first, then
    /// the oldest, whose file is removed).
    pub images: usize,
    /// How many evicted session tokens, job ids and image uuids are
    /// remembered, so a late use of one says "evicted" rather than "unknown".
    pub remembered_evictions: usize,
    /// Longest path or query kept in the call log, in bytes.
    pub logged_text: usize,
}

impl Limits {
    pub const DEFAULT: Self = Self {
        calls: 4096,
        sessions: 1024,
        jobs: 1024,
        images: 32,
        remembered_evictions: 1024,
        logged_text: 512,
    };
}

/// Identifiers evicted from a bounded collection: how many so far, and the
/// most recent ones (themselves bounded).
#[derive(Debug, Default)]
pub(crate) struct Evicted {
    total: u64,
    recent: VecDeque<String>,
}

impl Evicted {
    fn record(&mut self, id: String, keep: usize) {
        self.total += 1;
        if keep == 0 {
            return;
        }
        while self.recent.len() >= keep {
            self.recent.pop_front();
        }
        self.recent.push_back(id);
    }

    fn contains(&self, id: &str) -> bool {
        self.recent.iter().any(|known| known == id)
    }

    pub fn total(&self) -> u64 {
        self.total
    }
}

pub(crate) struct Node {
    pub hostname: String,
    pub host_uuid: String,
    pub management_ip: Ipv4Addr,
    pub storage_ip: Option<Ipv4Addr>,
    pub bmc_ip: Option<Ipv4Addr>,
    pub nics: Vec<String>,
    pub sn: String,
    pub smartx_password: Secret,
    pub root_password: Secret,
    pub smartx_rotated: bool,
    pub root_rotated: bool,
}

pub(crate) struct SimState {
    pub spec: ClusterSpec,
    pub chunk_size: u64,
    limits: Limits,
    job_polls_to_finish: u32,
    job_duration: std::time::Duration,
    pub nodes: Vec<Node>,
    pub vip: Option<Ipv4Addr>,
    vdses: Vec<network::Vds>,
    images: images::Images,
    root: Option<auth::RootAccount>,
    sessions: auth::Sessions,
    settings: settings::Settings,
    ipmi: ipmi::IpmiAccounts,
    jobs: jobs::Jobs,
    calls: calls::CallLog,
    faults: faults::Faults,
    rng: StdRng,
    serial: String,
}

fn v1_like_uuid(rng: &mut StdRng) -> String {
    uuid::Builder::from_bytes(rng.r#gen())
        .with_version(uuid::Version::Mac)
        .with_variant(uuid::Variant::RFC4122)
        .into_uuid()
        .to_string()
}

fn v4_uuid(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.r#gen())
        .into_uuid()
        .to_string()
}

pub(crate) fn epoch_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// RFC 3339 with nanoseconds, UTC, as `v3/sessions` prints it.
pub(crate) fn rfc3339_nanos(time: SystemTime) -> String {
    humantime::format_rfc3339_nanos(time).to_string()
}

impl SimState {
    pub fn new(spec: ClusterSpec, chunk_size: u64, job_polls_to_finish: u32) -> Self {
        let mut rng = StdRng::seed_from_u64(spec.seed);
        let nodes: Vec<Node> = spec
            .hosts
            .iter()
            .map(|host| Node {
                hostname: host.hostname.clone(),
                host_uuid: v1_like_uuid(&mut rng),
                management_ip: host.management_ip,
                storage_ip: host.storage_ip,
                bmc_ip: host.bmc_ip,
                nics: host.nics.clone(),
                sn: format!("SIM-{:016X}", rng.r#gen::<u64>()),
                smartx_password: Secret::new(DEFAULT_HOST_PASSWORD),
                root_password: Secret::new(DEFAULT_HOST_PASSWORD),
                smartx_rotated: false,
                root_rotated: false,
            })
            .collect();
        let serial = v4_uuid(&mut rng);
        let vdses = network::deployed_vdses(&spec, &nodes, &mut rng);
        Self {
            spec,
            chunk_size,
            limits: Limits::DEFAULT,
            job_polls_to_finish,
            job_duration: std::time::Duration::ZERO,
            nodes,
            vip: None,
            vdses,
            images: images::Images::default(),
            root: None,
            sessions: auth::Sessions::default(),
            settings: settings::Settings::default(),
            ipmi: ipmi::IpmiAccounts::default(),
            jobs: jobs::Jobs::default(),
            calls: calls::CallLog::default(),
            faults: faults::Faults::default(),
            rng,
            serial,
        }
    }

    /// Smaller bounds, for tests that exercise eviction.
    #[cfg(test)]
    pub(crate) fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Jobs also take at least this long, whatever the polls.
    pub fn set_job_duration(&mut self, duration: std::time::Duration) {
        self.job_duration = duration;
    }

    pub fn serial(&self) -> &str {
        &self.serial
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn state() -> SimState {
        SimState::new(ClusterSpec::example(2), 1024, 2)
    }

    #[test]
    fn identifiers_are_stable_for_a_seed() {
        let (one, two) = (state(), state());
        assert_eq!(one.serial, two.serial);
        assert_eq!(one.nodes[1].host_uuid, two.nodes[1].host_uuid);
        let other = SimState::new(
            ClusterSpec {
                seed: 2,
                ..ClusterSpec::example(2)
            },
            1024,
            2,
        );
        assert_ne!(one.serial, other.serial);
        assert_eq!(one.nodes[0].host_uuid.len(), 36);
    }

    #[test]
    fn timestamps_are_rfc3339_with_nanoseconds() {
        let time = UNIX_EPOCH + std::time::Duration::new(1_759_012_737, 921_456_349);
        assert_eq!(rfc3339_nanos(time), "2025-09-27T22:38:57.921456349Z");
    }

    #[test]
    fn evictions_are_counted_and_the_recent_ones_remembered() {
        let mut evicted = Evicted::default();
        for id in ["a", "b", "c"] {
            evicted.record(id.to_owned(), 2);
        }
        assert_eq!(evicted.total(), 3);
        assert!(!evicted.contains("a"));
        assert!(evicted.contains("b") && evicted.contains("c"));
    }
}
