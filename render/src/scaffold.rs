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

/// The receipt a report is written from, and the text written so far.
pub(crate) struct Page<'a> {
    pub r: &'a Receipt,
    pub o: String,
}

/// How one format writes each section it takes. A section a format does not take is
/// never asked for; one whose data is `Option` is skipped when the receipt has none.
pub(crate) trait Layout {
    const SHAPE: &'static Shape;
    fn head(_: &mut Page) {}
    fn counts(_: &mut Page, _: &Counts) {}
    fn risk(_: &mut Page, _: &Risk) {}
    fn files(_: &mut Page, _: &Files) {}
    fn not_counted(_: &mut Page, _: &NotCounted) {}
    fn diffs(_: &mut Page, _: &Cut<&FileChange>) {}
    fn outside(_: &mut Page, _: &Outside) {}
    fn reads(_: &mut Page, _: &Cut<&FileRead>) {}
    fn git(_: &mut Page, _: &Git) {}
    fn processes(_: &mut Page, _: &Processes) {}
    fn network(_: &mut Page, _: &Network) {}
    fn docker(_: &mut Page, _: &Docker) {}
    fn review(_: &mut Page, _: &[review::Item]) {}
    fn timeline(_: &mut Page, _: &Timeline) {}
    fn output(_: &mut Page, _: &sections::Output) {}
    fn observation(_: &mut Page, _: &Observation) {}
    fn foot(_: &mut Page) {}
}

/// The report `L` writes of `r`: each section of `L::SHAPE`, in order, taken from `r` once.
pub(crate) fn render<L: Layout>(r: &Receipt) -> String {
    let shape = L::SHAPE;
    let mut page = Page { r, o: String::new() };
    let p = &mut page;
    for section in shape.sections {
        match section {
            Head => L::head(p),
            Counts => L::counts(p, &sections::counts(r)),
            Risk => L::risk(p, &sections::risk(r, shape)),
            Files => L::files(p, &sections::files(r, shape)),
            NotCounted => sections::not_counted(r).iter().for_each(|n| L::not_counted(p, n)),
            Diffs => sections::diffs(r, shape).iter().for_each(|d| L::diffs(p, d)),
            Outside => sections::outside(r, shape).iter().for_each(|o| L::outside(p, o)),
            Reads => sections::reads(r, shape).iter().for_each(|f| L::reads(p, f)),
            Git => sections::git(r, shape).iter().for_each(|g| L::git(p, g)),
            Processes => L::processes(p, &sections::processes(r, shape)),
            Network => L::network(p, &sections::network(r, shape)),
            Docker => sections::docker(r, shape).iter().for_each(|d| L::docker(p, d)),
            Review => L::review(p, &review::review(r, shape.review)),
            Timeline => sections::timeline(r, shape).iter().for_each(|t| L::timeline(p, t)),
            Output => L::output(p, &sections::output(r)),
            Observation => L::observation(p, &sections::observation(r, shape)),
            Foot => L::foot(p),
        }
    }
    page.o
}
