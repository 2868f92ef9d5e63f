//! Authentication: the fixed pre-deployment token, the root account
//! (`users:setupRoot`), logins and their session tokens. Sessions are
//! bounded: past [`Limits::sessions`](super::Limits) the oldest login is
//! logged out, and its token then answers 401 saying so.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use serde::Deserialize;
use serde_json::Value;
use smtx_secret::Secret;

use super::fixtures::ROOT_USER;
use super::{ApiError, Evicted, PRE_DEPLOYMENT_TOKEN, SimState, rfc3339_nanos};

pub(super) struct RootAccount {
    pub username: String,
    pub password: Secret,
}

struct Session {
    /// Authenticated calls made with it (for `token_expires_after`).
    uses: u32,
    /// Login order, the key of `Sessions::by_age`.
    number: u64,
}

/// Open sessions, oldest first in `by_age`.
#[derive(Default)]
pub(super) struct Sessions {
    by_token: HashMap<String, Session>,
    by_age: BTreeMap<u64, String>,
    logins: u64,
    pub evicted: Evicted,
}

impl Sessions {
    pub fn len(&self) -> usize {
        self.by_token.len()
    }

    fn open(&mut self, token: String, limit: usize, remember: usize) {
        while self.by_token.len() >= limit.max(1) {
            let Some((_, oldest)) = self.by_age.pop_first() else {
                break;
            };
            self.by_token.remove(&oldest);
            self.evicted.record(oldest, remember);
        }
        self.logins += 1;
        self.by_age.insert(self.logins, token.clone());
        self.by_token.insert(
            token,
            Session {
                uses: 0,
                number: self.logins,
            },
        );
    }

    fn close(&mut self, token: &str) {
        if let Some(session) = self.by_token.remove(token) {
            self.by_age.remove(&session.number);
        }
    }
}

/// `POST /api/v3/users:setupRoot`. Extra keys (`encrypted`) are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct SetupRootBody {
    password: Option<String>,
    repeat: Option<String>,
    username: Option<String>,
}

/// `POST /api/v3/sessions`.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginBody {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn already_initialized() -> ApiError {
    ApiError::conflict(
        "USER_ALREADY_INITIALIZED",
        "the root user has been set up already",
    )
}

impl SimState {
    pub fn check_pre_deployment_token(&self, token: Option<&str>) -> Result<(), ApiError> {
        match token {
            Some(PRE_DEPLOYMENT_TOKEN) => Ok(()),
            Some(_) => Err(ApiError::unauthorized(
                "UNAUTHORIZED",
                "invalid x-smartx-token for a deployment endpoint",
            )),
            None => Err(ApiError::unauthorized(
                "UNAUTHORIZED",
                "missing x-smartx-token",
            )),
        }
    }

    pub fn check_session(&mut self, token: Option<&str>) -> Result<(), ApiError> {
        let Some(token) = token else {
            return Err(ApiError::unauthorized(
                "UNAUTHORIZED",
                "missing x-smartx-token",
            ));
        };
        let ttl = self.faults.token_ttl;
        let Some(session) = self.sessions.by_token.get_mut(token) else {
            if self.sessions.evicted.contains(token) {
                return Err(ApiError::unauthorized(
                    "UNAUTHORIZED",
                    format!(
                        "the session was logged out: the simulator keeps the newest {} sessions",
                        self.limits.sessions
                    ),
                ));
            }
            return Err(ApiError::unauthorized(
                "UNAUTHORIZED",
                "invalid or expired session token",
            ));
        };
        let mid_call = self.faults.expire_mid_call && self.faults.held > 0;
        if mid_call {
            self.faults.expire_mid_call = false;
        }
        if mid_call || ttl.is_some_and(|ttl| session.uses >= ttl) {
            self.sessions.close(token);
            return Err(ApiError::unauthorized(
                "TOKEN_EXPIRED",
                "the session token has expired",
            ));
        }
        session.uses += 1;
        Ok(())
    }

    pub fn setup_root(&mut self, body: SetupRootBody) -> Result<Value, ApiError> {
        let password = body
            .password
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "password is required"))?;
        if body.repeat.is_some_and(|repeat| repeat != password) {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                "password and repeat differ",
            ));
        }
        if password.is_empty() {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                "password must not be empty",
            ));
        }
        if self.faults.already_initialized && self.root.is_none() {
            // The refused call still tells us which password the operator
            // believes in; adopting it keeps the cluster reachable.
            self.root = Some(RootAccount {
                username: "root".to_owned(),
                password: Secret::new(password),
            });
            return Err(already_initialized());
        }
        if self.root.is_some() {
            return Err(already_initialized());
        }
        self.root = Some(RootAccount {
            username: body.username.unwrap_or_else(|| "root".to_owned()),
            password: Secret::new(password),
        });
        ROOT_USER.load()
    }

    pub fn login(&mut self, body: LoginBody) -> Result<Value, ApiError> {
        let accepted = self.root.as_ref().is_some_and(|root| {
            (root.username == body.username || body.username == "root")
                && root.password.expose() == body.password
        });
        if !accepted {
            return Err(ApiError::unauthorized(
                "INVALID_CREDENTIALS",
                "wrong user name or password",
            ));
        }
        let token = uuid::Uuid::new_v4().simple().to_string();
        self.sessions.open(
            token.clone(),
            self.limits.sessions,
            self.limits.remembered_evictions,
        );
        let now = SystemTime::now();
        let expire = now + std::time::Duration::from_secs(7 * 86_400);
        Ok(serde_json::json!({
            "user_id": "root",
            "token": token,
            "create_time": rfc3339_nanos(now),
            "expire_time": rfc3339_nanos(expire),
            "update_time": rfc3339_nanos(now)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Limits;
    use super::super::tests::state;
    use super::*;

    fn login(state: &mut SimState) -> Result<String, ApiError> {
        let answer = state.login(LoginBody {
            username: "root".to_owned(),
            password: "pw".to_owned(),
        })?;
        Ok(answer["token"].as_str().unwrap_or_default().to_owned())
    }

    #[test]
    fn the_oldest_session_is_logged_out_past_the_limit() -> Result<(), ApiError> {
        let mut state = state().with_limits(Limits {
            sessions: 2,
            ..Limits::DEFAULT
        });
        state.setup_root(SetupRootBody {
            password: Some("pw".to_owned()),
            repeat: None,
            username: None,
        })?;
        let first = login(&mut state)?;
        let second = login(&mut state)?;
        let third = login(&mut state)?;
        assert_eq!(state.sessions.len(), 2);
        let refused = state.check_session(Some(&first));
        assert!(
            refused
                .as_ref()
                .is_err_and(|error| error.msg.contains("keeps the newest 2 sessions")),
            "{refused:?}"
        );
        state.check_session(Some(&second))?;
        state.check_session(Some(&third))?;
        let unknown = state.check_session(Some("0123"));
        assert!(unknown.is_err_and(|error| error.msg == "invalid or expired session token"));
        assert_eq!(state.sessions.evicted.total(), 1);
        Ok(())
    }

    #[test]
    fn an_expired_session_is_closed_everywhere() -> Result<(), ApiError> {
        let mut state = state();
        state.inject(crate::scenario::Fault::TokenExpiresAfter { calls: 1 });
        state.setup_root(SetupRootBody {
            password: Some("pw".to_owned()),
            repeat: Some("pw".to_owned()),
            username: None,
        })?;
        let token = login(&mut state)?;
        state.check_session(Some(&token))?;
        assert!(state.check_session(Some(&token)).is_err());
        assert_eq!(
            (state.sessions.by_token.len(), state.sessions.by_age.len()),
            (0, 0)
        );
        Ok(())
    }
}
