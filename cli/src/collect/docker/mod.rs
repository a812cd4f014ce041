//! Docker changes: the engine's state read over its API before and after the command,
//! and the difference, for the receipt's `docker` section.
//!
//! The engine is another process's business, not the command's, so neither ptrace nor
//! polling sees what `docker run` asks of it; only the engine's own API does.

pub mod compare;
pub mod state;

use runglass_model::receipt::Docker;

use state::EngineState;

/// The engine's state before the command, kept until the after-read.
pub struct Before {
    host: String,
    state: anyhow::Result<EngineState>,
}

/// Reads the engine's state before the command; an unreachable engine is remembered,
/// not an error.
pub fn before() -> Before {
    let host = state::host();
    let state = state::read(&host);
    Before { host, state }
}

impl Before {
    /// Reads the state again and compares. Reads only when the first one worked: an
    /// engine that was not there before costs no second timeout.
    pub fn after(self) -> Docker {
        let after = match &self.state {
            Ok(_) => state::read(&self.host),
            Err(_) => Err(anyhow::anyhow!("not read")),
        };
        match (self.state, after) {
            (Ok(before), Ok(after)) => compare::compare(self.host, &before, &after),
            (Err(e), _) => unavailable(self.host, format!("no engine before the command: {e:#}")),
            (Ok(_), Err(e)) => unavailable(self.host, format!("no engine after the command: {e:#}")),
        }
    }
}

fn unavailable(host: String, reason: String) -> Docker {
    Docker { host, unavailable: Some(reason), ..Docker::default() }
}
