//! One call as it goes on the wire — method, path, query, body, token,
//! envelope, when it may be repeated, how loudly it is logged — built by
//! [`crate::endpoint::Endpoint::request`] and sent by `send.rs`. Kept apart
//! from both so that neither imports the other's internals.

use std::borrow::Cow;

use reqwest::Method;
use serde_json::Value;

use crate::answer::Envelope;

/// Which token a call carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    None,
    Deployment,
    Session,
}

/// What a request carries.
pub(crate) enum Body<'a> {
    Empty,
    Json(Value),
    /// A piece of a file as the multipart part `file`.
    File(FilePart<'a>),
}

/// A file's bytes as one multipart part, streamed, never held whole.
#[derive(Clone, Copy)]
pub(crate) struct FilePart<'a> {
    pub file_name: &'a str,
    pub len: u64,
    /// A fresh body for every attempt (a stream is used up by one). `None`:
    /// the part is only described, for a dry run's plan; sending it fails.
    pub stream: Option<&'a (dyn Fn() -> reqwest::Body + Send + Sync)>,
}

/// When a failed request is sent again. A session the server rejected is
/// renewed once whatever the policy (for calls with the session token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Sent once: the server may have acted on a call that failed (a POST
    /// that creates), so look before trying again.
    Never,
    /// Sent again after a transient failure (transport, timeout, 5xx, 429),
    /// up to [`crate::RetryPolicy::attempts`] tries in all.
    Transient,
    /// Sent again after any failure, `extra` more times: an upload chunk,
    /// which the server keeps whole or not at all.
    AnyFailure { extra: u32 },
}

/// How loudly a request is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Log {
    /// A line per call at info (failures and retries at warn).
    Calls,
    /// At debug: calls that come by the thousand (upload chunks) or that
    /// their caller logs itself (the login, with the user).
    Quiet,
}

/// One call, as it goes on the wire. Built by [`Endpoint::request`].
pub(crate) struct Request<'a> {
    pub method: Method,
    pub path: Cow<'a, str>,
    pub query: Vec<(&'static str, String)>,
    pub body: Body<'a>,
    pub auth: Auth,
    pub envelope: Envelope,
    pub retry: Retry,
    pub log: Log,
    /// The upload chunk the request carries, named in its log lines.
    pub chunk: Option<u64>,
}

impl<'a> Request<'a> {
    /// A GET: safe to repeat.
    pub fn get(path: impl Into<Cow<'a, str>>) -> Self {
        Self::new(Method::GET, path.into(), Body::Empty, Retry::Transient)
    }
    /// A PUT sets a value: safe to repeat.
    pub fn put(path: impl Into<Cow<'a, str>>, body: Value) -> Self {
        Self::new(Method::PUT, path.into(), Body::Json(body), Retry::Transient)
    }
    /// A POST may create: not repeated unless the endpoint says so.
    pub fn post(path: impl Into<Cow<'a, str>>, body: Body<'a>) -> Self {
        Self::new(Method::POST, path.into(), body, Retry::Never)
    }
    /// A DELETE of the same thing twice deletes it once: safe to repeat.
    pub fn delete(path: impl Into<Cow<'a, str>>) -> Self {
        Self::new(Method::DELETE, path.into(), Body::Empty, Retry::Transient)
    }
    fn new(method: Method, path: Cow<'a, str>, body: Body<'a>, retry: Retry) -> Self {
        Self {
            method,
            path,
            query: Vec::new(),
            body,
            auth: Auth::Session,
            envelope: Envelope::V2,
            retry,
            log: Log::Calls,
            chunk: None,
        }
    }
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }
    pub fn bare(mut self) -> Self {
        self.envelope = Envelope::Bare;
        self
    }
    pub fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }
    pub fn quiet(mut self) -> Self {
        self.log = Log::Quiet;
        self
    }
    pub fn chunk(mut self, chunk: u64) -> Self {
        self.chunk = Some(chunk);
        self
    }
    /// `POST /api/v2/network/vds`: what log lines and errors call it.
    pub fn action(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}
