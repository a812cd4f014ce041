//! Undoing a command's file changes. This first part plans and previews: for each path the
//! receipt recorded, what revert would do and whether it can. Paths are confined to the
//! receipt's root ([`confine`]), and the current state is checked against the receipt's
//! after-state before anything would be touched ([`plan`]).

pub mod confine;
pub mod plan;
