//! Steps 1 and 2 of `config_cluster`: the Fisheye admin (`setupRoot`) and
//! the login whose session every later call uses.

use super::StageRun;
use crate::messages::SessionMsg;
use crate::{Step, StepResult};

/// Steps 1 and 2. Log in first: if the workbook's password already works the
/// cluster is initialized and setupRoot is not needed.
pub(super) async fn admin_and_login(run: &mut StageRun<'_>) -> bool {
    let admin = run.plan().fisheye.clone();
    let started = run.step_started(Step::SetupRoot);
    let early_login =
        !run.settings.dry_run && run.client.login(&admin.user, &admin.password).await.is_ok();
    let setup = if early_login {
        StepResult::skipped(Step::SetupRoot, SessionMsg::AlreadyInitialized)
    } else {
        match run.client.setup_root(&admin.user, &admin.password).await {
            Ok(()) if run.settings.dry_run => StepResult::ok(
                Step::SetupRoot,
                SessionMsg::WouldInitialize {
                    user: admin.user.clone(),
                },
            ),
            Ok(()) => StepResult::ok(
                Step::SetupRoot,
                SessionMsg::Initialized {
                    user: admin.user.clone(),
                },
            ),
            Err(error) => {
                StepResult::warning(Step::SetupRoot, &error).with_hint(SessionMsg::SetupRootHint)
            }
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
            StepResult::ok(
                Step::Login,
                SessionMsg::WouldLogIn {
                    user: admin.user.clone(),
                },
            ),
            true,
        ),
        Ok(()) => {
            // The seed's rule — the log says how long the password was,
            // never the password — is for the stage log alone: the step's
            // detail reaches pages and the delivery record a customer keeps.
            tracing::info!(
                action = "login",
                status = "ok",
                error = "",
                user = %admin.user,
                password_chars = admin.password.char_len(),
            );
            (
                StepResult::ok(
                    Step::Login,
                    SessionMsg::LoggedIn {
                        user: admin.user.clone(),
                    },
                ),
                true,
            )
        }
        Err(error) => match run.settings.fallback_token.clone() {
            Some(token) => {
                run.client.set_session_token(token);
                (
                    StepResult::warning(
                        Step::Login,
                        SessionMsg::UsingToken {
                            error: crate::messages::errors::api_error(&error),
                        },
                    ),
                    true,
                )
            }
            None => (
                StepResult::failed(Step::Login, &error).with_hint(SessionMsg::LoginHint {
                    cell: run.plan().cluster.fisheye_password_cell(),
                }),
                false,
            ),
        },
    };
    run.record(result, started);
    logged_in
}
