//! The shape of a receipt's process tree, shared by every format that draws it: which
//! processes are roots and which are whose children, and the tree as text lines
//! (`├─ `, `└─ `) for the terminal report and Markdown.

use std::collections::HashMap;

use runglass_model::Pid;
use runglass_model::receipt::Process;

use crate::text::{exec_chain, process_end};

/// The roots, and each process's children, by index into the receipt's processes.
pub struct Shape {
    pub roots: Vec<usize>,
    pub children: Vec<Vec<usize>>,
}

/// Children in order of appearance. A parent must appear before its child, so the shape has
/// no cycle whatever the receipt says; a pid seen twice is the later process from then on.
pub fn shape(procs: &[Process]) -> Shape {
    let mut index: HashMap<Pid, usize> = HashMap::with_capacity(procs.len());
    let mut children = vec![Vec::new(); procs.len()];
    let mut roots = Vec::new();
    for (i, p) in procs.iter().enumerate() {
        match p.parent.and_then(|parent| index.get(&parent)) {
            Some(&parent) => children[parent].push(i),
            None => roots.push(i),
        }
        index.insert(p.pid, i);
    }
    Shape { roots, children }
}

/// The tree as lines, depth first, at most `max` of them: `pid command  [how it ended]`,
/// command lines cut to `width`. Returns the lines and how many processes were left out.
/// Walked with a stack, not recursion, so a chain thousands deep cannot overflow.
pub fn text_lines(procs: &[Process], max: usize, width: usize) -> (Vec<String>, usize) {
    let Shape { roots, children } = shape(procs);
    // Each entry: the process, the prefix of its line, and whether it is its parent's
    // last child (None for a root).
    let mut stack: Vec<(usize, String, Option<bool>)> = roots.iter().rev().map(|&i| (i, String::new(), None)).collect();
    let mut lines = Vec::new();
    while let Some((i, prefix, last)) = stack.pop() {
        if lines.len() == max {
            return (lines, procs.len() - max);
        }
        let p = &procs[i];
        let (branch, child_prefix) = match last {
            None => ("", prefix.clone()),
            Some(false) => ("├─ ", format!("{prefix}│  ")),
            Some(true) => ("└─ ", format!("{prefix}   ")),
        };
        lines.push(format!("{prefix}{branch}{} {}  [{}]", p.pid, exec_chain(p, width), process_end(p)));
        let kids = &children[i];
        for (n, &k) in kids.iter().enumerate().rev() {
            stack.push((k, child_prefix.clone(), Some(n == kids.len() - 1)));
        }
    }
    (lines, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use runglass_model::receipt::Source;

    fn process(pid: Pid, parent: Option<Pid>) -> Process {
        Process {
            pid,
            parent,
            argv: vec![format!("p{pid}").as_str().into()],
            exe: None,
            cwd: None,
            execs: Vec::new(),
            started_ms: None,
            ended_ms: None,
            exit: None,
            outlived_command: false,
            seen_by: Source::Trace,
            parent_exec: None,
            parent_process: None,
        }
    }

    #[test]
    fn children_hang_under_their_parents_and_the_last_one_closes_the_branch() {
        let procs = [process(1, None), process(2, Some(1)), process(3, Some(2)), process(4, Some(1))];
        let (lines, left_out) = text_lines(&procs, 10, 40);
        let starts: Vec<&str> = lines.iter().map(|l| l.split(" p").next().unwrap()).collect();
        assert_eq!(starts, ["1", "├─ 2", "│  └─ 3", "└─ 4"], "{lines:#?}");
        assert_eq!(left_out, 0);
    }

    #[test]
    fn a_chain_deeper_than_any_stack_is_cut_at_max_lines_and_says_how_many_are_left() {
        let procs: Vec<Process> = (1..=100_000).map(|pid| process(pid, (pid > 1).then(|| pid - 1))).collect();
        let (lines, left_out) = text_lines(&procs, 200, 40);
        assert_eq!((lines.len(), left_out), (200, 99_800));
    }

    #[test]
    fn a_parent_listed_after_its_child_cannot_make_a_cycle() {
        let procs = [process(2, Some(1)), process(1, Some(2))];
        assert_eq!(shape(&procs).roots, [0], "the first is a root; the second hangs under it");
    }
}
