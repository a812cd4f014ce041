//! The one layout of the text reports: which sections each of them takes, in which order,
//! with which cuts ([`Shape`]), and the [`Layout`] each format implements to say how a
//! section looks. [`write`] walks the receipt's sections once for all of them.
//!
//! The four shapes sit side by side here so their differences are in plain view.

use runglass_model::receipt::{FileChange, FileRead, Receipt};

use crate::review;
use crate::sections::{
    self, Counts, Cut, Docker, Files, Git, Network, NotCounted, Observation, Outside, Processes, Risk, Timeline,
};

/// A section of a text report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    /// The command, its outcome and the run's facts.
    Head,
    /// The counts of a short summary.
    Counts,
    Risk,
    /// The counted changes inside the working directory.
    Files,
    /// The paths folded away instead of counted.
    NotCounted,
    Diffs,
    Outside,
    Reads,
    Git,
    Processes,
    Network,
    Docker,
    /// What to look at first, and why (the pull-request summary).
    Review,
    Timeline,
    Output,
    /// What was seen and what could not be.
    Observation,
    /// The closing line.
    Foot,
}

/// The sections a format takes, in order, and how much of each list it shows.
pub(crate) struct Shape {
    pub sections: &'static [Section],
    /// Rows of the file lists and tables (changes, outside).
    pub rows: usize,
    /// Rows per directory the snapshots skip (a `node_modules` can hold thousands).
    pub group_rows: usize,
    pub reads: usize,
    /// Risk notes, and evidence lines per note.
    pub notes: usize,
    pub evidence: usize,
    pub diffs: usize,
    pub git_lines: usize,
    /// Processes in the tree, and the characters of a command line.
    pub processes: usize,
    pub command: usize,
    /// Rows per network list.
    pub network: usize,
    pub docker_lines: usize,
    /// The timeline's first and last entries when it is longer than both.
    pub timeline: (usize, usize),
    /// Lines of each output stream.
    pub output_lines: usize,
    /// Items under "Review next".
    pub review: usize,
}

use Section::*;

/// `receipt.md`: everything, in tables.
pub(crate) const MARKDOWN: Shape = Shape {
    sections: &[
        Head,
        Risk,
        Files,
        NotCounted,
        Diffs,
        Outside,
        Reads,
        Git,
        Processes,
        Network,
        Docker,
        Timeline,
        Output,
        Observation,
    ],
    rows: 100,
    group_rows: 20,
    reads: 100,
    notes: usize::MAX,
    evidence: 10,
    diffs: 50,
    git_lines: 50,
    processes: 200,
    command: 80,
    network: 100,
    docker_lines: crate::docker_lines::MAX_LINES,
    timeline: (100, 50),
    output_lines: usize::MAX,
    review: 0,
};

/// `runglass report`: the terminal's shorter lists.
pub(crate) const TERMINAL: Shape = Shape {
    sections: &[Head, Risk, Files, Outside, NotCounted, Reads, Git, Processes, Network, Docker, Output, Observation],
    rows: 50,
    group_rows: 10,
    reads: 10,
    notes: usize::MAX,
    evidence: 5,
    diffs: 0,
    git_lines: 50,
    processes: 200,
    command: 60,
    network: 50,
    docker_lines: crate::docker_lines::MAX_LINES,
    timeline: (0, 0),
    output_lines: 10,
    review: 0,
};

/// `ai-summary.txt`: facts for a coding agent, the failing output at the end.
pub(crate) const AI: Shape = Shape {
    sections: &[Head, Risk, Files, Outside, NotCounted, Git, Processes, Network, Docker, Output],
    rows: 15,
    group_rows: 0,
    reads: 0,
    notes: usize::MAX,
    evidence: 1,
    diffs: 0,
    git_lines: 15,
    processes: 0,
    command: 0,
    network: usize::MAX,
    docker_lines: 15,
    timeline: (0, 0),
    output_lines: 20,
    review: 0,
};

/// `summary.md`: a pull-request comment, under 4 KB on any receipt.
pub(crate) const SUMMARY: Shape = Shape {
    sections: &[Head, Counts, Git, Docker, Risk, Review, Foot],
    rows: 0,
    group_rows: 0,
    reads: 0,
    notes: 5,
    evidence: 1,
    diffs: 0,
    git_lines: 0,
    processes: 0,
    command: 0,
    network: 0,
    docker_lines: 0,
    timeline: (0, 0),
    output_lines: 0,
    review: 5,
};

/// How one format writes each section it takes. A section a format does not take is
/// never asked for; one whose data is `Option` is skipped when the receipt has none.
pub(crate) trait Layout {
    const SHAPE: &'static Shape;
    fn head(&mut self) {}
    fn counts(&mut self, _: &Counts) {}
    fn risk(&mut self, _: &Risk) {}
    fn files(&mut self, _: &Files) {}
    fn not_counted(&mut self, _: &NotCounted) {}
    fn diffs(&mut self, _: &Cut<&FileChange>) {}
    fn outside(&mut self, _: &Outside) {}
    fn reads(&mut self, _: &Cut<&FileRead>) {}
    fn git(&mut self, _: &Git) {}
    fn processes(&mut self, _: &Processes) {}
    fn network(&mut self, _: &Network) {}
    fn docker(&mut self, _: &Docker) {}
    fn review(&mut self, _: &[review::Item]) {}
    fn timeline(&mut self, _: &Timeline) {}
    fn output(&mut self, _: &sections::Output) {}
    fn observation(&mut self, _: &Observation) {}
    fn foot(&mut self) {}
}

/// Each section of `L::SHAPE`, in order, taken from `r` and handed to `layout`.
pub(crate) fn write<L: Layout>(layout: &mut L, r: &Receipt) {
    let shape = L::SHAPE;
    for section in shape.sections {
        match section {
            Head => layout.head(),
            Counts => layout.counts(&sections::counts(r)),
            Risk => layout.risk(&sections::risk(r, shape)),
            Files => layout.files(&sections::files(r, shape)),
            NotCounted => sections::not_counted(r).iter().for_each(|n| layout.not_counted(n)),
            Diffs => sections::diffs(r, shape).iter().for_each(|d| layout.diffs(d)),
            Outside => sections::outside(r, shape).iter().for_each(|o| layout.outside(o)),
            Reads => sections::reads(r, shape).iter().for_each(|f| layout.reads(f)),
            Git => sections::git(r, shape).iter().for_each(|g| layout.git(g)),
            Processes => layout.processes(&sections::processes(r, shape)),
            Network => layout.network(&sections::network(r, shape)),
            Docker => sections::docker(r, shape).iter().for_each(|d| layout.docker(d)),
            Review => layout.review(&review::review(r, shape.review)),
            Timeline => sections::timeline(r, shape).iter().for_each(|t| layout.timeline(t)),
            Output => layout.output(&sections::output(r)),
            Observation => layout.observation(&sections::observation(r, shape)),
            Foot => layout.foot(),
        }
    }
}
