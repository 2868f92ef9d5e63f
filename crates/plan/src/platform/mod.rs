//! What differs between the operating systems the tool runs on, one module
//! per concern, so that no other module spells a `cfg` (the pattern of
//! `smtx-api`'s `platform`).

pub(crate) mod files;
