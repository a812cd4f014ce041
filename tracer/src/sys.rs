//! Every raw ptrace, seccomp and libc call of the engine, and nothing else.
//!
//! Each function turns the kernel's sentinel returns into `Result<_, Errno>`; every
//! `unsafe` block says why it is sound. The rest of the crate is safe Rust.

use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::sys::ptrace;
use nix::unistd::Pid as NixPid;

pub type Tid = libc::pid_t;

fn nix_pid(tid: Tid) -> NixPid {
    NixPid::from_raw(tid)
}

// ---------------------------------------------------------------------------------------
// Waiting

/// Waits for the next state change of any task traced by, or forked by, the CALLING
/// thread. `__WNOTHREAD` keeps it from reaping children of the host program's other
/// threads; `__WALL` includes threads. Returns the tid and the raw status word.
pub fn wait_any(nohang: bool) -> Result<Option<(Tid, i32)>, Errno> {
    let mut status = 0;
    let mut flags = libc::__WALL | libc::__WNOTHREAD;
    if nohang {
        flags |= libc::WNOHANG;
    }
    loop {
        // SAFETY: waitpid writes one int through a valid pointer to a local.
        let tid = unsafe { libc::waitpid(-1, &mut status, flags) };
        match tid {
            -1 if Errno::last() == Errno::EINTR => continue,
            -1 => return Err(Errno::last()),
            0 => return Ok(None),
            tid => return Ok(Some((tid, status))),
        }
    }
}

/// Waits for the next state change of one task of the calling thread.
pub fn wait_one(tid: Tid) -> Result<i32, Errno> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid writes one int through a valid pointer to a local.
        match unsafe { libc::waitpid(tid, &mut status, libc::__WALL) } {
            -1 if Errno::last() == Errno::EINTR => continue,
            -1 => return Err(Errno::last()),
            _ => return Ok(status),
        }
    }
}

// ---------------------------------------------------------------------------------------
// ptrace requests

pub const TRACE_OPTIONS: ptrace::Options = ptrace::Options::PTRACE_O_TRACESYSGOOD
    .union(ptrace::Options::PTRACE_O_TRACEFORK)
    .union(ptrace::Options::PTRACE_O_TRACEVFORK)
    .union(ptrace::Options::PTRACE_O_TRACECLONE)
    .union(ptrace::Options::PTRACE_O_TRACEEXEC)
    .union(ptrace::Options::PTRACE_O_TRACESECCOMP)
    .union(ptrace::Options::PTRACE_O_EXITKILL);

pub fn seize(tid: Tid) -> Result<(), Errno> {
    ptrace::seize(nix_pid(tid), TRACE_OPTIONS)
}

fn signal_arg(sig: i32) -> *mut libc::c_void {
    sig as usize as *mut libc::c_void
}

/// A raw ptrace request with a signal number as data. nix's typed wrappers cannot carry
/// real-time signals (glibc's SIGSETXID is signal 33), so resumption goes through here.
fn resume_request(request: libc::c_uint, tid: Tid, sig: i32) -> Result<(), Errno> {
    // SAFETY: CONT/SYSCALL/DETACH/LISTEN take no pointer: addr is ignored and data is a
    // signal number, so no memory is read or written on our side.
    let ret = unsafe { libc::ptrace(request, tid, std::ptr::null_mut::<libc::c_void>(), signal_arg(sig)) };
    Errno::result(ret).map(drop)
}

/// Resume until the next seccomp stop (or signal, or event), delivering `sig` (0: none).
pub fn cont(tid: Tid, sig: i32) -> Result<(), Errno> {
    resume_request(libc::PTRACE_CONT, tid, sig)
}

/// Resume until the syscall-exit stop of the current call.
pub fn cont_to_syscall_exit(tid: Tid, sig: i32) -> Result<(), Errno> {
    resume_request(libc::PTRACE_SYSCALL, tid, sig)
}

/// Leave a task in group-stop stopped, yet keep reporting later events (PTRACE_LISTEN).
pub fn listen(tid: Tid) -> Result<(), Errno> {
    resume_request(libc::PTRACE_LISTEN, tid, 0)
}

pub fn detach(tid: Tid, sig: i32) -> Result<(), Errno> {
    resume_request(libc::PTRACE_DETACH, tid, sig)
}

/// PTRACE_GETEVENTMSG: the new task's id at fork/clone events, the former tid at exec.
pub fn event_msg(tid: Tid) -> Result<u64, Errno> {
    ptrace::getevent(nix_pid(tid)).map(|v| v as u64)
}

/// What PTRACE_GET_SYSCALL_INFO says about the current stop.
#[derive(Clone, Copy, Debug)]
pub enum SyscallInfo {
    /// A seccomp stop: the call is about to run.
    Seccomp { arch: u32, nr: u64, args: [u64; 6] },
    /// A syscall-entry stop (the engine never asks for these).
    Entry,
    /// A syscall-exit stop with the raw return value.
    Exit { rval: i64 },
    /// Not a syscall stop.
    None,
}

pub fn syscall_info(tid: Tid) -> Result<SyscallInfo, Errno> {
    let info = ptrace::syscall_info(nix_pid(tid))?;
    // SAFETY: the kernel fills the union member that `op` names, so reading exactly that
    // member reads initialized memory of the right type.
    Ok(unsafe {
        match info.op {
            libc::PTRACE_SYSCALL_INFO_SECCOMP => {
                SyscallInfo::Seccomp { arch: info.arch, nr: info.u.seccomp.nr, args: info.u.seccomp.args }
            }
            libc::PTRACE_SYSCALL_INFO_ENTRY => SyscallInfo::Entry,
            libc::PTRACE_SYSCALL_INFO_EXIT => SyscallInfo::Exit { rval: info.u.exit.sval },
            _ => SyscallInfo::None,
        }
    })
}

// ---------------------------------------------------------------------------------------
// Tracee memory

/// Reads `buf.len()` bytes at `addr` of `tid` with one process_vm_readv; returns how many
/// were read (short when the range runs into an unmapped page).
pub fn process_vm_read(tid: Tid, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    let local = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    let remote = libc::iovec { iov_base: addr as usize as *mut libc::c_void, iov_len: buf.len() };
    // SAFETY: `local` covers exactly `buf`, which we own mutably; the remote iovec names
    // memory of another process and is only read by the kernel, which checks it.
    let n = unsafe { libc::process_vm_readv(tid, &local, 1, &remote, 1, 0) };
    Errno::result(n).map(|n| n as usize)
}

/// Reads from an open /proc/TID/mem at `addr` (the fallback when process_vm_readv is
/// refused).
pub fn pread_mem(mem: &OwnedFd, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: pread writes at most buf.len() bytes into buf, which we own mutably.
    let n = unsafe { libc::pread64(mem.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), addr as libc::off64_t) };
    Errno::result(n).map(|n| n as usize)
}

// ---------------------------------------------------------------------------------------
// Tracee sockets

/// A copy of descriptor `fd` of process `pid`, made with pidfd_getfd (Linux 5.6; a tracer
/// may), so that the socket behind it can be asked about. An error means it cannot be known
/// (an older kernel, the descriptor is gone).
pub fn socket_of(pid: Tid, fd: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: pidfd_open takes no memory arguments; a non-negative result is a new
    // descriptor, owned from here on.
    let pidfd = Errno::result(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) })?;
    // SAFETY: `pidfd` was just returned by the kernel and nothing else owns it.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd as RawFd) };
    // SAFETY: no memory arguments; the result is a new descriptor of ours, owned as above.
    let copy = Errno::result(unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0) })?;
    // SAFETY: `copy` was just returned by the kernel and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(copy as RawFd) })
}

/// `SO_TYPE` of a socket: SOCK_STREAM, SOCK_DGRAM, ...
pub fn socket_type(socket: &OwnedFd) -> Result<i32, Errno> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: value and len are ours and sized as getsockopt(SO_TYPE) writes them.
    let r = unsafe {
        libc::getsockopt(socket.as_raw_fd(), libc::SOL_SOCKET, libc::SO_TYPE, (&raw mut value).cast(), &mut len)
    };
    Errno::result(r).map(|_| value)
}

/// A socket's own address (getsockname), as `struct sockaddr` bytes.
pub fn socket_name(socket: &OwnedFd) -> Result<Vec<u8>, Errno> {
    let mut storage = [0u8; std::mem::size_of::<libc::sockaddr_storage>()];
    let mut len = storage.len() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into storage, which we own, and updates len.
    let r = unsafe { libc::getsockname(socket.as_raw_fd(), storage.as_mut_ptr().cast(), &mut len) };
    Errno::result(r)?;
    Ok(storage[..(len as usize).min(storage.len())].to_vec())
}

/// `SO_ERROR` of a socket: the error of its failed connect (0: none). Reading it CLEARS it
/// for every holder of the socket, so it is asked only of sockets no process of the tree
/// will ask any more (see `socket_poller`).
pub fn take_socket_error(socket: &impl AsRawFd) -> Result<i32, Errno> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: value and len are ours and sized as getsockopt(SO_ERROR) writes them.
    let r = unsafe {
        libc::getsockopt(socket.as_raw_fd(), libc::SOL_SOCKET, libc::SO_ERROR, (&raw mut value).cast(), &mut len)
    };
    Errno::result(r).map(|_| value)
}

/// poll(2) over these descriptors for up to `timeout_ms` (-1: no limit); EINTR is a
/// timeout. Returns how many have events in `revents`.
pub fn poll(fds: &mut [libc::pollfd], timeout_ms: i32) -> Result<usize, Errno> {
    // SAFETY: the kernel reads and writes exactly fds.len() pollfd structs, which we own.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    match Errno::result(n) {
        Ok(n) => Ok(n as usize),
        Err(Errno::EINTR) => Ok(0),
        Err(e) => Err(e),
    }
}

/// A connected socket's peer address (getpeername), as `struct sockaddr` bytes.
pub fn socket_peer(socket: &OwnedFd) -> Result<Vec<u8>, Errno> {
    let mut storage = [0u8; std::mem::size_of::<libc::sockaddr_storage>()];
    let mut len = storage.len() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into storage, which we own, and updates len.
    let r = unsafe { libc::getpeername(socket.as_raw_fd(), storage.as_mut_ptr().cast(), &mut len) };
    Errno::result(r)?;
    Ok(storage[..(len as usize).min(storage.len())].to_vec())
}

// ---------------------------------------------------------------------------------------
// Signals and processes

pub fn kill(pid: Tid, sig: i32) -> Result<(), Errno> {
    // SAFETY: kill has no memory arguments.
    Errno::result(unsafe { libc::kill(pid, sig) }).map(drop)
}

// ---------------------------------------------------------------------------------------
// Programs

/// What `stat_file` tells of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStat {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub dev: u64,
    pub ino: u64,
    /// The inode's change time (any change of mode, owner or extended attributes moves it).
    pub ctime: (i64, i64),
}

/// `stat` of the file `path` names, following symlinks and /proc's magic links
/// (`/proc/PID/exe` leads to the program a process runs).
pub fn stat_file(path: &CStr) -> Result<FileStat, Errno> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: path is NUL-terminated; stat fills the struct, which is read only on success.
    Errno::result(unsafe { libc::stat(path.as_ptr(), st.as_mut_ptr()) })?;
    // SAFETY: stat returned 0, so it initialised the struct.
    let st = unsafe { st.assume_init() };
    Ok(FileStat {
        mode: st.st_mode,
        uid: st.st_uid,
        gid: st.st_gid,
        dev: st.st_dev,
        ino: st.st_ino,
        ctime: (st.st_ctime, st.st_ctime_nsec),
    })
}

/// The value of the extended attribute `name` of the file `path` names (following links),
/// into `buf`: its length. ENODATA: not set; ERANGE: longer than `buf`.
pub fn get_xattr(path: &CStr, name: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: both strings are NUL-terminated; the kernel writes at most buf.len() bytes
    // into buf, which we own.
    let n = unsafe { libc::getxattr(path.as_ptr(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    Errno::result(n).map(|n| n as usize)
}

/// Whether the file system of the file `path` names is mounted `nosuid` (the kernel then
/// ignores setuid, setgid and file capabilities of its programs, traced or not).
pub fn on_nosuid_mount(path: &CStr) -> Result<bool, Errno> {
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: path is NUL-terminated; statvfs fills the struct, read only on success.
    Errno::result(unsafe { libc::statvfs(path.as_ptr(), st.as_mut_ptr()) })?;
    // SAFETY: statvfs returned 0, so it initialised the struct.
    let st = unsafe { st.assume_init() };
    Ok(st.f_flag & libc::ST_NOSUID != 0)
}

// ---------------------------------------------------------------------------------------
// Starting the command

/// Everything the child needs, prepared before fork: after fork in a multithreaded
/// program the child may only make async-signal-safe calls, so nothing here allocates
/// once the child runs.
pub struct ChildSpec {
    pub program: CString,
    pub argv: Vec<CString>,
    pub envp: Vec<CString>,
    pub cwd: Option<CString>,
    /// File descriptors to install as the child's 0, 1 and 2 (None: inherit).
    pub stdio: [Option<RawFd>; 3],
    /// Start a new session and make this terminal (open in the parent) its controlling
    /// terminal, as a terminal emulator does for its shell.
    pub controlling_tty: Option<RawFd>,
    /// The seccomp filter, as a list of BPF instructions (None: run untraced).
    pub filter: Option<Vec<libc::sock_filter>>,
}

/// Where the child stopped short of exec, reported back through the error pipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ChildStep {
    Stdio = 1,
    Chdir = 2,
    Sync = 3,
    Seccomp = 4,
    Exec = 5,
    Terminal = 6,
    /// exec failed with ENOENT although the program is there: its interpreter is not.
    Interpreter = 7,
}

impl ChildStep {
    pub fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            1 => ChildStep::Stdio,
            2 => ChildStep::Chdir,
            3 => ChildStep::Sync,
            4 => ChildStep::Seccomp,
            5 => ChildStep::Exec,
            6 => ChildStep::Terminal,
            7 => ChildStep::Interpreter,
            _ => return None,
        })
    }
}

/// A forked child waiting for `release` before it installs the filter and execs.
pub struct ForkedChild {
    pub pid: Tid,
    /// Writing one byte (or closing) releases the child.
    pub go: OwnedFd,
    /// Reads EOF when the child exec'd; otherwise 5 bytes: the step and an errno (LE).
    pub errors: OwnedFd,
}

fn pipe_cloexec() -> Result<(OwnedFd, OwnedFd), Errno> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
}

/// Forks a child that waits for the go byte, installs the seccomp filter and execs.
pub fn fork_child(spec: &ChildSpec) -> Result<ForkedChild, Errno> {
    let (go_read, go_write) = pipe_cloexec()?;
    let (err_read, err_write) = pipe_cloexec()?;

    let argv: Vec<*const libc::c_char> =
        spec.argv.iter().map(|a| a.as_ptr()).chain(std::iter::once(std::ptr::null())).collect();
    let envp: Vec<*const libc::c_char> =
        spec.envp.iter().map(|a| a.as_ptr()).chain(std::iter::once(std::ptr::null())).collect();
    let no_filter = Vec::new();
    let filter = spec.filter.as_ref().unwrap_or(&no_filter);
    let prog = libc::sock_fprog { len: filter.len() as u16, filter: filter.as_ptr() as *mut libc::sock_filter };

    // SAFETY: fork has no memory arguments. In the child below only async-signal-safe
    // calls are made on data prepared before the fork (no allocation, no locks), ending
    // in execve or _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(Errno::last());
    }
    if pid == 0 {
        // SAFETY: child after fork; see above. Every pointer refers to memory that was
        // valid in the parent at fork time and is copied into this address space.
        unsafe {
            child_after_fork(spec, &prog, argv.as_ptr(), envp.as_ptr(), go_read.as_raw_fd(), err_write.as_raw_fd())
        }
    }
    drop(go_read);
    drop(err_write);
    Ok(ForkedChild { pid, go: go_write, errors: err_read })
}

/// The child's side of `fork_child`. Never returns.
///
/// # Safety
/// Must only be called in a freshly forked child; all pointers must be valid.
unsafe fn child_after_fork(
    spec: &ChildSpec,
    prog: &libc::sock_fprog,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    go: RawFd,
    errors: RawFd,
) -> ! {
    // SAFETY: the whole body makes async-signal-safe libc calls, on the valid pointers
    // the caller guarantees, in a freshly forked child.
    unsafe {
        let fail = |step: ChildStep| -> ! {
            let errno = *libc::__errno_location();
            let mut msg = [step as u8, 0, 0, 0, 0];
            msg[1..].copy_from_slice(&errno.to_le_bytes());
            libc::write(errors, msg.as_ptr().cast(), msg.len());
            libc::_exit(127);
        };

        // The host may ignore or block signals (Rust ignores SIGPIPE); the command
        // starts with the defaults, as it would from a shell.
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        for sig in 1..32 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }

        if let Some(tty) = spec.controlling_tty
            && (libc::setsid() < 0 || libc::ioctl(tty, libc::TIOCSCTTY, 0) < 0)
        {
            fail(ChildStep::Terminal);
        }
        for (target, source) in spec.stdio.iter().enumerate() {
            if let Some(fd) = *source
                && libc::dup2(fd, target as i32) < 0
            {
                fail(ChildStep::Stdio);
            }
        }
        if let Some(cwd) = &spec.cwd
            && libc::chdir(cwd.as_ptr()) < 0
        {
            fail(ChildStep::Chdir);
        }

        // Wait until the tracer has seized us: a filter that returns TRACE with no
        // tracer attached makes the call fail with ENOSYS.
        let mut byte = 0u8;
        loop {
            let n = libc::read(go, (&mut byte as *mut u8).cast(), 1);
            if n == 1 {
                break;
            }
            if n == 0 || *libc::__errno_location() != libc::EINTR {
                fail(ChildStep::Sync);
            }
        }

        // Without CAP_SYS_ADMIN the kernel demands no_new_privs; as root we avoid it so
        // that setuid programs keep working under the trace. SPEC_ALLOW keeps seccomp
        // from switching on the speculative-store-bypass mitigation, which would slow the
        // command down for reasons that have nothing to do with tracing.
        let install = |flags: libc::c_ulong| {
            libc::syscall(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, flags, prog as *const libc::sock_fprog)
        };
        let mut ok = spec.filter.is_none() || install(libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW) == 0 || install(0) == 0;
        if !ok && *libc::__errno_location() == libc::EACCES {
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            ok = install(libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW) == 0 || install(0) == 0;
        }
        if !ok {
            fail(ChildStep::Seccomp);
        }

        libc::execve(spec.program.as_ptr(), argv, envp);
        if *libc::__errno_location() == libc::ENOENT && libc::access(spec.program.as_ptr(), libc::F_OK) == 0 {
            *libc::__errno_location() = libc::ENOENT;
            fail(ChildStep::Interpreter);
        }
        fail(ChildStep::Exec);
    }
}

/// Releases a forked child (sends the go byte).
pub fn release(child: &ForkedChild) -> Result<(), Errno> {
    nix::unistd::write(&child.go, &[1]).map(drop)
}

/// Reads the child's failure report, if any: `None` means it exec'd (EOF).
pub fn read_child_error(child: &ForkedChild) -> Option<(ChildStep, Errno)> {
    let mut msg = [0u8; 5];
    let n = nix::unistd::read(&child.errors, &mut msg).ok()?;
    if n != 5 {
        return None;
    }
    let step = ChildStep::from_u8(msg[0])?;
    Some((step, Errno::from_raw(i32::from_le_bytes([msg[1], msg[2], msg[3], msg[4]]))))
}

/// Reaps a child we gave up on.
pub fn kill_and_reap(pid: Tid) {
    let _ = kill(pid, libc::SIGKILL);
    let mut status = 0;
    // SAFETY: waitpid writes one int through a valid pointer to a local.
    unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
}
