//! Step 9 of `config_cluster` (in the captured API flow, not in the
//! design): the cluster's CPU compatibility model, set to the first model
//! the cluster recommends and read back to confirm. On by default; turned
//! off with `--no-cpu-compatibility`.

use super::StageRun;
use crate::messages::CpuMsg;
use crate::{Step, StepResult};

/// Step 9: CPU compatibility, from the first recommended model.
pub(super) async fn run(run: &mut StageRun<'_>) {
    let started = run.step_started(Step::CpuCompatibility);
    if !run.settings.cpu_compatibility {
        run.record(
            StepResult::skipped(Step::CpuCompatibility, CpuMsg::TurnedOff),
            started,
        );
        return;
    }
    let models = match run.client.recommended_cpu_models().await {
        // A dry run's answer is made up: it recommends nothing.
        Ok(_) if run.settings.dry_run => {
            run.record(
                StepResult::ok(Step::CpuCompatibility, CpuMsg::Would),
                started,
            );
            return;
        }
        Ok(models) => models,
        Err(error) => {
            run.record(StepResult::warning(Step::CpuCompatibility, &error), started);
            return;
        }
    };
    let Some(model) = models.first().cloned() else {
        run.record(
            StepResult::skipped(Step::CpuCompatibility, CpuMsg::NoRecommendation),
            started,
        );
        return;
    };
    let result = match run.client.set_cpu_compatibility(&model).await {
        Err(error) => StepResult::warning(Step::CpuCompatibility, &error),
        Ok(()) if run.settings.dry_run => {
            StepResult::ok(Step::CpuCompatibility, CpuMsg::WouldSet { model })
        }
        Ok(()) => match run.client.cpu_compatibility().await {
            Ok(Some(current)) if current == model => {
                StepResult::ok(Step::CpuCompatibility, CpuMsg::Confirmed { model })
            }
            Ok(current) => {
                StepResult::warning(Step::CpuCompatibility, CpuMsg::Mismatch { model, current })
            }
            Err(error) => StepResult::warning(Step::CpuCompatibility, &error),
        },
    };
    run.record(result, started);
}
