//! `smtx-deploy report RUN_DIR`: the run's delivery record (`report.html`)
//! written again from its `delivery.json`, in the language asked for
//! (`--lang`), into the run directory or `-o FILE`. Every run writes it as
//! it ends; this is for another language, or a copy to hand over.

use std::path::PathBuf;

use crate::Outcome;
use crate::i18n::{CliMsg, Lang, Localize, Text};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The run directory.
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
    /// Where to write it (default: RUN_DIR/report.html).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: ReportArgs, lang: Lang) -> anyhow::Result<Outcome> {
    match smtx_engine::delivery::write_html(&args.run_dir, lang, args.out.as_deref()) {
        Ok(path) => {
            outln!("{}", path.display());
            Ok(Outcome::Ok)
        }
        Err(error) => Err(super::BadInput(
            CliMsg::NoDeliveryRecord {
                dir: args.run_dir.display().to_string(),
                error: Text::of(&error),
            }
            .localize(lang),
        )
        .into()),
    }
}
