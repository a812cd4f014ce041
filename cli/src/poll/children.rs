//! Finding a process's children: /proc/PID/task/TID/children of each of its threads (a
//! child belongs to the thread that forked it), or, on kernels built without that file, a
//! scan of every process's parent in /proc.

use std::collections::HashMap;
use std::io::Read;

use procfs::process::Process;
use runglass_model::Pid;

/// How children are found on this kernel.
pub(super) enum Lookup {
    /// Through the `children` files.
    Files,
    /// Through one scan of all of /proc, made when the lookup was made: parent → children.
    Scan(HashMap<Pid, Vec<Pid>>),
}

impl Lookup {
    /// The way to find children now: the files when the kernel has them, else a fresh scan.
    pub fn now(files: bool) -> Lookup {
        if files { Lookup::Files } else { Lookup::Scan(scan_parents()) }
    }

    /// The children of `process` (pid `pid`, `threads` threads as its stat said), in no
    /// particular order. A process that ended meanwhile has none.
    pub fn children_of(&self, pid: Pid, process: &Process, threads: i64) -> Vec<Pid> {
        match self {
            Lookup::Scan(by_parent) => by_parent.get(&pid).cloned().unwrap_or_default(),
            // One thread: its only task is the leader, no need to list the task directory.
            Lookup::Files if threads <= 1 => read_children(process, pid),
            Lookup::Files => {
                let Ok(tasks) = process.tasks() else { return Vec::new() };
                let tids: Vec<Pid> = tasks.flatten().filter_map(|t| Pid::try_from(t.tid).ok()).collect();
                tids.into_iter().flat_map(|tid| read_children(process, tid)).collect()
            }
        }
    }
}

/// True when this kernel has /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN).
pub(super) fn files_available() -> bool {
    let me = std::process::id();
    std::path::Path::new(&format!("/proc/{me}/task/{me}/children")).exists()
}

fn read_children(process: &Process, tid: Pid) -> Vec<Pid> {
    let mut text = String::new();
    let read = process.open_relative(format!("task/{tid}/children")).map(|mut f| f.read_to_string(&mut text));
    match read {
        Ok(Ok(_)) => text.split_ascii_whitespace().filter_map(|pid| pid.parse().ok()).collect(),
        _ => Vec::new(),
    }
}

/// Every process's children, by one look at each process's stat.
fn scan_parents() -> HashMap<Pid, Vec<Pid>> {
    let mut by_parent: HashMap<Pid, Vec<Pid>> = HashMap::new();
    let Ok(all) = procfs::process::all_processes() else { return by_parent };
    for stat in all.flatten().filter_map(|p| p.stat().ok()) {
        if let (Ok(pid), Ok(ppid)) = (Pid::try_from(stat.pid), Pid::try_from(stat.ppid)) {
            by_parent.entry(ppid).or_default().push(pid);
        }
    }
    by_parent
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::process::Command;

    #[test]
    fn children_files_and_the_proc_scan_find_the_same_children() {
        assert!(files_available(), "this kernel has no /proc/PID/task/TID/children");
        let mut parent = Command::new("sh").args(["-c", "sleep 5 & sleep 5 & wait"]).spawn().unwrap();
        let pid = parent.id();
        let process = Process::new(pid as i32).unwrap();
        let mut found = Vec::new();
        for _ in 0..200 {
            found = Lookup::now(true).children_of(pid, &process, 1);
            if found.len() == 2 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let mut scanned = Lookup::now(false).children_of(pid, &process, 1);
        parent.kill().unwrap();
        parent.wait().unwrap();
        for child in &found {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(*child as i32), nix::sys::signal::SIGKILL);
        }
        found.sort();
        scanned.sort();
        assert_eq!(found.len(), 2);
        assert_eq!(found, scanned);
    }

    #[test]
    fn children_forked_by_another_thread_are_found() {
        // The child belongs to the thread that spawned it, which stays alive while we look
        // (a thread's children pass to another thread when it ends).
        let (spawned_tx, spawned_rx) = crossbeam_channel::bounded(1);
        let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(1);
        let spawner = std::thread::spawn(move || {
            let child = Command::new("sleep").arg("5").spawn().unwrap();
            spawned_tx.send(child.id()).unwrap();
            let _ = done_rx.recv();
            child
        });
        let child_pid = spawned_rx.recv().unwrap();
        let me = Process::myself().unwrap();
        let threads = me.stat().unwrap().num_threads;
        let found = Lookup::Files.children_of(std::process::id(), &me, threads);
        done_tx.send(()).unwrap();
        let mut child = spawner.join().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(found.contains(&child_pid), "{found:?} lacks {child_pid}");
    }
}
