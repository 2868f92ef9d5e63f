//! A network between the client and the cluster: `SimOptions::latency`
//! (`smtx-deploy sim --latency-ms`) delays every HTTP call and every SSH
//! exchange (login, exec, end of input) by one round trip, so that a
//! rehearsal or a benchmark on loopback sees the waits a WAN link to a
//! branch site would add. The `/_sim` control endpoints answer at once.
//! Unlike the `latency` fault (a slow cluster, armed per endpoint and shown
//! in the call log), this is the line, on everything, from the start.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;

use crate::ssh::{SshAuth, SshBackend};

/// The router with every API call delayed by `round_trip` (unchanged when zero).
pub(crate) fn http(router: Router, round_trip: Duration) -> Router {
    if round_trip.is_zero() {
        return router;
    }
    router.layer(middleware::from_fn_with_state(round_trip, delay))
}

async fn delay(State(round_trip): State<Duration>, request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/_sim/") {
        // The point of the option: the answer comes one round trip later.
        tokio::time::sleep(round_trip).await;
    }
    next.run(request).await
}

/// The backend, answering each SSH exchange `round_trip` later (unchanged
/// when zero).
pub(crate) fn ssh(backend: Arc<dyn SshBackend>, round_trip: Duration) -> Arc<dyn SshBackend> {
    if round_trip.is_zero() {
        return backend;
    }
    Arc::new(DistantSsh {
        inner: backend,
        round_trip,
    })
}

struct DistantSsh {
    inner: Arc<dyn SshBackend>,
    round_trip: Duration,
}

impl SshBackend for DistantSsh {
    fn authenticate(&self, node: usize, user: &str, password: &str) -> SshAuth {
        self.inner.authenticate(node, user, password)
    }

    fn chpasswd(&self, node: usize, login_user: &str, stdin: &[u8]) -> Result<(), String> {
        self.inner.chpasswd(node, login_user, stdin)
    }

    fn round_trip(&self) -> Duration {
        self.round_trip
    }
}
