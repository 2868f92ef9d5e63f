//! `smtx-sim`: a simulated, deployed SMTX OS cluster. (Being implemented: issue 3.)

pub mod ssh;
