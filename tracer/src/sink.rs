//! Where the engine's events go: a sink of the host's, called on the tracer's thread.
//!
//! The engine hands each event over as it is produced, then calls [`EventSink::flush`]
//! before it lets a tracee run again (or hands a process to another tracer): whatever the
//! sink must keep (a log) is then kept before the command can do anything more, so a host
//! killed at any moment loses no event of what the command already did. The engine knows
//! nothing of where the events go; a sink that only forwards them (a channel, for a host
//! that prints them elsewhere) has nothing to flush.

use crossbeam_channel::Sender;
use runglass_model::Event;

/// Receives the engine's events, in order, on the tracer's thread. Every tracee that waits
/// for the tracer waits while a method runs: a sink must be quick and must never block on
/// something the command controls (a pipe it may not read).
pub trait EventSink {
    /// One event. Called any number of times during a stop.
    fn event(&mut self, event: Event);

    /// Called after a stop that produced events, before the engine resumes a tracee:
    /// when it returns, every event handed over so far must be where it goes (for a log,
    /// written to the kernel). Errors are the sink's to keep: tracing goes on regardless.
    fn flush(&mut self);
}

/// A channel to another thread: nothing to flush (the receiver decides what to keep).
impl EventSink for Sender<Event> {
    fn event(&mut self, event: Event) {
        // The receiver only goes away when the host is shutting down; events then have
        // nowhere to go, and tracing must still resume every tracee.
        let _ = self.send(event);
    }

    fn flush(&mut self) {}
}

impl<S: EventSink + ?Sized> EventSink for &mut S {
    fn event(&mut self, event: Event) {
        (**self).event(event);
    }

    fn flush(&mut self) {
        (**self).flush();
    }
}
