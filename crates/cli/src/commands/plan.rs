//! `smtx-deploy plan`. (Being implemented.)

use crate::Outcome;

#[derive(Debug, clap::Args)]
pub struct PlanArgs {}

pub fn run(_args: PlanArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`plan` is not implemented yet")
}
