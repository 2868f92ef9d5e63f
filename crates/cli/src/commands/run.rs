//! `smtx-deploy run`. (Being implemented.)

use crate::Outcome;

#[derive(Debug, clap::Args)]
pub struct RunArgs {}

pub async fn run(_args: RunArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`run` is not implemented yet")
}
