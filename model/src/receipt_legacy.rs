//! Receipts of format 1, read as today's format. Format 1 copied the acting process's argv
//! into every file actor, peer, listener, unix socket and lookup; format 2 refers to the
//! process's entry in `processes` instead. The upgrade works on the JSON before the types
//! read it: each copied argv is matched to the entry of its pid (and to the exec that ran
//! it), and outside changes get the `change` that format 1 left to the reader.

use serde_json::{Map, Value, json};

/// Rewrites a format-1 receipt's JSON in place into format 2. Anything that does not have
/// the expected shape is left as it is, for the types to refuse with a field error.
pub fn upgrade_v1(receipt: &mut Value) {
    let Some(top) = receipt.as_object_mut() else { return };
    let mut table = ProcessTable::take(top);
    if let Some(files) = top.get_mut("files").and_then(Value::as_object_mut) {
        for list in ["changes", "outside", "reads"] {
            for entry in array_mut(files, list) {
                if let Some(by) = entry.get_mut("by").and_then(Value::as_array_mut) {
                    by.iter_mut().for_each(|actor| table.refer(actor, "at_ms"));
                }
            }
        }
        for entry in array_mut(files, "outside") {
            upgrade_outside(entry);
        }
    }
    if let Some(network) = top.get_mut("network").and_then(Value::as_object_mut) {
        for (list, at) in [("outbound", "first_ms"), ("listening", "at_ms"), ("unix", ""), ("lookups", "first_ms")] {
            array_mut(network, list).for_each(|row| table.refer(row, at));
        }
    }
    top.insert("processes".into(), Value::Array(table.processes));
    top.insert("format_version".into(), json!(2));
}

fn array_mut<'a>(object: &'a mut Map<String, Value>, key: &str) -> impl Iterator<Item = &'a mut Value> {
    object.get_mut(key).and_then(Value::as_array_mut).into_iter().flatten()
}

/// The receipt's processes, with each entry's parent found by pid, and entries added for
/// actors whose pid no entry has.
struct ProcessTable {
    processes: Vec<Value>,
    /// "trace" or "polling": what saw the processes, for added entries.
    seen_by: Value,
}

impl ProcessTable {
    fn take(top: &mut Map<String, Value>) -> ProcessTable {
        let seen_by = json!(if top.get("mode") == Some(&json!("deep")) { "trace" } else { "polling" });
        let mut processes = match top.remove("processes") {
            Some(Value::Array(list)) => list,
            _ => Vec::new(),
        };
        // A parent is the latest entry of its pid listed before the child.
        for i in 0..processes.len() {
            let Some(parent) = processes[i].get("parent").and_then(Value::as_u64) else { continue };
            let at = processes[i].get("started_ms").and_then(Value::as_u64);
            if let Some(p) = latest_of(&processes[..i], parent, at) {
                let exec = exec_at(&processes[p], at);
                let child = processes[i].as_object_mut().expect("an entry with a parent is an object");
                child.insert("parent_process".into(), json!(p));
                child.insert("parent_exec".into(), json!(exec));
            }
        }
        ProcessTable { processes, seen_by }
    }

    /// Replaces `row`'s `argv` with its process entry and exec (`at`: the field with the
    /// row's time).
    fn refer(&mut self, row: &mut Value, at: &str) {
        let Some(row) = row.as_object_mut() else { return };
        let Some(pid) = row.get("pid").and_then(Value::as_u64) else { return };
        let argv = row.remove("argv").unwrap_or(Value::Array(Vec::new()));
        let at = row.get(at).and_then(Value::as_u64);
        let index = match latest_of(&self.processes, pid, at) {
            Some(i) => i,
            None => {
                self.processes.push(json!({
                    "pid": pid, "parent": null, "argv": argv, "exe": null, "cwd": null, "execs": [],
                    "started_ms": at, "ended_ms": null, "exit": null, "outlived_command": false,
                    "seen_by": self.seen_by,
                }));
                self.processes.len() - 1
            }
        };
        let execs = self.processes[index].get("execs").and_then(Value::as_array);
        let exec = execs.and_then(|execs| execs.iter().rposition(|e| e.get("argv") == Some(&argv)));
        row.insert("process".into(), json!(index));
        row.insert("exec".into(), json!(exec));
    }
}

/// The last entry of `pid` that had started by `at` (or its first entry, when none had).
fn latest_of(processes: &[Value], pid: u64, at: Option<u64>) -> Option<usize> {
    let of_pid = |p: &&Value| p.get("pid").and_then(Value::as_u64) == Some(pid);
    let started = |p: &Value| p.get("started_ms").and_then(Value::as_u64).unwrap_or(0);
    let candidates: Vec<usize> = processes.iter().enumerate().filter(|(_, p)| of_pid(p)).map(|(i, _)| i).collect();
    let by_time = candidates.iter().rev().find(|&&i| at.is_none_or(|at| started(&processes[i]) <= at));
    by_time.or(candidates.first()).copied()
}

/// The index of the exec `process` was running at `at` (the last one at or before it).
fn exec_at(process: &Value, at: Option<u64>) -> Option<usize> {
    let execs = process.get("execs")?.as_array()?;
    let at = at?;
    execs.iter().rposition(|e| e.get("at_ms").and_then(Value::as_u64).is_some_and(|t| t <= at))
}

/// Format 1 left an outside change's kind to the reader: created when the capture found
/// nothing there, deleted when nothing is there now, else modified.
fn upgrade_outside(entry: &mut Value) {
    let Some(o) = entry.as_object_mut() else { return };
    let captured = o.get("captured").and_then(Value::as_bool).unwrap_or(false);
    let before = o.get("before").filter(|b| !b.is_null()).cloned();
    let after = o.get("after").filter(|a| !a.is_null()).cloned();
    let exists_after = o.get("exists_after").and_then(Value::as_bool).unwrap_or(after.is_some());
    let change = if !exists_after {
        "deleted"
    } else if captured && before.is_none() {
        "created"
    } else {
        "modified"
    };
    o.insert("change".into(), json!(change));
    let field = |state: &Option<Value>, key: &str| state.as_ref().and_then(|s| s.get(key)).cloned();
    let differs = |key: &str| match (&before, &after) {
        (Some(_), Some(_)) => field(&before, key) != field(&after, key),
        _ => captured,
    };
    let content = differs("blake3") || differs("size") || differs("kind") || differs("target");
    o.insert("content_changed".into(), json!(content));
    o.insert("mode_changed".into(), json!(before.is_some() && after.is_some() && differs("mode")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copied_argv_becomes_a_reference_to_the_process_and_its_exec() {
        let mut v = json!({
            "format_version": 1, "mode": "deep",
            "processes": [
                {"pid": 10, "parent": null, "argv": ["sh", "-c", "x"], "execs": [{"path": "/bin/sh", "argv": ["sh", "-c", "x"], "at_ms": 0}], "started_ms": 0},
                {"pid": 11, "parent": 10, "argv": ["sed", "-i"], "execs": [{"path": "/bin/sed", "argv": ["sed", "-i"], "at_ms": 5}], "started_ms": 4}
            ],
            "files": {"changes": [{"path": "a", "by": [
                {"pid": 11, "argv": ["sh", "-c", "x"], "action": "truncated", "at_ms": 4},
                {"pid": 11, "argv": ["sed", "-i"], "action": "renamed_to", "at_ms": 6}
            ]}], "outside": [], "reads": []},
            "network": {"outbound": [{"pid": 99, "argv": ["curl", "x"], "first_ms": 7}], "listening": [], "unix": []}
        });
        upgrade_v1(&mut v);
        assert_eq!(v["format_version"], 2);
        let by = &v["files"]["changes"][0]["by"];
        assert_eq!(
            (&by[0]["process"], &by[0]["exec"]),
            (&json!(1), &Value::Null),
            "before its exec: the parent's program"
        );
        assert_eq!((&by[1]["process"], &by[1]["exec"]), (&json!(1), &json!(0)));
        assert!(by[0].get("argv").is_none());
        assert_eq!((&v["processes"][1]["parent_process"], &v["processes"][1]["parent_exec"]), (&json!(0), &json!(0)));
        // A pid no entry has gets one, so its argv is not lost.
        assert_eq!(v["network"]["outbound"][0]["process"], 2);
        assert_eq!(v["processes"][2]["argv"], json!(["curl", "x"]));
        assert_eq!(v["processes"][2]["seen_by"], "trace");
    }

    #[test]
    fn outside_changes_get_their_kind() {
        let state = |hash: &str| json!({"kind": "file", "size": 1, "mode": 420, "mtime_ns": 0, "blake3": hash});
        let mut v = json!({"format_version": 1, "processes": [], "files": {"changes": [], "reads": [], "outside": [
            {"path": "/a", "by": [], "exists_after": true, "captured": true, "before": null, "after": state("1")},
            {"path": "/b", "by": [], "exists_after": false, "captured": true, "before": state("1"), "after": null},
            {"path": "/c", "by": [], "exists_after": true, "captured": true, "before": state("1"), "after": state("2")},
            {"path": "/d", "by": [], "exists_after": true, "captured": false, "before": null, "after": state("2")}
        ]}});
        upgrade_v1(&mut v);
        let kinds: Vec<&Value> = (0..4).map(|i| &v["files"]["outside"][i]["change"]).collect();
        assert_eq!(kinds, [&json!("created"), &json!("deleted"), &json!("modified"), &json!("modified")]);
        assert_eq!(v["files"]["outside"][2]["content_changed"], true);
    }
}
