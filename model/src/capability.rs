//! Linux capability names by number (linux/capability.h), as `getcap` and `capsh` write them,
//! and the words for privileges a program did not get.

/// The names of capabilities 0 to 40 (CAP_LAST_CAP of Linux 6.x).
const NAMES: [&str; 41] = [
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

/// The name of each capability set in `bits` (bit n is capability n), lowest first; a
/// number this table does not know is named `cap_N`.
pub fn capability_names(bits: u64) -> Vec<String> {
    (0..64u32)
        .filter(|n| bits & (1u64 << n) != 0)
        .map(|n| NAMES.get(n as usize).map_or_else(|| format!("cap_{n}"), |name| (*name).to_string()))
        .collect()
}

/// What a setuid, setgid or file-capability program did not get, in words:
/// `setuid to uid 0, setgid to gid 0, capabilities cap_net_raw`.
pub fn privileges_text(setuid: Option<u32>, setgid: Option<u32>, capabilities: &[String]) -> String {
    let mut parts = Vec::new();
    if let Some(uid) = setuid {
        parts.push(format!("setuid to uid {uid}"));
    }
    if let Some(gid) = setgid {
        parts.push(format!("setgid to gid {gid}"));
    }
    if !capabilities.is_empty() {
        parts.push(format!("capabilities {}", capabilities.join(",")));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_bits_are_named_as_getcap_names_them() {
        assert_eq!(capability_names(1 << 13 | 1 << 2), ["cap_dac_read_search", "cap_net_raw"]);
        assert_eq!(capability_names(1 << 40 | 1 << 63), ["cap_checkpoint_restore", "cap_63"]);
        assert!(capability_names(0).is_empty());
    }

    #[test]
    fn dropped_privileges_are_said_in_one_phrase() {
        let caps = capability_names(1 << 13);
        assert_eq!(
            privileges_text(Some(0), Some(42), &caps),
            "setuid to uid 0, setgid to gid 42, capabilities cap_net_raw"
        );
        assert_eq!(privileges_text(None, None, &caps), "capabilities cap_net_raw");
    }
}
