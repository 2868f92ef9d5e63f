//! Armed faults: what [`Fault`]s have been injected and how many times each
//! still fires. The HTTP layer asks here before answering; the domain
//! modules read the switches (`not_deployed`, `bmc_unreachable`, ...).

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;

use smtx_secret::Secret;

use super::SimState;
use super::auth::RootAccount;
use crate::scenario::{Fault, method_matches, path_matches};

#[derive(Default)]
pub(super) struct Faults {
    endpoint_status: Vec<(String, String, u16, u32)>,
    latency: Vec<(u64, Option<String>, Option<String>)>,
    pub job_fails: Vec<(String, u32)>,
    chunk_fails: HashMap<u64, u32>,
    drop_upload: HashMap<u64, u32>,
    pub token_ttl: Option<u32>,
    /// Armed `token_expires_mid_call`, until it fires.
    pub expire_mid_call: bool,
    /// Calls waiting out a `latency` fault now (their session not yet checked).
    pub held: usize,
    pub already_initialized: bool,
    pub vds_returns_uuid: bool,
    pub not_deployed: bool,
    pub bmc_unreachable: HashSet<Ipv4Addr>,
    pub ssh_refused: HashSet<usize>,
    pub ssh_hang: HashSet<usize>,
    pub vip_in_use: bool,
    pub cpu_model_not_kept: bool,
}

impl Faults {
    /// Consumes one armed failure of a job with this description, if any.
    pub fn take_job_failure(&mut self, description: &str) -> bool {
        match self
            .job_fails
            .iter_mut()
            .find(|(want, left)| *left > 0 && want.eq_ignore_ascii_case(description))
        {
            Some(entry) => {
                entry.1 -= 1;
                true
            }
            None => false,
        }
    }
}

fn take_count(map: &mut HashMap<u64, u32>, key: u64) -> bool {
    match map.get_mut(&key) {
        Some(left) if *left > 0 => {
            *left -= 1;
            true
        }
        _ => false,
    }
}

impl SimState {
    pub fn inject(&mut self, fault: Fault) {
        let faults = &mut self.faults;
        match fault {
            Fault::EndpointStatus {
                method,
                path,
                status,
                times,
            } => faults.endpoint_status.push((method, path, status, times)),
            Fault::Latency { ms, method, path } => faults.latency.push((ms, method, path)),
            Fault::JobFails { description, times } => faults.job_fails.push((description, times)),
            Fault::ChunkFails { chunk, times } => {
                *faults.chunk_fails.entry(chunk).or_insert(0) += times;
            }
            Fault::DropUpload { chunk, times } => {
                *faults.drop_upload.entry(chunk).or_insert(0) += times;
            }
            Fault::TokenExpiresAfter { calls } => faults.token_ttl = Some(calls),
            Fault::TokenExpiresMidCall => faults.expire_mid_call = true,
            Fault::AlreadyInitialized { password } => {
                faults.already_initialized = true;
                if let Some(password) = password {
                    self.root = Some(RootAccount {
                        username: "root".to_owned(),
                        password: Secret::new(password),
                    });
                }
            }
            Fault::VdsCreateReturnsUuid => faults.vds_returns_uuid = true,
            Fault::NotDeployed => faults.not_deployed = true,
            Fault::BmcUnreachable { ip } => {
                faults.bmc_unreachable.insert(ip);
            }
            Fault::SshLoginRefused { node } => {
                faults.ssh_refused.insert(node);
            }
            Fault::SshHang { node } => {
                faults.ssh_hang.insert(node);
            }
            Fault::VipInUse => faults.vip_in_use = true,
            Fault::CpuModelNotKept => faults.cpu_model_not_kept = true,
        }
    }

    /// Consumes one armed status fault matching this call, if any.
    pub fn take_endpoint_fault(&mut self, method: &str, path: &str) -> Option<u16> {
        let entry = self
            .faults
            .endpoint_status
            .iter_mut()
            .find(|(m, p, _, left)| {
                *left > 0 && method_matches(m, method) && path_matches(p, path)
            })?;
        entry.3 -= 1;
        Some(entry.2)
    }

    pub fn latency_ms(&self, method: &str, path: &str) -> u64 {
        self.faults
            .latency
            .iter()
            .filter(|(_, m, p)| {
                m.as_deref().is_none_or(|m| method_matches(m, method))
                    && p.as_deref().is_none_or(|p| path_matches(p, path))
            })
            .map(|(ms, _, _)| *ms)
            .sum()
    }

    /// A call starts (`true`) or ends (`false`) waiting out its latency.
    pub fn hold(&mut self, held: bool) {
        if held {
            self.faults.held += 1;
        } else {
            self.faults.held = self.faults.held.saturating_sub(1);
        }
    }

    pub fn take_chunk_fault(&mut self, chunk: u64) -> bool {
        take_count(&mut self.faults.chunk_fails, chunk)
    }

    pub fn take_drop_fault(&mut self, chunk: u64) -> bool {
        take_count(&mut self.faults.drop_upload, chunk)
    }
}
