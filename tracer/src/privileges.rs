//! Which privileges a setuid, setgid or file-capability program did not get at exec because
//! it ran traced.
//!
//! The kernel marks an exec unsafe when the process is traced (`LSM_UNSAFE_PTRACE`) or has
//! no_new_privs (`LSM_UNSAFE_NO_NEW_PRIVS`; fs/exec.c). security/commoncap.c then keeps the
//! caller's uid, gid and capabilities instead of the file's, unless the exec is unsafe only
//! by ptrace and the tracer (its credentials when it attached) has CAP_SYS_PTRACE over the
//! new credentials' user namespace (`ptracer_capable`). runglass sets no_new_privs on the
//! command when it cannot install its filter without it (no CAP_SYS_ADMIN). So tracing makes
//! the difference only for a tracer that lacks CAP_SYS_PTRACE or CAP_SYS_ADMIN, and only
//! when runglass did not have no_new_privs already (an untraced run would drop them too).
//!
//! For such a tracer, each exec stop looks at the program the process now runs
//! (`/proc/PID/exe`): one stat for the setuid and setgid bits, and a getxattr for
//! `security.capability` the first time a file (device, inode, change time) is met: a
//! build that runs the same compiler a thousand times pays one system call per exec. Only
//! when the file grants something are the process's credentials read (`/proc/PID/status`,
//! as the exec left them: the process has not run yet). What it lacks of what the file
//! grants is what was dropped: the kernel's own outcome, not a guess.

use std::collections::HashMap;
use std::ffi::CString;

use nix::errno::Errno;
use runglass_model::{ByteString, EventKind};

use crate::sys::{self, FileStat, Tid};

const CAP_SYS_PTRACE: u64 = 1 << 19;
const CAP_SYS_ADMIN: u64 = 1 << 21;

/// Whether tracing withholds privileges from this tracer's tracees: decided once, from the
/// tracer's own credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Withholding(bool);

impl Withholding {
    /// For the calling process as tracer. When its status cannot be read, exec stops look
    /// (the process's credentials still decide what is reported).
    pub fn of_this_process() -> Withholding {
        match std::fs::read_to_string("/proc/self/status") {
            Ok(status) => Withholding::from_status(&status),
            Err(_) => Withholding(true),
        }
    }

    fn from_status(status: &str) -> Withholding {
        let no_new_privs = field(status, "NoNewPrivs:").is_some_and(|v| v.trim() == "1");
        let effective = field(status, "CapEff:").and_then(hex).unwrap_or(0);
        let privileged = effective & (CAP_SYS_PTRACE | CAP_SYS_ADMIN) == CAP_SYS_PTRACE | CAP_SYS_ADMIN;
        Withholding(!no_new_privs && !privileged)
    }

    /// Whether exec stops must look at the program.
    pub fn applies(self) -> bool {
        self.0
    }
}

/// At most this many programs' capabilities are remembered; then the memory starts over.
const MAX_REMEMBERED: usize = 4096;

/// The exec-stop check of one tracer: whether it applies, and the file capabilities of the
/// programs met so far.
#[derive(Debug)]
pub struct Privileges {
    withholding: Withholding,
    /// Permitted file capabilities by (device, inode), with the change time they were read at.
    capabilities: HashMap<(u64, u64), ((i64, i64), u64)>,
}

impl Privileges {
    pub fn of_this_process() -> Privileges {
        Privileges { withholding: Withholding::of_this_process(), capabilities: HashMap::new() }
    }

    /// Whether exec stops must look at the program.
    pub fn applies(&self) -> bool {
        self.withholding.applies()
    }

    /// What the program process `tid` has just exec'd grants and the process did not get,
    /// as a `privileges_dropped` event; None when it grants nothing, or got what it grants.
    /// `exec_path` is the path the exec named: looked at only when the process's
    /// `/proc/PID/exe` is closed to the tracer (a program its caller may not read makes the
    /// process undumpable).
    pub fn dropped_at_exec(&mut self, tid: Tid, exec_path: &ByteString) -> Option<EventKind> {
        let exe = CString::new(format!("/proc/{tid}/exe")).ok()?;
        let (file, st, by_exe) = match sys::stat_file(&exe) {
            Ok(st) => (exe, st, true),
            Err(Errno::EACCES | Errno::EPERM) => {
                let named = CString::new(exec_path.as_bytes()).ok()?;
                let st = sys::stat_file(&named).ok()?;
                (named, st, false)
            }
            Err(_) => return None,
        };
        let granted_caps = self.file_capabilities(&file, &st);
        dropped(tid, &file, &st, granted_caps, by_exe, exec_path)
    }

    /// The file's permitted capabilities, read once per (device, inode, change time).
    fn file_capabilities(&mut self, file: &std::ffi::CStr, st: &FileStat) -> u64 {
        let key = (st.dev, st.ino);
        if let Some(&(ctime, caps)) = self.capabilities.get(&key)
            && ctime == st.ctime
        {
            return caps;
        }
        let caps = file_capabilities(file);
        if self.capabilities.len() >= MAX_REMEMBERED {
            self.capabilities.clear();
        }
        self.capabilities.insert(key, (st.ctime, caps));
        caps
    }
}

/// The event for a program `file` (`st`) granting `granted_caps`, after process `tid`'s exec.
fn dropped(
    tid: Tid,
    file: &std::ffi::CStr,
    st: &FileStat,
    granted_caps: u64,
    by_exe: bool,
    exec_path: &ByteString,
) -> Option<EventKind> {
    let FileStat { mode, uid, gid, .. } = *st;
    let setuid = mode & libc::S_ISUID != 0;
    // Without group execute, S_ISGID means mandatory locking, not setgid.
    let setgid = mode & (libc::S_ISGID | libc::S_IXGRP) == libc::S_ISGID | libc::S_IXGRP;
    if !setuid && !setgid && granted_caps == 0 {
        return None;
    }
    // On a nosuid mount the kernel ignores all of them, traced or not.
    if sys::on_nosuid_mount(file).unwrap_or(false) {
        return None;
    }
    let creds = Credentials::of(tid)?;
    let setuid = (setuid && creds.euid != uid).then_some(uid);
    let setgid = (setgid && creds.egid != gid).then_some(gid);
    let capabilities = granted_caps & creds.bounding & !creds.permitted;
    if setuid.is_none() && setgid.is_none() && capabilities == 0 {
        return None;
    }
    let path = if by_exe {
        std::fs::read_link(format!("/proc/{tid}/exe"))
            .map(|p| ByteString(p.into_os_string().into_encoded_bytes()))
            .unwrap_or_else(|_| exec_path.clone())
    } else {
        exec_path.clone()
    };
    Some(EventKind::PrivilegesDropped { path, setuid, setgid, capabilities, euid: creds.euid, egid: creds.egid })
}

/// The permitted capabilities of a file's `security.capability` attribute (0: none, or an
/// attribute the kernel would not apply here).
fn file_capabilities(file: &std::ffi::CStr) -> u64 {
    let mut buf = [0u8; 24];
    match sys::get_xattr(file, c"security.capability", &mut buf) {
        Ok(n) => permitted_of(&buf[..n]),
        Err(_) => 0,
    }
}

/// The permitted set of a `vfs_cap_data` (linux/capability.h): revision 1 has one 32-bit
/// word, revisions 2 and 3 two; revision 3 names the root uid of the user namespace it is
/// meant for, and one other than 0 does not apply in the tracer's namespace.
fn permitted_of(data: &[u8]) -> u64 {
    let word = |at: usize| data.get(at..at + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let magic = word(0);
    match magic & 0xff00_0000 {
        0x0100_0000 if data.len() >= 12 => u64::from(word(4)),
        0x0200_0000 if data.len() >= 20 => u64::from(word(4)) | u64::from(word(12)) << 32,
        0x0300_0000 if data.len() >= 24 && word(20) == 0 => u64::from(word(4)) | u64::from(word(12)) << 32,
        _ => 0,
    }
}

/// A process's effective ids and capability sets, from `/proc/PID/status`.
#[derive(Debug, PartialEq, Eq)]
struct Credentials {
    euid: u32,
    egid: u32,
    permitted: u64,
    bounding: u64,
}

impl Credentials {
    fn of(tid: Tid) -> Option<Credentials> {
        Credentials::parse(&std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?)
    }

    fn parse(status: &str) -> Option<Credentials> {
        // "Uid:\treal\teffective\tsaved\tfs"
        let effective = |name| field(status, name)?.split_whitespace().nth(1)?.parse::<u32>().ok();
        Some(Credentials {
            euid: effective("Uid:")?,
            egid: effective("Gid:")?,
            permitted: field(status, "CapPrm:").and_then(hex)?,
            bounding: field(status, "CapBnd:").and_then(hex)?,
        })
    }
}

/// The rest of the status line that starts with `name`.
fn field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status.lines().find_map(|l| l.strip_prefix(name))
}

fn hex(value: &str) -> Option<u64> {
    u64::from_str_radix(value.trim(), 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tping\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\t101\t101\t101\n\
                          CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n\
                          CapBnd:\t000001ffffffffff\nNoNewPrivs:\t1\n";

    #[test]
    fn credentials_are_the_effective_ids_and_the_permitted_and_bounding_sets() {
        let creds = Credentials::parse(STATUS).unwrap();
        assert_eq!(creds, Credentials { euid: 1000, egid: 101, permitted: 0, bounding: 0x1ff_ffff_ffff });
        assert_eq!(Credentials::parse("Uid:\t1\n"), None, "a status without the fields says nothing");
    }

    #[test]
    fn only_a_tracer_without_cap_sys_ptrace_or_cap_sys_admin_withholds() {
        let status = |eff: &str, nnp: u8| format!("CapEff:\t{eff}\nNoNewPrivs:\t{nnp}\n");
        assert!(!Withholding::from_status(&status("000001ffffffffff", 0)).applies(), "root");
        assert!(Withholding::from_status(&status("0000000000000000", 0)).applies(), "a user");
        assert!(Withholding::from_status(&status("0000000000080000", 0)).applies(), "CAP_SYS_PTRACE alone");
        // Already under no_new_privs: an untraced run drops the privileges as well.
        assert!(!Withholding::from_status(&status("0000000000000000", 1)).applies());
    }

    #[test]
    fn file_capabilities_are_read_in_each_revision() {
        let v2 =
            [&0x0200_0001u32.to_le_bytes()[..], &(1u32 << 13).to_le_bytes(), &[0; 4], &1u32.to_le_bytes(), &[0; 4]]
                .concat();
        assert_eq!(permitted_of(&v2), 1 << 13 | 1 << 32);
        let v1 = [&0x0100_0000u32.to_le_bytes()[..], &(1u32 << 7).to_le_bytes(), &[0; 4]].concat();
        assert_eq!(permitted_of(&v1), 1 << 7);
        let v3 = |rootid: u32| [&0x0300_0001u32.to_le_bytes()[..], &v2[4..], &rootid.to_le_bytes()].concat();
        assert_eq!(permitted_of(&v3(0)), 1 << 13 | 1 << 32);
        assert_eq!(permitted_of(&v3(100_000)), 0, "meant for another user namespace");
        assert_eq!(permitted_of(&v2[..10]), 0, "short");
        assert_eq!(permitted_of(&[]), 0);
    }
}
