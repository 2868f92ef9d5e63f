//! Steps 1 and 2 of `config_cluster`: the Fisheye admin (`setupRoot`) and
//! the login whose session every later call uses.

use super::StageRun;
use crate::{Step, StepResult};

/// Steps 1 and 2. Log in first: if the workbook's password already works the
/// cluster is initialized and setupRoot is not needed.
pub(super) async fn admin_and_login(run: &mut StageRun<'_>) -> bool {
    let admin = run.plan().fisheye.clone();
    let started = run.step_started(Step::SetupRoot);
    let early_login =
        !run.settings.dry_run && run.client.login(&admin.user, &admin.password).await.is_ok();
    let setup = if early_login {
        StepResult::skipped(
            Step::SetupRoot,
            "already initialized: the workbook's admin password logs in",
        )
    } else {
        match run.client.setup_root(&admin.user, &admin.password).await {
            Ok(()) if run.settings.dry_run => StepResult::ok(
                Step::SetupRoot,
                format!(
                    "would initialize admin {} (a cluster initialized before keeps its admin)",
                    admin.user
                ),
            ),
            Ok(()) => StepResult::ok(Step::SetupRoot, format!("admin {} initialized", admin.user)),
            Err(error) => StepResult::warning(Step::SetupRoot, error.to_string()).with_hint(
                "the cluster may already be initialized with another password; login decides",
            ),
        }
    };
    run.record(setup, started);

    let started = run.step_started(Step::Login);
    let login = if early_login {
        Ok(())
    } else {
        run.client.login(&admin.user, &admin.password).await
    };
    let (result, logged_in) = match login {
        Ok(()) if run.settings.dry_run => (
            StepResult::ok(Step::Login, format!("would log in as {}", admin.user)),
            true,
        ),
        Ok(()) => (
            StepResult::ok(
                Step::Login,
                format!(
                    "logged in as {} (password of {} characters)",
                    admin.user,
                    admin.password.char_len()
                ),
            ),
            true,
        ),
        Err(error) => match run.settings.fallback_token.clone() {
            Some(token) => {
                run.client.set_session_token(token);
                (
                    StepResult::warning(
                        Step::Login,
                        format!("{error}; using the configured token"),
                    ),
                    true,
                )
            }
            None => (
                StepResult::failed(Step::Login, error.to_string()).with_hint(
                    "check the Fisheye admin password (主机规划!M19) or configure api.token",
                ),
                false,
            ),
        },
    };
    run.record(result, started);
    logged_in
}
