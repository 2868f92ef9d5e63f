//! What differs between the operating systems the tool runs on, one module
//! per concern, so that no other module spells a `cfg`.

pub(crate) mod files;
