//! The seccomp-bpf filter: which system calls stop the tracee.
//!
//! The program has one section per ABI (x86_64, i386, x32). In each, the calls of
//! [`crate::arch`] jump to `TRACE`, open-like calls first test their flags, and
//! everything else is allowed. An unknown architecture, or a number above the table this
//! build knows, is traced: the engine resumes such a stop at once, but nothing new is
//! silently let through.

use crate::arch::{AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, Abi, Trap, X32_SYSCALL_BIT};

// Classic BPF opcodes (linux/filter.h, linux/bpf_common.h).
// BPF_LD (0x00) | BPF_W (0x00) | BPF_ABS (0x20).
const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JMP_JA: u16 = 0x05; // BPF_JMP | BPF_JA
const BPF_JMP_JEQ_K: u16 = 0x05 | 0x10; // BPF_JMP | BPF_JEQ | BPF_K
const BPF_JMP_JGT_K: u16 = 0x05 | 0x20;
const BPF_JMP_JGE_K: u16 = 0x05 | 0x30;
const BPF_JMP_JSET_K: u16 = 0x05 | 0x40;
const BPF_RET_K: u16 = 0x06;

const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;

// Offsets in struct seccomp_data.
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
/// Low 32 bits of argument `i` (little endian).
fn off_arg_lo(i: u8) -> u32 {
    16 + 8 * u32::from(i)
}
fn off_arg_hi(i: u8) -> u32 {
    off_arg_lo(i) + 4
}

/// O_WRONLY | O_RDWR | O_CREAT | O_TRUNC: an open that can change the file.
const OPEN_WRITE_MASK: u32 = 0o1 | 0o2 | 0o100 | 0o1000;

#[derive(Clone, Copy, Debug)]
pub struct FilterOptions {
    /// Stop for read-only opens too.
    pub reads: bool,
}

/// A jump target inside the program being assembled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Label {
    /// The TRACE and ALLOW returns: each section has its own, so that its conditional
    /// jumps (which reach at most 255 instructions) stay short however many sections follow.
    Trace(Abi),
    Allow(Abi),
    /// An unknown architecture.
    UnknownArch,
    /// The native table, past the test for x32's bit.
    Native,
    Section(Abi),
    /// A block owned by one call entry of one section.
    Block(Abi, usize),
}

#[derive(Clone, Copy, Debug)]
enum Target {
    Next,
    To(Label),
}

#[derive(Clone, Copy, Debug)]
enum Insn {
    Load(u32),
    Jump {
        op: u16,
        k: u32,
        yes: Target,
        no: Target,
    },
    /// An unconditional jump (32-bit offset): how one section reaches another.
    Always(Label),
    Ret(u32),
    Mark(Label),
}

/// Builds the filter program for these options.
pub fn build(opts: FilterOptions) -> Vec<libc::sock_filter> {
    let mut p = Vec::new();
    use Insn::*;
    use Target::*;

    p.push(Load(OFF_ARCH));
    p.push(Jump { op: BPF_JMP_JEQ_K, k: AUDIT_ARCH_X86_64, yes: To(Label::Section(Abi::X86_64)), no: Next });
    p.push(Jump { op: BPF_JMP_JEQ_K, k: AUDIT_ARCH_I386, yes: Next, no: To(Label::UnknownArch) });
    p.push(Always(Label::Section(Abi::I386)));
    p.push(Mark(Label::UnknownArch));
    p.push(Ret(SECCOMP_RET_TRACE));

    for abi in [Abi::X86_64, Abi::X32, Abi::I386] {
        let (trace, allow) = (Label::Trace(abi), Label::Allow(abi));
        p.push(Mark(Label::Section(abi)));
        p.push(Load(OFF_NR));
        if abi == Abi::X86_64 {
            p.push(Jump { op: BPF_JMP_JGE_K, k: X32_SYSCALL_BIT, yes: Next, no: To(Label::Native) });
            p.push(Always(Label::Section(Abi::X32)));
            p.push(Mark(Label::Native));
        }
        let table = abi.table();
        for (i, (nr, call)) in table.calls.iter().enumerate() {
            let target = match call.trap() {
                Trap::Always => trace,
                Trap::OpenFlagsInArg(_) if opts.reads => trace,
                _ => Label::Block(abi, i),
            };
            p.push(Jump { op: BPF_JMP_JEQ_K, k: *nr, yes: To(target), no: Next });
        }
        p.push(Jump { op: BPF_JMP_JGT_K, k: table.last, yes: To(trace), no: To(allow) });

        for (i, (_, call)) in table.calls.iter().enumerate() {
            match call.trap() {
                Trap::Always => {}
                Trap::OpenFlagsInArg(_) if opts.reads => {}
                Trap::OpenFlagsInArg(arg) => {
                    p.push(Mark(Label::Block(abi, i)));
                    p.push(Load(off_arg_lo(arg)));
                    p.push(Jump { op: BPF_JMP_JSET_K, k: OPEN_WRITE_MASK, yes: To(trace), no: To(allow) });
                }
                Trap::NonNullArg(arg) => {
                    p.push(Mark(Label::Block(abi, i)));
                    p.push(Load(off_arg_lo(arg)));
                    p.push(Jump { op: BPF_JMP_JEQ_K, k: 0, yes: Next, no: To(trace) });
                    if abi == Abi::X86_64 {
                        p.push(Load(off_arg_hi(arg)));
                        p.push(Jump { op: BPF_JMP_JEQ_K, k: 0, yes: To(allow), no: To(trace) });
                    } else {
                        p.push(Ret(SECCOMP_RET_ALLOW));
                    }
                }
                Trap::SoError => {
                    p.push(Mark(Label::Block(abi, i)));
                    p.push(Load(off_arg_lo(1)));
                    p.push(Jump { op: BPF_JMP_JEQ_K, k: libc::SOL_SOCKET as u32, yes: Next, no: To(allow) });
                    p.push(Load(off_arg_lo(2)));
                    p.push(Jump { op: BPF_JMP_JEQ_K, k: libc::SO_ERROR as u32, yes: To(trace), no: To(allow) });
                }
                Trap::SocketcallOf(subcalls) => {
                    p.push(Mark(Label::Block(abi, i)));
                    p.push(Load(off_arg_lo(0)));
                    for sub in subcalls {
                        p.push(Jump { op: BPF_JMP_JEQ_K, k: *sub, yes: To(trace), no: Next });
                    }
                    p.push(Ret(SECCOMP_RET_ALLOW));
                }
            }
        }
        p.push(Mark(allow));
        p.push(Ret(SECCOMP_RET_ALLOW));
        p.push(Mark(trace));
        p.push(Ret(SECCOMP_RET_TRACE));
    }
    assemble(&p)
}

/// Resolves labels into relative jump offsets. Classic BPF conditional jumps reach at
/// most 255 instructions ahead; the program is laid out so that they always do (sections
/// reach each other with unconditional jumps), and a layout that does not is a bug caught
/// by the tests.
fn assemble(program: &[Insn]) -> Vec<libc::sock_filter> {
    let mut positions = Vec::new();
    let mut pc = 0usize;
    for insn in program {
        match insn {
            Insn::Mark(label) => positions.push((*label, pc)),
            _ => pc += 1,
        }
    }
    let position = |label: Label| {
        positions.iter().find(|(l, _)| *l == label).map(|(_, p)| *p).expect("jump to a label that was never placed")
    };
    let mut out = Vec::with_capacity(pc);
    for insn in program {
        let here = out.len();
        let offset = |target: Target| -> u8 {
            match target {
                Target::Next => 0,
                Target::To(label) => {
                    let delta = position(label) - here - 1;
                    u8::try_from(delta).expect("BPF jump farther than 255 instructions")
                }
            }
        };
        match *insn {
            Insn::Mark(_) => {}
            Insn::Load(off) => out.push(libc::sock_filter { code: BPF_LD_W_ABS, jt: 0, jf: 0, k: off }),
            Insn::Ret(k) => out.push(libc::sock_filter { code: BPF_RET_K, jt: 0, jf: 0, k }),
            Insn::Always(label) => {
                let delta = position(label) - here - 1;
                out.push(libc::sock_filter { code: BPF_JMP_JA, jt: 0, jf: 0, k: delta as u32 })
            }
            Insn::Jump { op, k, yes, no } => {
                out.push(libc::sock_filter { code: op, jt: offset(yes), jf: offset(no), k })
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Call;

    /// A classic-BPF interpreter for the subset we emit, to check the program's decisions.
    fn run(prog: &[libc::sock_filter], arch: u32, nr: u32, args: [u64; 6]) -> u32 {
        let mut data = [0u8; 64];
        data[0..4].copy_from_slice(&nr.to_le_bytes());
        data[4..8].copy_from_slice(&arch.to_le_bytes());
        for (i, a) in args.iter().enumerate() {
            data[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_le_bytes());
        }
        let mut acc = 0u32;
        let mut pc = 0;
        loop {
            let ins = prog[pc];
            pc += 1;
            match ins.code {
                BPF_LD_W_ABS => {
                    let o = ins.k as usize;
                    acc = u32::from_le_bytes(data[o..o + 4].try_into().unwrap());
                }
                BPF_RET_K => return ins.k,
                BPF_JMP_JA => pc += ins.k as usize,
                op => {
                    let taken = match op {
                        BPF_JMP_JEQ_K => acc == ins.k,
                        BPF_JMP_JGT_K => acc > ins.k,
                        BPF_JMP_JGE_K => acc >= ins.k,
                        BPF_JMP_JSET_K => acc & ins.k != 0,
                        _ => panic!("unexpected opcode {op:#x}"),
                    };
                    pc += usize::from(if taken { ins.jt } else { ins.jf });
                }
            }
        }
    }

    fn nr(abi: Abi, call: Call) -> u32 {
        abi.table().calls.iter().find(|(_, c)| *c == call).unwrap().0
    }

    const TRACE: u32 = SECCOMP_RET_TRACE;
    const ALLOW: u32 = SECCOMP_RET_ALLOW;

    #[test]
    fn every_call_of_every_table_is_traced_when_it_writes() {
        let prog = build(FilterOptions { reads: false });
        for (abi, arch) in
            [(Abi::X86_64, AUDIT_ARCH_X86_64), (Abi::X32, AUDIT_ARCH_X86_64), (Abi::I386, AUDIT_ARCH_I386)]
        {
            for (n, call) in abi.table().calls {
                let args = match call {
                    Call::Socketcall => [3, 0, 0, 0, 0, 0],
                    Call::Getsockopt => [3, libc::SOL_SOCKET as u64, libc::SO_ERROR as u64, 0, 0, 0],
                    _ => [1, 0o101, 0o101, 0, 1, 0],
                };
                assert_eq!(run(&prog, arch, *n, args), TRACE, "{abi:?} {call:?}");
            }
        }
    }

    #[test]
    fn read_only_opens_pass_unless_reads_are_traced() {
        let quiet = build(FilterOptions { reads: false });
        let reads = build(FilterOptions { reads: true });
        let openat = nr(Abi::X86_64, Call::Openat);
        let rdonly_cloexec = [0, 0, 0o2000000, 0, 0, 0];
        assert_eq!(run(&quiet, AUDIT_ARCH_X86_64, openat, rdonly_cloexec), ALLOW);
        assert_eq!(run(&reads, AUDIT_ARCH_X86_64, openat, rdonly_cloexec), TRACE);
        let open32 = nr(Abi::I386, Call::Open);
        assert_eq!(run(&quiet, AUDIT_ARCH_I386, open32, [0, 0o100000, 0, 0, 0, 0]), ALLOW);
        assert_eq!(run(&quiet, AUDIT_ARCH_I386, open32, [0, 0o1000, 0, 0, 0, 0]), TRACE);
    }

    #[test]
    fn sendto_and_recvfrom_without_an_address_are_not_stopped() {
        let prog = build(FilterOptions { reads: false });
        for call in [Call::Sendto, Call::Recvfrom] {
            let n = nr(Abi::X86_64, call);
            assert_eq!(run(&prog, AUDIT_ARCH_X86_64, n, [3, 1, 1, 0, 0, 0]), ALLOW, "{call:?}");
            assert_eq!(run(&prog, AUDIT_ARCH_X86_64, n, [3, 1, 1, 0, 1 << 40, 16]), TRACE, "{call:?}");
            assert_eq!(run(&prog, AUDIT_ARCH_X86_64, n, [3, 1, 1, 0, 0x7ffc_0000, 16]), TRACE, "{call:?}");
        }
        // recv(2) and read(2) on a socket never stop.
        let recv32 = nr(Abi::I386, Call::Recvfrom);
        assert_eq!(run(&prog, AUDIT_ARCH_I386, recv32, [3, 1, 1, 0, 0, 0]), ALLOW);
        assert_eq!(run(&prog, AUDIT_ARCH_I386, 102, [10 /* recv */, 0, 0, 0, 0, 0]), ALLOW);
        assert_eq!(run(&prog, AUDIT_ARCH_I386, 102, [12 /* recvfrom */, 0, 0, 0, 0, 0]), TRACE);
    }

    #[test]
    fn getsockopt_stops_only_for_so_error() {
        let prog = build(FilterOptions { reads: false });
        let so_error = [3, libc::SOL_SOCKET as u64, libc::SO_ERROR as u64, 0x7ffc_0000, 0x7ffc_0010, 0];
        let so_type = [3, libc::SOL_SOCKET as u64, libc::SO_TYPE as u64, 0x7ffc_0000, 0x7ffc_0010, 0];
        let tcp_info = [3, libc::IPPROTO_TCP as u64, libc::SO_ERROR as u64, 0x7ffc_0000, 0x7ffc_0010, 0];
        for (abi, arch) in
            [(Abi::X86_64, AUDIT_ARCH_X86_64), (Abi::X32, AUDIT_ARCH_X86_64), (Abi::I386, AUDIT_ARCH_I386)]
        {
            let n = nr(abi, Call::Getsockopt);
            assert_eq!(run(&prog, arch, n, so_error), TRACE, "{abi:?}");
            assert_eq!(run(&prog, arch, n, so_type), ALLOW, "{abi:?}");
            assert_eq!(run(&prog, arch, n, tcp_info), ALLOW, "{abi:?}");
        }
        // Behind i386's socketcall the option cannot be seen: every getsockopt stops.
        assert_eq!(run(&prog, AUDIT_ARCH_I386, 102, [15 /* getsockopt */, 0, 0, 0, 0, 0]), TRACE);
    }

    #[test]
    fn io_uring_setup_stops_in_every_table_and_io_uring_enter_never() {
        let prog = build(FilterOptions { reads: false });
        assert!(prog.len() <= 4096, "BPF_MAXINSNS: {}", prog.len());
        for (arch, nr) in [(AUDIT_ARCH_X86_64, 425), (AUDIT_ARCH_I386, 425), (AUDIT_ARCH_X86_64, X32_SYSCALL_BIT | 425)]
        {
            assert_eq!(run(&prog, arch, nr, [0; 6]), TRACE, "io_uring_setup {arch:#x} {nr:#x}");
            assert_eq!(run(&prog, arch, nr + 1, [0; 6]), ALLOW, "io_uring_enter {arch:#x} {nr:#x}");
        }
    }

    #[test]
    fn owner_xattr_mknod_and_descriptor_calls_stop_with_their_abi_numbers() {
        let prog = build(FilterOptions { reads: false });
        let x86_64 = [
            (92, Call::Chown),
            (94, Call::Lchown),
            (93, Call::Fchown),
            (260, Call::Fchownat),
            (188, Call::Setxattr),
            (189, Call::Lsetxattr),
            (190, Call::Fsetxattr),
            (463, Call::Setxattrat),
            (197, Call::Removexattr),
            (198, Call::Lremovexattr),
            (199, Call::Fremovexattr),
            (466, Call::Removexattrat),
            (91, Call::Fchmod),
            (77, Call::Ftruncate),
            (133, Call::Mknod),
            (259, Call::Mknodat),
        ];
        for (n, call) in x86_64 {
            assert_eq!(Abi::X86_64.call(n), Some(call));
            assert_eq!(Abi::X32.call(u64::from(X32_SYSCALL_BIT) | n), Some(call));
            assert_eq!(run(&prog, AUDIT_ARCH_X86_64, n as u32, [0; 6]), TRACE, "{call:?}");
            assert_eq!(run(&prog, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT | n as u32, [0; 6]), TRACE, "x32 {call:?}");
        }
        let i386 = [
            (182, Call::Chown16),
            (16, Call::Lchown16),
            (95, Call::Fchown16),
            (212, Call::Chown),
            (198, Call::Lchown),
            (207, Call::Fchown),
            (298, Call::Fchownat),
            (226, Call::Setxattr),
            (227, Call::Lsetxattr),
            (228, Call::Fsetxattr),
            (463, Call::Setxattrat),
            (235, Call::Removexattr),
            (236, Call::Lremovexattr),
            (237, Call::Fremovexattr),
            (466, Call::Removexattrat),
            (94, Call::Fchmod),
            (93, Call::Ftruncate),
            (194, Call::Ftruncate64),
            (14, Call::Mknod),
            (297, Call::Mknodat),
        ];
        for (n, call) in i386 {
            assert_eq!(Abi::I386.call(n), Some(call));
            assert_eq!(run(&prog, AUDIT_ARCH_I386, n as u32, [0; 6]), TRACE, "i386 {call:?}");
        }
        // Reading an attribute or an owner changes nothing.
        assert_eq!(run(&prog, AUDIT_ARCH_X86_64, 191 /* getxattr */, [0; 6]), ALLOW);
        assert_eq!(run(&prog, AUDIT_ARCH_X86_64, 4 /* stat */, [0; 6]), ALLOW);
    }

    #[test]
    fn unrelated_calls_pass_and_unknown_ones_are_traced() {
        let prog = build(FilterOptions { reads: false });
        assert_eq!(run(&prog, AUDIT_ARCH_X86_64, 0 /* read */, [0; 6]), ALLOW);
        assert_eq!(run(&prog, AUDIT_ARCH_X86_64, 39 /* getpid */, [0; 6]), ALLOW);
        assert_eq!(run(&prog, AUDIT_ARCH_X86_64, 100_000, [0; 6]), TRACE);
        assert_eq!(run(&prog, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT | 2_000, [0; 6]), TRACE);
        assert_eq!(run(&prog, AUDIT_ARCH_I386, 3 /* read */, [0; 6]), ALLOW);
        assert_eq!(run(&prog, AUDIT_ARCH_I386, 102, [1 /* socket */, 0, 0, 0, 0, 0]), ALLOW);
        assert_eq!(run(&prog, 0xC000_00B7 /* aarch64 */, 0, [0; 6]), TRACE);
    }
}
