//! Which sections each text report takes, in which order, with which cuts: one [`Shape`]
//! per format (Markdown, terminal, ai, summary), side by side so that their differences are
//! in plain view.

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
