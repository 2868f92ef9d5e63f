//! `smtx-sim`: a simulated, already-deployed SMTX OS cluster that speaks the
//! HTTP API of `reference/smartx-api.md` section 0 and the SSH password
//! rotation, keeps state, runs jobs, takes chunked uploads and injects faults
//! on demand. It is the independent peer the client is checked against, so
//! it never imports `smtx-api`: its answers are built from the captured
//! shapes in `reference/samples`.
//!
//! Layout: [`spec`] (what to simulate), `state` (the state machine, no
//! sockets, a module per domain; canned bodies in `fixtures/*.json`),
//! `http` (axum router, extractors for the session and typed bodies, faults,
//! call log, uploads, `/_sim`), `tls` (generated CA + leaf), `server`
//! (listeners, [`start`], [`RunningSim`]), [`scenario`] (faults), [`ssh`]
//! (the SSH server).
//!
//! ```no_run
//! # async fn demo() -> Result<(), smtx_sim::SimError> {
//! use smtx_sim::{ClusterSpec, Fault, SimOptions, start};
//! let sim = start(ClusterSpec::example(3), SimOptions::default()).await?;
//! println!("node-01 answers on {}", sim.nodes()[0].http);
//! sim.inject(Fault::NotDeployed);
//! let state = sim.state(); // same document as GET /_sim/state
//! # let _ = state;
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Scenario file
//!
//! A TOML list of faults (`crates/sim/scenarios/` has one file per story,
//! every fault kind among them).
//! `POST /_sim/faults` takes the same shape as JSON (`{"faults":[...]}`) or
//! one fault object; [`RunningSim::inject`] takes a [`Fault`]. Nodes are
//! 0-based indices into the workbook's host list.
//!
//! ```toml
//! [[faults]]
//! kind = "endpoint_status"   # next `times` calls answer `status`
//! method = "PUT"             # or "*"
//! path = "/api/v2/settings/dns"   # `*` matches one segment: /api/v2/jobs/*
//! status = 503
//! times = 2
//!
//! [[faults]]
//! kind = "latency"           # every call (or only method/path) waits
//! ms = 50
//!
//! [[faults]]
//! kind = "job_fails"         # NETWORK_CREATE_VDS, UPDATE_DNS, UPDATE_NTP, UPDATE_VIP
//! description = "UPDATE_DNS"
//!
//! [[faults]]
//! kind = "chunk_fails"       # chunk 1 answers 500 twice
//! chunk = 1
//! times = 2
//!
//! [[faults]]
//! kind = "drop_upload"       # connection aborted mid-upload of chunk 2
//! chunk = 2
//!
//! [[faults]]
//! kind = "token_expires_after"
//! calls = 5
//!
//! [[faults]]
//! kind = "token_expires_mid_call"   # once, while a `latency` call waits
//!
//! [[faults]]
//! kind = "already_initialized"   # optional: password = "..."
//!
//! [[faults]]
//! kind = "vds_create_returns_uuid"
//!
//! [[faults]]
//! kind = "not_deployed"
//!
//! [[faults]]
//! kind = "bmc_unreachable"
//! ip = "10.0.1.11"
//!
//! [[faults]]
//! kind = "ssh_login_refused"
//! node = 1
//!
//! [[faults]]
//! kind = "ssh_hang"
//! node = 2
//!
//! [[faults]]
//! kind = "vip_in_use"        # another device answers on the VIP before it is set
//! ```
//!
//! # Choices where the reference says ASSUMED (or says nothing)
//!
//! - \[ASSUMED\] Errors: 4xx/5xx with `{"ec":"UPPER_SNAKE","error":{"msg":..,
//!   "detail":""},"data":{}}`. Missing/wrong/expired token → 401
//!   (`UNAUTHORIZED`, `TOKEN_EXPIRED`); unknown job, VDS or image → 404;
//!   duplicates (VDS name, NIC in use, VLAN name or id, second setupRoot) →
//!   409; bad input → 400; injected status faults use `INJECTED_FAULT`.
//! - \[ASSUMED\] The pre-deployment token works only on `/api/v2/deployment/*`;
//!   setupRoot and sessions need no token; every other endpoint needs a
//!   session token from `POST /api/v3/sessions`.
//! - \[ASSUMED\] setupRoot works once; later calls answer 409
//!   `USER_ALREADY_INITIALIZED` and the first password stays. Extra body keys
//!   are ignored; `repeat` must equal `password`. With the
//!   `already_initialized` fault and no password in it, the password of the
//!   first (refused) call becomes the root password, so login still works.
//! - \[ASSUMED\] Login accepts user `root` (or the `username` setupRoot was
//!   given); wrong password → 401 `INVALID_CREDENTIALS`. Tokens are 32
//!   lower-case hex, `expire_time` = `create_time` + 7 days.
//! - \[ASSUMED\] `PUT settings/vip`, `dns`, `ntp` answer `data.job_id`; jobs
//!   are `UPDATE_VIP`, `UPDATE_DNS`, `UPDATE_NTP` with empty `resources`.
//!   Values are stored at once (unless the job is made to fail). DNS servers
//!   must be IPv4; NTP mode `external` (needs servers) or `internal`.
//! - \[ASSUMED\] The VIP's listeners (HTTPS and SSH) are bound at start but
//!   refuse connections until a VIP is set, as at an address nobody holds,
//!   so a client can probe the VIP before claiming it. Then HTTPS serves
//!   whichever VIP was set, acting as the first host, and SSH is the first
//!   host's. With the `vip_in_use` fault they accept connections from the
//!   start, as another device would: every `/api/...` call answers 503
//!   `VIP_NOT_CONFIGURED` and every SSH login is refused until a VIP is set.
//! - \[ASSUMED\] Jobs advance per poll (see [`SimOptions::job_polls_to_finish`]),
//!   and no sooner than [`SimOptions::job_duration`] after they were created:
//!   `pending`, then `running`, then `done` or `failed`; every job has the
//!   captured VDS-job structure; a failed job adds `error` and its message in
//!   `event.message.en_US`, and its effect (VDS, DNS, ...) is not applied.
//! - \[ASSUMED\] IPMI upsert: every BMC is reachable (`success`, `is_valid:
//!   true`, same keys as a failure entry) unless a `bmc_unreachable` fault
//!   names it; accounts are upserted by `node_uuid`, passwords never stored.
//! - \[ASSUMED\] VDS list `data` is an array of detail objects; the detail's
//!   `hosts_associated` lists the hosts (the capture's was empty);
//!   `vlans_count` follows the VLANs. The management and storage VDSes exist
//!   from the start (all hosts, their workbook NICs). A NIC a host does not
//!   have → 400 `NIC_NOT_FOUND`; a NIC another VDS uses on that host → 409
//!   `NIC_IN_USE`. Bond modes: active-backup, balance-slb, balance-tcp, lacp.
//! - \[ASSUMED\] VLAN list `data` is an array shaped like the create answer.
//! - \[ASSUMED\] `upload_template` answers `{"chunk_num":n,"to_upload":[missing,
//!   ascending]}`; a chunk must be exactly `chunk_size` bytes (the remainder
//!   for the last one), `chunk_num` in range, `zbs_volume_id` matching. A
//!   repeated `create_volume` with the name and size of an unfinished image
//!   returns that image with its missing chunks (resume). The SHA-256 is
//!   computed from the file on disk when the last missing chunk arrives.
//! - \[ASSUMED\] `DELETE /api/v2/images/{uuid}` answers `data: {}`, deletes the
//!   file and keeps the image in `/_sim/state` with `deleted: true`; unknown
//!   uuid → 404.
//! - \[ASSUMED\] Hosts are AMD EPYC (`AuthenticAMD`), so the recommended CPU
//!   model is `EPYC`; PUT accepts only a recommended model; GET answers
//!   `cpu_model: null` before.
//! - \[ASSUMED\] Host scan: every host has the plan's NICs plus `ens1f0` and
//!   `ens1f1`, the two deployment OVS bridges, `ovsbr-internal`,
//!   `port-internal`, `port-mgt` and `port-storage`; host UUIDs are
//!   time-based-looking and, like the serial, stable for a seed.
//! - \[ASSUMED\] SSH: `smartx` (default password `P@ssw0rd!123`) may run
//!   `sudo -n chpasswd`; lines are `user:password`, split at the first `:`,
//!   users `smartx` or `root`; any bad line rejects the whole input.
//! - Bounds (a flood of requests must not grow the simulator): the call log
//!   keeps the newest 4096 calls (`seq` keeps counting; `evicted.calls` in
//!   `/_sim/state` says how many went, paths and queries are cut at 512
//!   bytes); 1024 sessions (a new login logs out the oldest, whose token
//!   then answers 401 saying so); 1024 jobs (finished ones go first, then
//!   the oldest; polling a dropped one answers 404 saying so); 32 images
//!   (deleted ones go first, then the oldest with its file; 404 saying so).
//!   JSON request bodies over 1 MiB answer 413 `PAYLOAD_TOO_LARGE`.
//! - Request bodies are typed: not JSON → 400 `INVALID_JSON`; a missing or
//!   mistyped field → 400 `INVALID_ARGUMENT` naming the expected type but
//!   never the value sent; the session is checked before the body is read.
//! - With [`SimOptions::control_token`] set, `/_sim/*` answers 401 (with
//!   `WWW-Authenticate: Bearer`) unless the request has `Authorization:
//!   Bearer <token>`; the cluster API and [`RunningSim`]'s in-process
//!   helpers need no token.
//! - \[ASSUMED\] Read-backs for `check`: `GET /api/v2/settings/{vip,dns,ntp}`,
//!   `GET /api/v2/ipmi/accounts` and `GET /api/v2/images` answer in the shape
//!   of their writes (see the state's `readback` module);
//!   `DELETE /_sim/vds/{vds}/vlans/{vlan}` removes a network behind the
//!   client's back.
//! - [`SimOptions::latency`] (`--latency-ms`) is the network, not the
//!   cluster: one round trip on every HTTP call and SSH exchange, not in
//!   the call log; the `latency` fault is a slow endpoint of the cluster.
//! - HTTP/1.1 only, over HTTPS (CA + a leaf naming only the workbook's host
//!   IPs and VIP, never 127.0.0.1: clients reach it through an address
//!   override that checks the workbook address) or plain HTTP.

pub mod fleet;
pub mod scenario;
pub mod spec;
pub mod ssh;

mod http;
mod iso;
mod latency;
mod server;
mod state;
mod tls;

use std::path::PathBuf;

pub use iso::write_stand_in_iso;
pub use scenario::{Fault, Scenario};
pub use server::{NodeEndpoint, RunningSim, SimOptions, VipEndpoint, start};
pub use spec::{ClusterSpec, HostSpec, VdsSpec};
pub use state::{DEFAULT_HOST_PASSWORD, PRE_DEPLOYMENT_TOKEN};

/// Why the simulator could not start or a scenario could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot bind the {what} on 127.0.0.1")]
    Bind {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot use {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build the simulator's TLS setup: {message}")]
    Tls { message: String },
    #[error("invalid {source_name}: {message}")]
    Scenario {
        source_name: String,
        message: String,
    },
    #[error("invalid cluster: {message}")]
    InvalidSpec { message: String },
    #[error("cluster {label}")]
    FleetMember {
        label: String,
        #[source]
        source: Box<SimError>,
    },
}
