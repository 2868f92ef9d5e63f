//! What the single-cluster commands and the fleet both take, kept apart
//! so that `run` and `check` never import `fleet` (the fleet imports them).

use std::path::PathBuf;

/// The fleet flags `run` and `check` share.
#[derive(Debug, Clone, clap::Args)]
pub struct FleetArgs {
    /// A fleet: directories (every .xlsx in them), workbooks, or patterns
    /// such as 'sites/*.xlsx'; one cluster per workbook.
    #[arg(
        long = "plans",
        value_name = "DIR|GLOB",
        num_args = 1..,
        conflicts_with = "plan"
    )]
    pub plans: Vec<String>,
    /// Clusters worked on at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub parallel: u16,
    /// Directory of the clusters' settings files, `<workbook stem>.toml`
    /// (default: beside each workbook).
    #[arg(long, value_name = "DIR")]
    pub configs: Option<PathBuf>,
}
