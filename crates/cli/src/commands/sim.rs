//! `smtx-deploy sim`. (Being implemented.)

use crate::Outcome;

#[derive(Debug, clap::Args)]
pub struct SimArgs {}

pub async fn run(_args: SimArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`sim` is not implemented yet")
}
