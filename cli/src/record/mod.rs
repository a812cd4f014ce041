//! Recording a run, as phases read one by one in [`session`]: the before-snapshot, the
//! watch (deep: the engine, [`deep`]; normal: polling, [`normal`]), the after-snapshot,
//! the fold into a receipt, and persisting it. Around the watch: the command's output and
//! terminal ([`output`]), the signals passed on ([`signals`]), `--timeout` ([`timeout`]),
//! the before-states captured at the system call ([`capture`]) and the event log written
//! as the engine goes ([`log_sink`]). After it: what a full data home cost
//! ([`shortfall`]), and the receipt of a run that never finished, rebuilt from what it
//! left ([`recover`]).

pub mod capture;
pub mod deep;
pub mod exit;
pub mod log_sink;
pub mod normal;
pub mod output;
pub mod recover;
pub mod session;
pub mod shortfall;
pub mod signals;
pub mod timeout;
