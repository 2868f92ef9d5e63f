//! `smtx-api`: SMTX OS wire types and the async client. (Being implemented.)

pub mod ssh;
