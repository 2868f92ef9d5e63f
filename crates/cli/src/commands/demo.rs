//! `smtx-deploy demo`. (Being implemented.)

use crate::Outcome;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {}

pub async fn run(_args: DemoArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("`demo` is not implemented yet")
}
