//! What saw what, and how completely: the receipt's honest account of its own limits.

use runglass_model::receipt::{Aspect, Confidence, Coverage, Docker, Mode, Observation, SnapshotSummary, Source};

/// Facts about the run that decide what the receipt could see.
pub struct Seen<'a> {
    pub mode: Mode,
    pub reads: bool,
    /// How polling went (normal mode), e.g. "412 polls, every 2 to 50 ms".
    pub polling: Option<&'a str>,
    pub snapshot: Option<&'a SnapshotSummary>,
    /// Output was still being written by a process that outlived the command.
    pub output_cut_short: bool,
    /// runglass did not see the end: the receipt was rebuilt from the event log.
    pub recovered: Option<Recovery>,
    /// Processes whose end was not seen and that were not handed to a background tracer.
    pub unseen_ends: usize,
    pub survivors: usize,
    pub timeline_omitted: u64,
    /// The Docker engine's changes, when the engine was looked at.
    pub docker: Option<&'a Docker>,
    /// How many processes set up an io_uring (deep mode).
    pub io_uring: usize,
}

/// How far a recovered run's event log goes.
#[derive(Clone, Copy, Debug)]
pub struct Recovery {
    /// The time of the log's last event, in ms from the start: nothing later was observed.
    pub last_event_ms: u64,
    /// The root command's exit is in the log (runglass stopped while it made the receipt).
    pub command_ended: bool,
}

pub fn observation(s: &Seen) -> Observation {
    let cov = |aspect, source, confidence, note: &str| Coverage { aspect, source, confidence, note: note.to_string() };
    let deep = s.mode == Mode::Deep;
    let mut coverage = Vec::new();
    let mut limits = Vec::new();
    // Where a recovered run's observation stopped while the tree still ran: the trace's
    // aspects are complete only up to then.
    let cut_at = s.recovered.filter(|r| !r.command_ended || s.unseen_ends > 0).map(|r| r.last_event_ms);
    let until = |note: &str| match cut_at {
        Some(ms) => format!("{note} Observed only until runglass stopped, {ms} ms into the run."),
        None => note.to_string(),
    };
    let traced = if cut_at.is_some() { Confidence::Partial } else { Confidence::Complete };

    if deep {
        let note = match cut_at {
            Some(ms) => format!(
                "Every fork, clone and exec of the tree, with exit statuses, until runglass stopped, {ms} ms into \
                 the run; the processes still running then were killed with it (PTRACE_O_EXITKILL), and how they \
                 ended is not recorded."
            ),
            None => "Every fork, clone and exec of the tree, with exit statuses.".to_string(),
        };
        coverage.push(cov(Aspect::Processes, Some(Source::Trace), traced, &note));
    } else {
        let polling = s.polling.unwrap_or("no polls recorded");
        coverage.push(cov(
            Aspect::Processes,
            Some(Source::Polling),
            Confidence::Partial,
            &format!("Polling /proc ({polling}): processes that lived between two polls are missing; only the command's own exit status is known."),
        ));
    }

    match s.snapshot {
        Some(snap) => {
            let attribution = if deep {
                "each change is attributed to the processes that made it"
            } else {
                "which process made a change is not known (use --deep)"
            };
            let mut note = format!("Snapshots before and after, by content hash; {attribution}.");
            if snap.ignored > 0 {
                note.push_str(&format!(" {} ignored entries were not compared.", snap.ignored));
                limits.push(format!(
                    "{} entries matched the ignore rules ({}) and were not compared.",
                    snap.ignored,
                    snap.ignore_sources.join(", ")
                ));
            }
            if !snap.capped.is_empty() {
                limits.push(format!(
                    "{} file(s) over the {}-byte snapshot cap were compared by size and times only, with no diff.",
                    snap.capped.len(),
                    snap.cap_bytes
                ));
            }
            if !snap.unreadable.is_empty() {
                limits.push(format!("{} path(s) could not be read and were not compared.", snap.unreadable.len()));
            }
            let confidence = if snap.unreadable.is_empty() { Confidence::Complete } else { Confidence::Partial };
            coverage.push(cov(Aspect::Files, Some(Source::Snapshot), confidence, &note));
        }
        // A recovered deep run: the trace's view of the working directory, classified
        // against the before-snapshot and the files as they are now.
        None if deep => {
            coverage.push(cov(
                Aspect::Files,
                Some(Source::Trace),
                Confidence::Partial,
                &until(
                    "No after-snapshot was taken: runglass did not see the end of the run. The changes listed are \
                     the paths the trace saw written, each compared between the before-snapshot and the file as it \
                     is now; changes through descriptors alone are missing.",
                ),
            ));
            limits.push("File changes inside the working directory were not compared by snapshot (no after-snapshot); the trace's are listed.".into());
        }
        None => {
            coverage.push(cov(
                Aspect::Files,
                None,
                Confidence::None,
                "No after-snapshot was taken: runglass did not see the end of the run.",
            ));
            limits.push("File changes inside the working directory were not compared (no after-snapshot).".into());
        }
    }

    if deep {
        coverage.push(cov(
            Aspect::FilesOutside,
            Some(Source::Trace),
            Confidence::Partial,
            &until(
                "Writes, renames, removals, links, new nodes, and changes of mode, owner and extended attributes \
                 anywhere on disk, by path or on a descriptor (fchmod, ftruncate, fchown), at the file each call \
                 reached; writes through descriptors opened before the command, mmap writes and io_uring operations \
                 are not seen.",
            ),
        ));
        if s.reads {
            coverage.push(cov(
                Aspect::Reads,
                Some(Source::Trace),
                traced,
                &until("Every successful read-only open, hashed when the receipt was made."),
            ));
        } else {
            coverage.push(cov(Aspect::Reads, None, Confidence::None, "Files read were not traced (use --reads)."));
        }
        let (confidence, ring) = match s.io_uring {
            0 => (Confidence::Complete, String::new()),
            n => (Confidence::Partial, format!(" {n} process(es) set up an io_uring, whose connects are not seen.")),
        };
        coverage.push(cov(
            Aspect::Network,
            Some(Source::Trace),
            if cut_at.is_some() { Confidence::Partial } else { confidence },
            &until(&format!(
                "Every connect, bind, listen and addressed send, and the result of every non-blocking connect. Host \
                 names come from the DNS answers the tree received over UDP (recvfrom) and from its hosts file; \
                 lookups over TCP, DNS over TLS or HTTPS, and resolvers that read answers with read(2) or recvmsg(2) \
                 leave peers unnamed. A UDP socket connected with no datagram seen going out is an address probe, not \
                 a peer (sends with send(2) or write(2) are not seen).{ring}"
            )),
        ));
    } else {
        coverage.push(cov(
            Aspect::FilesOutside,
            None,
            Confidence::None,
            "Changes outside the working directory are seen only in deep mode (--deep).",
        ));
        coverage.push(cov(
            Aspect::Reads,
            None,
            Confidence::None,
            "Files read are seen only in deep mode (--deep --reads).",
        ));
        coverage.push(cov(
            Aspect::Network,
            Some(Source::Polling),
            Confidence::Partial,
            "Sockets open when a poll looked: short connections may be missing; peers of connected unix sockets are \
             not known. Host names only from the hosts file: the DNS answers the tree received are seen in deep \
             mode (--deep).",
        ));
        limits.push("Normal mode does not see writes outside the working directory; use --deep for them.".into());
    }

    if s.output_cut_short {
        coverage.push(cov(
            Aspect::Output,
            Some(Source::Capture),
            Confidence::Partial,
            "Captured until the command ended; a process that outlived it kept writing.",
        ));
        limits.push("Output written after the command ended (by processes it left running) was not captured.".into());
    } else if s.recovered.is_some() {
        coverage.push(cov(
            Aspect::Output,
            Some(Source::Capture),
            Confidence::Partial,
            "Captured until runglass stopped.",
        ));
    } else {
        coverage.push(cov(
            Aspect::Output,
            Some(Source::Capture),
            Confidence::Complete,
            "Everything the command wrote to stdout and stderr.",
        ));
    }

    coverage.push(docker_coverage(s.docker));

    match (s.recovered, cut_at) {
        (Some(_), Some(ms)) => limits.push(format!(
            "Observation ended early: runglass was stopped {ms} ms into the run, while the command's processes still \
             ran; this receipt was recovered from its event log, and nothing they did after that moment is in it."
        )),
        (Some(_), None) => limits.push(
            "runglass was stopped after the command ended, before it wrote the receipt; this receipt was recovered \
             from its event log."
                .into(),
        ),
        (None, _) => {}
    }
    if s.survivors > 0 {
        limits.push(format!(
            "{} process(es) were still running when the command ended; their later actions are not in this receipt.",
            s.survivors
        ));
    }
    if s.timeline_omitted > 0 {
        limits.push(format!("{} timeline entries from the middle of the run are left out.", s.timeline_omitted));
    }
    Observation { coverage, limits, io_uring: Vec::new(), privileges_dropped: Vec::new() }
}

/// The engine's API is read before and after: objects that came and went in between, or
/// changed and changed back, are not seen.
fn docker_coverage(docker: Option<&Docker>) -> Coverage {
    let (source, confidence, note) = match docker {
        None => (None, Confidence::None, "Docker was not looked at.".to_string()),
        Some(Docker { unavailable: Some(reason), host, .. }) => {
            (None, Confidence::None, format!("Docker not observed: {reason} ({host})."))
        }
        Some(d) => (
            Some(Source::Snapshot),
            Confidence::Partial,
            format!(
                "The engine at {} was read before and after: containers, images, volumes and networks that came \
                 and went in between are not seen.",
                d.host
            ),
        ),
    };
    Coverage { aspect: Aspect::Docker, source, confidence, note }
}
