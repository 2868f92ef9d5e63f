//! How a fleet's members take turns: at most N of them at work at once,
//! whichever front end runs the fleet (the CLI's `--plans`, the console's
//! fleets). A member waits for a place before its run starts; a stop
//! closes the gate, so no waiting member starts any more.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// The places of one fleet. Clones share them.
#[derive(Debug, Clone)]
pub struct FleetGate(Arc<Semaphore>);

/// A member's place, given back when dropped.
#[derive(Debug)]
pub struct FleetPlace {
    _permit: OwnedSemaphorePermit,
}

impl FleetGate {
    /// `parallel` members at once (at least one).
    pub fn new(parallel: usize) -> Self {
        Self(Arc::new(Semaphore::new(parallel.max(1))))
    }

    /// Waits for a place. `None`: the fleet was stopped ([`Self::close`])
    /// or `cancel` (this member's own stop) came first.
    pub async fn enter(&self, cancel: Option<&CancellationToken>) -> Option<FleetPlace> {
        let wait = Arc::clone(&self.0).acquire_owned();
        let permit = match cancel {
            Some(cancel) => tokio::select! {
                permit = wait => permit.ok(),
                () = cancel.cancelled() => None,
            },
            None => wait.await.ok(),
        };
        permit.map(|permit| FleetPlace { _permit: permit })
    }

    /// No member waiting, or coming later, gets a place; those at work
    /// keep theirs.
    pub fn close(&self) {
        self.0.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_more_than_the_places_and_none_after_a_stop() {
        let gate = FleetGate::new(2);
        let first = gate.enter(None).await.expect("a place");
        let _second = gate.enter(None).await.expect("a place");
        let cancel = CancellationToken::new();
        cancel.cancel();
        assert!(gate.enter(Some(&cancel)).await.is_none(), "all taken");
        drop(first);
        let waiting = CancellationToken::new();
        assert!(gate.enter(Some(&waiting)).await.is_some(), "one given back");
        gate.close();
        assert!(gate.enter(None).await.is_none());
    }

    #[tokio::test]
    async fn zero_means_one() {
        let gate = FleetGate::new(0);
        assert!(gate.enter(None).await.is_some());
    }
}
