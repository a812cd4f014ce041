//! Undoing a command's file changes. Paths are confined to the receipt's root, or to the
//! outside paths whose before-state was captured ([`confine`]); each recorded change
//! becomes a step whose current state is checked against the receipt's after-state before
//! anything is touched ([`plan`]); an apply takes the steps in order ([`apply`]), each
//! one an atomic change of the tree ([`atomic`]), recorded in a journal so that a killed
//! apply is finished by running it again ([`journal`]). [`target`] ties them together for
//! the command line and the local server.

pub mod apply;
pub mod atomic;
pub mod confine;
pub mod error;
pub mod journal;
pub mod plan;
pub mod target;
