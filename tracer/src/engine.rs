//! The stop loop: wait for a tracee to stop, decode what it is doing, resume it.

use std::collections::{BTreeSet, HashMap};
use std::marker::PhantomData;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use runglass_model::{ByteString, CloneKind, Event, EventKind, ExitStatus, SyscallResult};

use crate::arch::Abi;
use crate::before_change::BeforeChange;
use crate::connect_results::{ConnectResults, Learnt};
use crate::decode::{self, Caller, Entry, Pending, Syscall};
use crate::error::{Error, Subject};
use crate::filter::FilterOptions;
use crate::memory::Memory;
use crate::privileges::Privileges;
use crate::sink::EventSink;
use crate::spawn::Command;
use crate::sys::{self, ForkedChild, SyscallInfo, Tid};
use crate::tracee::{self, Early, Resume, Task};
use crate::wait::{self, NewTask, Stop};

/// How to trace.
#[derive(Clone, Debug)]
pub struct Options {
    /// Stop for read-only opens too (provenance of inputs).
    pub reads: bool,
    /// After the root command exits, how long to keep tracing its remaining descendants
    /// before calling them survivors.
    pub survivor_grace: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options { reads: false, survivor_grace: Duration::from_millis(200) }
    }
}

/// A process still running when tracing of its tree ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Survivor {
    pub pid: Tid,
    pub argv: Vec<ByteString>,
}

/// The tracing engine for one process tree. Every ptrace request for a tracee must come
/// from the thread that attached it, so a `Tracer` stays on the thread that made it.
pub struct Tracer {
    tasks: HashMap<Tid, Task>,
    early: HashMap<Tid, Early>,
    mem: Memory,
    root: Option<Tid>,
    child: Option<ForkedChild>,
    /// The root command's name, for error messages.
    program: std::ffi::OsString,
    root_status: Option<ExitStatus>,
    /// The root's first stop, taken while starting it and handled first by `run`.
    first_stop: Option<Stop>,
    start: Instant,
    opts: Options,
    /// Asked about every path a stopped call is about to change.
    before_change: Option<Box<dyn BeforeChange>>,
    /// Non-blocking connects whose result is still to come.
    connects: ConnectResults,
    /// Whether execs of setuid, setgid and file-capability programs lose what they grant
    /// because they are traced by this tracer (then each exec stop looks at the program).
    privileges: Privileges,
    _not_send: PhantomData<*const ()>,
}

impl Tracer {
    fn empty(opts: Options) -> Self {
        Tracer {
            tasks: HashMap::new(),
            early: HashMap::new(),
            mem: Memory::default(),
            root: None,
            child: None,
            program: std::ffi::OsString::new(),
            root_status: None,
            first_stop: None,
            start: Instant::now(),
            opts,
            before_change: None,
            connects: ConnectResults::default(),
            privileges: Privileges::of_this_process(),
            _not_send: PhantomData,
        }
    }

    /// Starts `cmd` under the tracer: fork, seize, then let the child install the filter
    /// and exec. Events start with the root's `Spawn`, sent to `sink`.
    pub fn spawn(cmd: &Command, opts: Options, sink: &mut dyn EventSink) -> Result<Tracer, Error> {
        let spec = cmd.child_spec(Some(FilterOptions { reads: opts.reads }))?;
        let child = sys::fork_child(&spec).map_err(|e| Error::sys("fork", Subject::program(cmd.program()), e))?;
        if let Err(errno) = sys::seize(child.pid) {
            // A tracer that follows runglass's forks got the child first.
            let outer = tracee::tracer_of(child.pid);
            sys::kill_and_reap(child.pid);
            return Err(match outer {
                Some(tracer) => Error::AlreadyTraced { tracer, name: tracee::comm(tracer) },
                None => Error::PtraceRefused(errno),
            });
        }
        if let Err(errno) = sys::release(&child) {
            sys::kill_and_reap(child.pid);
            return Err(Error::sys("starting the command", Subject::Pid(child.pid), errno));
        }
        // The child's first stop is its exec (the filter is in place) or its exit (it
        // could not install the filter): only the first is a trace worth reporting.
        let first = sys::wait_one(child.pid)
            .map_err(|e| Error::sys("waiting for the command to start", Subject::Pid(child.pid), e))?;
        let first = Stop::decode(child.pid, first);
        if let Stop::Exited { .. } = first {
            return Err(match sys::read_child_error(&child) {
                Some(report) => Error::from_child(report, cmd.program()),
                None => Error::sys("starting the command", Subject::Pid(child.pid), Errno::ECHILD),
            });
        }
        let mut tracer = Tracer::empty(opts);
        tracer.root = Some(child.pid);
        tracer.tasks.insert(child.pid, Task::new(child.pid, true));
        tracer.program = cmd.program().to_owned();
        let first = match first {
            Stop::Seccomp(pid) => match tracer.exec_root(pid, sink)? {
                Some(stop) => stop,
                // The exec failed: the command never started, and the child said why.
                None => {
                    return Err(match sys::read_child_error(&child) {
                        Some(report) => Error::from_child(report, cmd.program()),
                        None => Error::sys("starting the command", Subject::Pid(child.pid), Errno::ECHILD),
                    });
                }
            },
            other => other,
        };
        tracer.first_stop = Some(first);
        let me = nix::unistd::getpid().as_raw();
        let my_tid = nix::unistd::gettid().as_raw();
        tracer.emit(
            sink,
            child.pid,
            child.pid,
            EventKind::Spawn { parent: me as u32, parent_tid: my_tid as u32, kind: CloneKind::Root },
        );
        tracer.child = Some(child);
        Ok(tracer)
    }

    /// Runs the root's execve, stopped at its seccomp stop, to its outcome: the command
    /// has started only once its program runs. Returns the next stop to handle (the exec
    /// event, whose event `run` sends), or None when the exec failed and the child exited.
    fn exec_root(&mut self, pid: Tid, sink: &mut dyn EventSink) -> Result<Option<Stop>, Error> {
        let resume = self.on_seccomp(pid, sink)?;
        let resumed =
            |resume: Resume| resume.apply(pid).map_err(|e| Error::sys("starting the command", Subject::Pid(pid), e));
        sink.flush();
        resumed(resume)?;
        loop {
            let status =
                sys::wait_one(pid).map_err(|e| Error::sys("waiting for the command to start", Subject::Pid(pid), e))?;
            match Stop::decode(pid, status) {
                // A failed exec returns; the child then reports why and exits.
                Stop::SyscallExit(_) => {
                    self.task(pid).pending = None;
                    resumed(Resume::Cont(0))?;
                }
                Stop::Signal { sig, .. } => resumed(Resume::Cont(sig))?,
                Stop::Exited { .. } => return Ok(None),
                other => return Ok(Some(other)),
            }
        }
    }

    /// Takes over processes that another tracer detached and left in group-stop (a
    /// hand-off), then lets them continue.
    pub fn adopt(pids: &[Tid], opts: Options, sink: &mut dyn EventSink) -> Result<Tracer, Error> {
        let mut tracer = Tracer::empty(opts);
        tracer.attach_stopped(pids, sink)?;
        Ok(tracer)
    }

    /// Seizes every thread of these stopped processes, then sends them SIGCONT.
    fn attach_stopped(&mut self, pids: &[Tid], sink: &mut dyn EventSink) -> Result<(), Error> {
        for &pid in pids {
            for tid in tracee::threads(pid) {
                match sys::seize(tid) {
                    Ok(()) => {
                        self.tasks.insert(tid, Task::new(pid, false));
                    }
                    Err(Errno::ESRCH) => {}
                    Err(errno) => return Err(Error::PtraceRefused(errno)),
                }
            }
            self.emit(sink, pid, pid, EventKind::Adopted);
        }
        sink.flush();
        for &pid in pids {
            let _ = sys::kill(pid, libc::SIGCONT);
        }
        Ok(())
    }

    /// Hands the survivors to a background tracer started by `launch` (which gets their
    /// pids, must adopt them, and returns its own pid). If `launch` fails, the survivors
    /// are taken back and traced here until they end. Returns the background tracer's pid.
    pub fn hand_off<F>(&mut self, sink: &mut dyn EventSink, launch: F) -> Result<Option<Tid>, Error>
    where
        F: FnOnce(&[Tid]) -> Result<Tid, String>,
    {
        let pids = self.detach_survivors(sink)?;
        // Tracing of the survivors ends here; the background tracer knows nothing of
        // their connects in progress.
        self.finish_connects(sink);
        if pids.is_empty() {
            return Ok(None);
        }
        match launch(&pids) {
            Ok(keeper) => {
                for &pid in &pids {
                    self.emit(sink, pid, pid, EventKind::HandedOff { keeper: keeper as u32 });
                }
                sink.flush();
                Ok(Some(keeper))
            }
            Err(_) => {
                self.attach_stopped(&pids, sink)?;
                self.run_to_end(sink)?;
                Ok(None)
            }
        }
    }

    /// Installs the hook asked about every path a call is about to change, while the
    /// caller is stopped at it. Install it before [`Tracer::run`] or [`Tracer::run_to_end`]:
    /// calls made before are not seen by it.
    pub fn set_before_change(&mut self, hook: Box<dyn BeforeChange>) {
        self.before_change = Some(hook);
    }

    pub fn root_pid(&self) -> Option<Tid> {
        self.root
    }

    /// Traces until the root command has exited and its descendants have either exited
    /// too or outlived the grace period. Returns the root's exit status.
    pub fn run(&mut self, sink: &mut dyn EventSink) -> Result<ExitStatus, Error> {
        if let Some(first) = self.first_stop.take() {
            self.step(first, sink)?;
        }
        let mut grace_end: Option<Instant> = None;
        loop {
            if self.root_status.is_some() && self.tasks.is_empty() {
                break;
            }
            let nohang = self.root_status.is_some();
            match wait::next(nohang) {
                Ok(Some(stop)) => self.step(stop, sink)?,
                Ok(None) => {
                    let end = *grace_end.get_or_insert_with(|| Instant::now() + self.opts.survivor_grace);
                    if Instant::now() >= end {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(Errno::ECHILD) => {
                    self.tasks.clear();
                    break;
                }
                Err(errno) => return Err(Error::sys("waiting for traced processes", self.tree(), errno)),
            }
        }
        if self.tasks.is_empty() {
            self.finish_connects(sink);
        }
        self.check_child_error()?;
        Ok(self.root_status.unwrap_or(ExitStatus::Code(127)))
    }

    /// Traces until every task is gone (the background tracer after a hand-off, or the
    /// fallback when no hand-off is possible).
    pub fn run_to_end(&mut self, sink: &mut dyn EventSink) -> Result<(), Error> {
        while !self.tasks.is_empty() {
            match wait::next(false) {
                Ok(Some(stop)) => self.step(stop, sink)?,
                Ok(None) => {}
                Err(Errno::ECHILD) => break,
                Err(errno) => return Err(Error::sys("waiting for traced processes", self.tree(), errno)),
            }
        }
        self.finish_connects(sink);
        Ok(())
    }

    /// The processes still traced (descendants that outlived the root).
    pub fn survivors(&self) -> Vec<Survivor> {
        let pids: BTreeSet<Tid> = self.tasks.values().map(|t| t.tgid).collect();
        pids.into_iter()
            .map(|pid| Survivor { pid, argv: tracee::cmdline(pid).into_iter().map(ByteString).collect() })
            .collect()
    }

    /// Stops every surviving process and detaches it, leaving it in group-stop so that
    /// it cannot make a system call while no tracer is attached. Returns their pids: a
    /// new tracer must [`Tracer::adopt`] them, which also lets them continue.
    fn detach_survivors(&mut self, sink: &mut dyn EventSink) -> Result<Vec<Tid>, Error> {
        let mut signalled: BTreeSet<Tid> = BTreeSet::new();
        let mut detached: BTreeSet<Tid> = BTreeSet::new();
        while !self.tasks.is_empty() {
            for pid in self.tasks.values().map(|t| t.tgid).collect::<BTreeSet<_>>() {
                if signalled.insert(pid) {
                    let _ = sys::kill(pid, libc::SIGSTOP);
                }
            }
            let stop = match wait::next(false) {
                Ok(Some(stop)) => stop,
                Ok(None) => continue,
                Err(Errno::ECHILD) => break,
                Err(errno) => return Err(Error::sys("waiting for traced processes", self.tree(), errno)),
            };
            let tid = stop.tid();
            let detach_with = match stop {
                Stop::Signal { sig: libc::SIGSTOP, .. } if self.tasks.contains_key(&tid) => Some(libc::SIGSTOP),
                Stop::GroupStop { .. } if self.tasks.get(&tid).is_some_and(|t| t.pending.is_none()) => Some(0),
                _ => None,
            };
            match detach_with {
                Some(sig) => {
                    let task = self.tasks.remove(&tid).expect("checked above");
                    sink.flush();
                    if sys::detach(tid, sig).is_ok() {
                        detached.insert(task.tgid);
                    }
                }
                None => self.step(stop, sink)?,
            }
        }
        Ok(detached.into_iter().collect())
    }

    fn emit(&self, sink: &mut dyn EventSink, pid: Tid, tid: Tid, kind: EventKind) {
        let event = Event { time_ns: self.start.elapsed().as_nanos() as u64, pid: pid as u32, tid: tid as u32, kind };
        sink.event(event);
    }

    /// Emits the connect results learnt since the last stop, each at the time it was learnt.
    fn emit_connect_results(&mut self, sink: &mut dyn EventSink) {
        if self.connects.idle() {
            return;
        }
        for learnt in self.connects.learnt() {
            self.emit_learnt(sink, learnt);
        }
    }

    fn emit_learnt(&self, sink: &mut dyn EventSink, learnt: Learnt) {
        let Learnt { pid, tid, addr, result, at } = learnt;
        let time_ns = at.saturating_duration_since(self.start).as_nanos() as u64;
        sink.event(Event {
            time_ns,
            pid: pid as u32,
            tid: tid as u32,
            kind: EventKind::ConnectResult { addr, result },
        });
    }

    /// Tracing ends: every connect still in progress gets its result as it stands.
    fn finish_connects(&mut self, sink: &mut dyn EventSink) {
        if self.connects.idle() {
            return;
        }
        for learnt in self.connects.finish() {
            self.emit_learnt(sink, learnt);
        }
        sink.flush();
    }

    /// Handles one stop and resumes the task.
    fn step(&mut self, stop: Stop, sink: &mut dyn EventSink) -> Result<(), Error> {
        self.emit_connect_results(sink);
        let tid = stop.tid();
        let resume = match stop {
            Stop::Exited { tid, status } => {
                self.on_exit(tid, status, sink);
                Resume::Nothing
            }
            _ if !self.tasks.contains_key(&tid) => self.on_unknown(stop),
            Stop::Seccomp(tid) => self.on_seccomp(tid, sink)?,
            Stop::SyscallExit(tid) => self.on_syscall_exit(tid, sink),
            Stop::NewTask { tid, how } => self.on_new_task(tid, how, sink),
            Stop::Exec(tid) => self.on_exec(tid, sink),
            Stop::GroupStop { tid, .. } => {
                self.task(tid).started = true;
                Resume::Listen
            }
            Stop::Trap(tid) => {
                self.task(tid).started = true;
                Resume::Cont(0)
            }
            Stop::Signal { tid, sig } => {
                if is_notable_signal(sig) {
                    let pid = self.tasks[&tid].tgid;
                    self.emit(sink, pid, tid, EventKind::Signal { signal: sig });
                }
                Resume::Cont(sig)
            }
            Stop::OtherEvent(_) => Resume::Cont(0),
        };
        // What this stop produced is kept before the tracee (or, after an exit, its
        // parent, which the kernel is now telling) can act on it.
        sink.flush();
        resume.apply(tid).map_err(|e| Error::sys("resuming", Subject::Pid(tid), e))
    }

    fn task(&mut self, tid: Tid) -> &mut Task {
        self.tasks.get_mut(&tid).expect("stop of a known task")
    }

    /// A stop of a task we have not met: a new task whose first stop beat its parent's
    /// fork event. It stays stopped until the parent's event names it.
    fn on_unknown(&mut self, stop: Stop) -> Resume {
        let tid = stop.tid();
        let deferred = match stop {
            Stop::Trap(_) => Resume::Cont(0),
            Stop::GroupStop { .. } => Resume::Listen,
            Stop::Signal { sig, .. } => Resume::Cont(sig),
            _ => {
                // Not a first stop: a task attached some other way. Adopt it as found.
                let tgid = tracee::tgid_of(tid).unwrap_or(tid);
                self.tasks.insert(tid, Task::new(tgid, true));
                return Resume::Cont(0);
            }
        };
        self.early.insert(tid, Early::Stopped(deferred));
        Resume::Nothing
    }

    fn on_exit(&mut self, tid: Tid, status: ExitStatus, sink: &mut dyn EventSink) {
        let Some(task) = self.tasks.remove(&tid) else {
            self.early.insert(tid, Early::Exited(status));
            return;
        };
        if let Some(pending) = task.pending {
            // Killed inside a traced call: report the call, result unknown.
            let caller = Caller { mem: &self.mem, pid: task.tgid, tid };
            if let Some(kind) = pending.finish(caller, SyscallResult::Unknown) {
                self.emit(sink, task.tgid, tid, kind);
            }
        }
        if tid == task.tgid {
            // The process is gone: its connects in progress are settled (reported later).
            self.connects.exited(tid);
        }
        self.emit(sink, task.tgid, tid, EventKind::Exit { status });
        if Some(tid) == self.root {
            self.root_status = Some(status);
        }
    }

    fn on_seccomp(&mut self, tid: Tid, sink: &mut dyn EventSink) -> Result<Resume, Error> {
        let (arch, nr, args) = match sys::syscall_info(tid) {
            Ok(SyscallInfo::Seccomp { arch, nr, args }) => (arch, nr, args),
            Ok(_) | Err(Errno::ESRCH) => return Ok(Resume::Cont(0)),
            Err(errno) => return Err(Error::KernelTooOld(errno)),
        };
        let Some(abi) = Abi::from_audit(arch, nr) else { return Ok(Resume::Cont(0)) };
        let Some(call) = abi.call(nr) else { return Ok(Resume::Cont(0)) };
        let tgid = self.tasks[&tid].tgid;
        let sc = Syscall { abi, call, args };
        Ok(match decode::on_entry(&self.mem, tgid, tid, &sc) {
            // Only a query about a connect in progress is worth its exit stop.
            Entry::AwaitExit(Pending::SoError { fd, .. }) if !self.connects.awaits(tgid, fd) => Resume::Cont(0),
            Entry::AwaitExit(pending) => {
                if let Some(hook) = self.before_change.as_mut() {
                    // The call has not run yet: what the hook records is the state before it,
                    // and its event goes out before the call's own (sent at the exit stop).
                    let changes = decode::changes(&pending).into_iter().flatten();
                    let first: Vec<EventKind> = changes.flat_map(|c| hook.before_change(c)).collect();
                    for kind in first {
                        self.emit(sink, tgid, tid, kind);
                    }
                }
                self.task(tid).pending = Some(pending);
                Resume::ToSyscallExit
            }
            Entry::Done(kinds) => {
                for kind in kinds {
                    self.emit(sink, tgid, tid, kind);
                }
                Resume::Cont(0)
            }
        })
    }

    fn on_syscall_exit(&mut self, tid: Tid, sink: &mut dyn EventSink) -> Resume {
        let result = match sys::syscall_info(tid) {
            Ok(SyscallInfo::Exit { rval }) => SyscallResult::from_raw(rval),
            _ => SyscallResult::Unknown,
        };
        let task = self.task(tid);
        let tgid = task.tgid;
        let Some(pending) = task.pending.take() else { return Resume::Cont(0) };
        if let Pending::SoError { fd, optval } = pending {
            if let Some(learnt) = self.so_error(tgid, tid, fd, optval, result) {
                self.emit_learnt(sink, learnt);
            }
            return Resume::Cont(0);
        }
        let in_progress = pending.connect_in_progress(result);
        if let Some(kind) = pending.finish(Caller { mem: &self.mem, pid: tgid, tid }, result) {
            self.emit(sink, tgid, tid, kind);
        }
        if let Some((fd, addr)) = in_progress {
            self.connects.watch(tgid, tid, fd, addr);
        }
        Resume::Cont(0)
    }

    fn on_new_task(&mut self, parent_tid: Tid, how: NewTask, sink: &mut dyn EventSink) -> Resume {
        let Ok(msg) = sys::event_msg(parent_tid) else { return Resume::Cont(0) };
        let child = msg as Tid;
        let parent = self.tasks[&parent_tid].tgid;
        let is_thread = how == NewTask::Clone && Path::new(&format!("/proc/{parent}/task/{child}")).exists();
        let (kind, tgid) = match how {
            NewTask::Fork => (CloneKind::Fork, child),
            NewTask::Vfork => (CloneKind::Vfork, child),
            NewTask::Clone if is_thread => (CloneKind::Thread, parent),
            NewTask::Clone => (CloneKind::Clone, child),
        };
        self.emit(sink, tgid, child, EventKind::Spawn { parent: parent as u32, parent_tid: parent_tid as u32, kind });
        if kind != CloneKind::Thread {
            self.connects.forked(parent);
        }
        match self.early.remove(&child) {
            Some(Early::Exited(status)) => {
                self.emit(sink, tgid, child, EventKind::Exit { status });
            }
            Some(Early::Stopped(resume)) => {
                self.tasks.insert(child, Task::new(tgid, true));
                sink.flush();
                // A child that cannot be resumed was killed; its exit will be reported.
                let _ = resume.apply(child);
            }
            None => {
                self.tasks.insert(child, Task::new(tgid, false));
            }
        }
        Resume::Cont(0)
    }

    fn on_exec(&mut self, tid: Tid, sink: &mut dyn EventSink) -> Resume {
        let former = sys::event_msg(tid).map(|m| m as Tid).unwrap_or(tid);
        let mut pending = self.task(tid).pending.take();
        if former != tid {
            // A non-leader thread exec'd: it now has the leader's id; its old id is gone
            // without an exit report, and so is the old leader.
            if let Some(old) = self.tasks.remove(&former) {
                pending = old.pending.or(pending);
            }
        }
        let tgid = self.tasks[&tid].tgid;
        let kind = match pending {
            Some(pending) => match pending.finish(Caller { mem: &self.mem, pid: tgid, tid }, SyscallResult::Ok(0)) {
                Some(EventKind::Exec { path, argv, cwd, result, .. }) => {
                    EventKind::Exec { path, argv, cwd, former_tid: (former != tid).then_some(former as u32), result }
                }
                Some(other) => other,
                None => return Resume::Cont(0),
            },
            // The entry was not seen (the task was adopted mid-exec): ask /proc.
            None => EventKind::Exec {
                path: ByteString(
                    std::fs::read_link(format!("/proc/{tid}/exe"))
                        .map(|p| p.into_os_string().into_encoded_bytes())
                        .unwrap_or_default(),
                ),
                argv: tracee::cmdline(tid).into_iter().map(ByteString).collect(),
                cwd: ByteString(crate::paths::cwd(tid).unwrap_or_default()),
                former_tid: (former != tid).then_some(former as u32),
                result: SyscallResult::Ok(0),
            },
        };
        let dropped = match &kind {
            EventKind::Exec { path, .. } if self.privileges.applies() => self.privileges.dropped_at_exec(tid, path),
            _ => None,
        };
        self.emit(sink, tgid, tid, kind);
        if let Some(dropped) = dropped {
            self.emit(sink, tgid, tid, dropped);
        }
        Resume::Cont(0)
    }

    /// The error a getsockopt(SO_ERROR) that just returned put at `optval`, as the result
    /// of the connect in progress on `fd`.
    fn so_error(&mut self, tgid: Tid, tid: Tid, fd: i32, optval: u64, result: SyscallResult) -> Option<Learnt> {
        if !result.is_ok() {
            return None;
        }
        let bytes = self.mem.read_exact(tid, optval, 4).ok()?;
        let error = i32::from_le_bytes(bytes.try_into().ok()?);
        self.connects.so_error(tgid, fd, error)
    }

    /// The traced tree, as errors name it.
    fn tree(&self) -> Subject {
        Subject::Tree(self.root.unwrap_or_default())
    }

    /// After the root exited: if it never reached exec, say why.
    fn check_child_error(&mut self) -> Result<(), Error> {
        let Some(child) = self.child.take() else { return Ok(()) };
        match sys::read_child_error(&child) {
            None => Ok(()),
            Some(report) => Err(Error::from_child(report, &self.program)),
        }
    }
}

/// Signals worth an event. Routine ones (SIGCHLD on every child exit, SIGWINCH, timers)
/// would only bloat the log.
fn is_notable_signal(sig: i32) -> bool {
    !matches!(
        sig,
        libc::SIGCHLD | libc::SIGWINCH | libc::SIGURG | libc::SIGALRM | libc::SIGVTALRM | libc::SIGPROF | libc::SIGIO
    ) && sig < 32
}
