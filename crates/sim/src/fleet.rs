//! Many simulated clusters in one process (`smtx-deploy sim --plans DIR`):
//! each is a whole [`start`]ed cluster — its own listeners, CA, SSH host
//! keys, state and faults — so a fleet run or check against them is the
//! same as against that many separate simulators, at the cost of one
//! process. A delivery team rehearses a roll-out of dozens of branch
//! clusters this way, and the fleet benchmark measures with it.

use crate::{ClusterSpec, RunningSim, SimError, SimOptions, start};

/// One cluster of a fleet: a label (the workbook's file stem) and the cluster.
#[derive(Debug)]
pub struct FleetMember {
    pub label: String,
    pub sim: RunningSim,
}

/// The running clusters, in the order they were given.
#[derive(Debug, Default)]
pub struct RunningFleet {
    members: Vec<FleetMember>,
}

impl RunningFleet {
    pub fn members(&self) -> &[FleetMember] {
        &self.members
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Stops every cluster (each as [`RunningSim::shutdown`]).
    pub async fn shutdown(self) {
        futures::future::join_all(self.members.into_iter().map(|member| member.sim.shutdown()))
            .await;
    }
}

/// Starts one cluster per `(label, spec)` with the same options; on the
/// first that cannot start, stops the ones already running and says which.
pub async fn start_fleet(
    clusters: Vec<(String, ClusterSpec)>,
    options: SimOptions,
) -> Result<RunningFleet, SimError> {
    let mut fleet = RunningFleet::default();
    for (label, spec) in clusters {
        match start(spec, options.clone()).await {
            Ok(sim) => fleet.members.push(FleetMember { label, sim }),
            Err(source) => {
                fleet.shutdown().await;
                return Err(SimError::FleetMember {
                    label,
                    source: Box::new(source),
                });
            }
        }
    }
    Ok(fleet)
}
