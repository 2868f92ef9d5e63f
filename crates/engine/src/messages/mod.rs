//! The engine's message catalog: every detail, warning, error and hint a
//! step records, in English and Chinese. One enum per step group, with a
//! `match` arm per variant and language, so a message without its Chinese
//! does not compile; `tests.rs` renders a sample of every variant and
//! checks the Chinese has no English left in it.
//!
//! A [`StepResult`](crate::StepResult) holds [`Message`]s, not strings: a
//! front end renders them in its user's language. Files (context.json,
//! report.json, the stage log) keep the English text, as before, for tools
//! and greps.
//!
//! Errors of the libraries below (`smtx-api`'s `ApiError` and `SshError`,
//! `smtx-plan`'s serial write-back) keep their own `Display` as the English
//! text; their Chinese is rendered here ([`errors`]) by matching on their
//! variants.

pub mod action;
mod cpu;
pub mod errors;
mod host_passwords;
mod ipmi;
mod launch;
mod network;
mod prepare;
mod serial;
mod session;
pub mod settings;
#[cfg(test)]
mod tests;
mod vmtools;

use std::fmt;

use serde::{Serialize, Serializer};
use smtx_i18n::{FrontEnd, Lang, Localize, Text};

pub use action::Action;
pub use cpu::CpuMsg;
pub use errors::RunMsg;
pub use host_passwords::HostPasswordMsg;
pub use ipmi::IpmiMsg;
pub use network::NetworkMsg;
pub use prepare::PrepareMsg;
pub use serial::SerialMsg;
pub use session::SessionMsg;
pub use settings::SettingsMsg;
pub use vmtools::VmtoolsMsg;

/// One message a step records, in any language.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Run(RunMsg),
    Prepare(PrepareMsg),
    Session(SessionMsg),
    Settings(SettingsMsg),
    Ipmi(IpmiMsg),
    Network(NetworkMsg),
    HostPassword(HostPasswordMsg),
    Vmtools(VmtoolsMsg),
    Cpu(CpuMsg),
    Serial(SerialMsg),
    /// Another catalog's message, rendered in both languages (an API or SSH
    /// error, a workbook-write error).
    Text(Text),
    /// Another catalog's message as each front end words it (an API error
    /// whose advice names the CLI's flags or the console's fields).
    Worded {
        cli: Text,
        console: Text,
    },
}

impl Localize for Message {
    fn localize(&self, lang: Lang) -> String {
        match self {
            Self::Run(message) => message.localize(lang),
            Self::Prepare(message) => message.localize(lang),
            Self::Session(message) => message.localize(lang),
            Self::Settings(message) => message.localize(lang),
            Self::Ipmi(message) => message.localize(lang),
            Self::Network(message) => message.localize(lang),
            Self::HostPassword(message) => message.localize(lang),
            Self::Vmtools(message) => message.localize(lang),
            Self::Cpu(message) => message.localize(lang),
            Self::Serial(message) => message.localize(lang),
            Self::Text(message) => message.localize(lang),
            Self::Worded { cli, .. } => cli.localize(lang),
        }
    }

    fn localize_for(&self, front: FrontEnd, lang: Lang) -> String {
        match self {
            Self::Run(message) => message.localize_for(front, lang),
            Self::Prepare(message) => message.localize_for(front, lang),
            Self::Session(message) => message.localize_for(front, lang),
            Self::Settings(message) => message.localize_for(front, lang),
            Self::Ipmi(message) => message.localize_for(front, lang),
            Self::Network(message) => message.localize_for(front, lang),
            Self::HostPassword(message) => message.localize_for(front, lang),
            Self::Vmtools(message) => message.localize_for(front, lang),
            Self::Cpu(message) => message.localize_for(front, lang),
            Self::Serial(message) => message.localize_for(front, lang),
            Self::Text(message) => message.localize(lang),
            Self::Worded { cli, console } => match front {
                FrontEnd::Cli => cli.localize(lang),
                FrontEnd::Console => console.localize(lang),
            },
        }
    }
}

macro_rules! wraps {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        $(impl From<$ty> for Message {
            fn from(message: $ty) -> Self {
                Self::$variant(message)
            }
        })*
    };
}

wraps!(
    Run(RunMsg),
    Prepare(PrepareMsg),
    Session(SessionMsg),
    Settings(SettingsMsg),
    Ipmi(IpmiMsg),
    Network(NetworkMsg),
    HostPassword(HostPasswordMsg),
    Vmtools(VmtoolsMsg),
    Cpu(CpuMsg),
    Serial(SerialMsg),
    Text(Text),
);

impl From<&smtx_api::ApiError> for Message {
    fn from(error: &smtx_api::ApiError) -> Self {
        let cli = errors::api_error(error);
        let console = errors::api_error_for(FrontEnd::Console, error);
        if cli == console {
            Self::Text(cli)
        } else {
            Self::Worded { cli, console }
        }
    }
}

impl From<&smtx_api::ssh::SshError> for Message {
    fn from(error: &smtx_api::ssh::SshError) -> Self {
        Self::Text(errors::ssh_error(error))
    }
}

/// The English text: what files keep.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en())
    }
}

/// Serialized as its English text: `detail`, `error` and `hint` in
/// report.json and progress events are the strings they always were.
impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.en())
    }
}

/// A list as each language writes it.
pub(crate) fn list(lang: Lang, items: &[String]) -> String {
    smtx_i18n::list(lang, items)
}
