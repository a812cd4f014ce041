//! Finding a process's children: /proc/PID/task/TID/children of each of its threads (a
//! child belongs to the thread that forked it), held open and re-read at each poll; or, on
//! kernels built without that file, a scan of every process's parent in /proc.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;

use runglass_model::Pid;

/// True when this kernel has /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN).
pub(super) fn files_available() -> bool {
    let me = std::process::id();
    std::path::Path::new(&format!("/proc/{me}/task/{me}/children")).exists()
}

/// The open `children` files of one process's threads.
pub(super) struct ChildFiles {
    pid: Pid,
    files: Vec<(Pid, File)>,
}

impl ChildFiles {
    pub fn new(pid: Pid) -> ChildFiles {
        ChildFiles { pid, files: Vec::new() }
    }

    /// The children of the process now, given its thread count from the stat just read.
    /// A single thread is taken to be the leader; the threads of a multi-threaded process
    /// are listed each time, as they may come and go in equal numbers.
    pub fn read(&mut self, threads: i64, buf: &mut Vec<u8>) -> Vec<Pid> {
        let pid = self.pid;
        let tids = if threads <= 1 { vec![pid] } else { list_threads(pid) };
        if !self.files.iter().map(|(tid, _)| *tid).eq(tids.iter().copied()) {
            let mut open: HashMap<Pid, File> = std::mem::take(&mut self.files).into_iter().collect();
            let mut reopen =
                |tid| open.remove(&tid).or_else(|| File::open(format!("/proc/{pid}/task/{tid}/children")).ok());
            self.files = tids.into_iter().filter_map(|tid| Some((tid, reopen(tid)?))).collect();
        }
        let mut children = Vec::new();
        for (_, file) in &self.files {
            // A thread that just ended reads as having no children.
            if let Ok(text) = read_at_start(file, buf) {
                children.extend(parse_pids(text));
            }
        }
        children
    }
}

/// The children of `pid` (which has `threads` threads) now, by whichever means this kernel
/// offers, for one look (polling holds the files open instead).
pub(super) fn children_now(pid: Pid, threads: i64) -> Vec<Pid> {
    if files_available() {
        ChildFiles::new(pid).read(threads, &mut Vec::new())
    } else {
        scan_parents().remove(&pid).unwrap_or_default()
    }
}

fn list_threads(pid: Pid) -> Vec<Pid> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    dir.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect()
}

/// Reads a /proc file from its start (pread at 0 makes the kernel generate it afresh) into
/// `buf`, which keeps its size between calls, and returns the part read. A read that does
/// not fill the buffer reached the end: /proc's generated files give as much as asked for.
pub(super) fn read_at_start<'b>(file: &File, buf: &'b mut Vec<u8>) -> std::io::Result<&'b [u8]> {
    if buf.len() < 4096 {
        buf.resize(4096, 0);
    }
    let mut filled = 0;
    loop {
        filled += file.read_at(&mut buf[filled..], filled as u64)?;
        if filled < buf.len() {
            return Ok(&buf[..filled]);
        }
        buf.resize(buf.len() * 2, 0);
    }
}

fn parse_pids(text: &[u8]) -> impl Iterator<Item = Pid> + '_ {
    text.split(u8::is_ascii_whitespace).filter_map(|pid| std::str::from_utf8(pid).ok()?.parse().ok())
}

/// Every process's children, by one look at each process's stat.
pub(super) fn scan_parents() -> HashMap<Pid, Vec<Pid>> {
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
    use std::time::Duration;

    fn kill(pid: Pid) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::SIGKILL);
    }

    #[test]
    fn children_files_and_the_proc_scan_find_the_same_children_as_they_change() {
        assert!(files_available(), "this kernel has no /proc/PID/task/TID/children");
        let mut parent = Command::new("sh").args(["-c", "sleep 0.3; sleep 5 & sleep 5 & wait"]).spawn().unwrap();
        let pid = parent.id();
        let mut files = ChildFiles::new(pid);
        let mut buf = Vec::new();
        let mut seen = Vec::new();
        let mut first = Vec::new();
        // The same open files show the first child, then the two that came after it ended.
        for want in [1, 2] {
            for _ in 0..400 {
                seen = files.read(1, &mut buf);
                if seen.len() == want {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            assert_eq!(seen.len(), want, "{seen:?}");
            if first.is_empty() {
                first = seen.clone();
            }
        }
        assert!(!seen.contains(&first[0]), "{first:?} then {seen:?}");
        let mut scanned = scan_parents().remove(&pid).unwrap_or_default();
        parent.kill().unwrap();
        parent.wait().unwrap();
        seen.iter().copied().for_each(kill);
        seen.sort();
        scanned.sort();
        assert_eq!(seen, scanned);
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
        let me = std::process::id();
        let threads = procfs::process::Process::myself().unwrap().stat().unwrap().num_threads;
        let found = ChildFiles::new(me).read(threads, &mut Vec::new());
        done_tx.send(()).unwrap();
        let mut child = spawner.join().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(found.contains(&child_pid), "{found:?} lacks {child_pid}");
    }

    #[test]
    fn long_files_are_read_whole() {
        let file = tempfile::tempfile().unwrap();
        let text: Vec<u8> = (0..3000).flat_map(|i| format!("{i} ").into_bytes()).collect();
        file.write_all_at(&text, 0).unwrap();
        let mut buf = Vec::new();
        let read = read_at_start(&file, &mut buf).unwrap();
        assert_eq!(read, text);
        assert_eq!(parse_pids(read).count(), 3000);
    }
}
