//! A data home on a disk that fills up while the command runs: a 5 MiB tmpfs in a private
//! mount namespace, and a command that prints 20 MiB and exits 3. runglass still exits 3,
//! every byte still reaches the caller, one line on stderr says what the receipt keeps,
//! and once the tmpfs is enlarged the receipt (written, or recovered from what was kept)
//! reads, says it is incomplete, and holds what was written. Where this machine refuses
//! mount namespaces, each test prints `SKIP full_disk: ...` and passes.

#[path = "common/mod.rs"]
mod common;

use std::process::Command;

use serde_json::Value;

/// The issue's command: 20 MiB on stdout, then exit 3.
const PRINT_20M: &str = "head -c 20M /dev/zero | tr '\\0' x; exit 3";
const MIB_20: u64 = 20 << 20;

/// Runs in the private namespace: $1 the data home, $2 the results directory, $3 how much
/// room to leave on the tmpfs ("" for all of it), $4 the runglass binary, then the
/// arguments of `runglass run`. The tmpfs is 5 MiB while the run runs, 100 MiB after.
/// With $PTY_RUN set, runglass runs in a terminal of script(1)'s instead, by that shell
/// line ($RG, $OUT and $CMD set for it), and what the terminal showed is counted.
const SCENARIO: &str = r#"
set -u
home=$1 out=$2 room=$3 rg=$4
shift 4
mount -t tmpfs -o size=5m runglass-full "$home" || exit 99
if [ -n "$room" ]; then
  cat /dev/zero > "$home/filler" 2>/dev/null
  truncate -s "-$room" "$home/filler"
fi
export RUNGLASS_DATA_HOME="$home" RG="$rg" OUT="$out"
[ -z "${PREPARE:-}" ] || sh -c "$PREPARE"
if [ -n "${PTY_RUN:-}" ]; then
  # The command prints only x's; the terminal may add a line end of its own.
  { script -qefc "$PTY_RUN" /dev/null < /dev/null; echo $? > "$out/status"; } | tr -cd x | wc -c > "$out/count"
else
  { "$rg" "${SUBCOMMAND:-run}" "$@" 2>"$out/run.stderr"; echo $? > "$out/status"; } | wc -c > "$out/count"
fi
[ ! -f runglass-ci/receipt.json ] || cp runglass-ci/receipt.json "$out/ci-receipt.json"
cat "$home"/receipts/*/stdout "$home"/receipts/*/transcript 2>/dev/null | wc -c > "$out/stored"
ls -a "$home"/receipts/* > "$out/files"
rm -f "$home/filler"
mount -o remount,size=100m "$home" || exit 98
"$rg" report latest --print-json > "$out/receipt.json" 2>"$out/report.stderr"
echo $? > "$out/report.status"
"#;

/// What a scenario left behind.
struct Ran {
    status: i32,
    /// Bytes that reached the caller through the pipe.
    count: u64,
    stderr: String,
    /// The files in the receipt directory after the run (before recovery).
    files: Vec<String>,
    /// The size of the stored stdout file.
    stored: u64,
    /// The receipt `report latest --print-json` read after the tmpfs was enlarged (Null
    /// when there was none), and what `report` said on stderr.
    receipt: Value,
    report_stderr: String,
    /// The receipt `runglass ci` wrote to its artifact directory (Null without one).
    ci_receipt: Value,
}

/// Runs `runglass run ARGS` on a full 5 MiB tmpfs (with `room` left before it starts:
/// "" or a `truncate` size), then reads its receipt after enlarging it; None after a SKIP
/// line where mount namespaces are refused.
fn on_full_disk(room: &str, args: &[&str]) -> Option<Ran> {
    on_full_disk_with(room, args, None, &[])
}

/// [`on_full_disk`] in a terminal when `pty_run` is a shell line for script(1) to run, with
/// `env` for the scenario: SUBCOMMAND (`run` unless set), PREPARE (a shell line run in the
/// working directory before runglass).
fn on_full_disk_with(room: &str, args: &[&str], pty_run: Option<&str>, env: &[(&str, &str)]) -> Option<Ran> {
    let probe = Command::new("unshare").args(["--mount", "--propagation", "private", "true"]).output();
    if let Some(why) = match &probe {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(common::stderr(out).trim().to_string()),
        Err(e) => Some(format!("running unshare: {e}")),
    } {
        eprintln!("SKIP full_disk: no private mount namespace ({why})");
        return None;
    }
    let home = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut cmd = common::runglass(home.path());
    cmd.env_remove("RUNGLASS_DATA_HOME");
    let mut scenario = Command::new("unshare");
    scenario
        .args(["--mount", "--propagation", "private", "--", "sh", "-c", SCENARIO, "sh"])
        .arg(home.path())
        .arg(out.path())
        .arg(room)
        .arg(env!("CARGO_BIN_EXE_runglass"))
        .args(args)
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))))
        .envs(env.iter().copied())
        .current_dir(work.path());
    match pty_run {
        Some(line) => scenario.env("PTY_RUN", line).env("CMD", PRINT_20M).env_remove("RUNGLASS_NO_PTY"),
        None => scenario.env("RUNGLASS_NO_PTY", "1"),
    };
    let status = scenario.status().unwrap();
    if status.code() == Some(99) {
        eprintln!("SKIP full_disk: mounting a tmpfs was refused");
        return None;
    }
    assert!(status.success(), "the scenario failed: {status}");
    let read = |name: &str| std::fs::read_to_string(out.path().join(name)).unwrap_or_default();
    let number = |name: &str| read(name).trim().parse::<u64>().unwrap_or_else(|_| panic!("{name}: {:?}", read(name)));
    let report_stderr = read("report.stderr");
    let receipt = match read("report.status").trim() {
        "0" => serde_json::from_str(&read("receipt.json")).unwrap_or_else(|e| panic!("{e}: {}", read("receipt.json"))),
        _ => Value::Null,
    };
    Some(Ran {
        status: number("status") as i32,
        count: number("count"),
        stderr: read("run.stderr"),
        files: read("files").lines().map(String::from).collect(),
        stored: read("stored").trim().parse().unwrap_or(0),
        receipt,
        report_stderr,
        ci_receipt: serde_json::from_str(&read("ci-receipt.json")).unwrap_or(Value::Null),
    })
}

fn limits(receipt: &Value) -> Vec<String> {
    receipt["observation"]["limits"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect()
}

fn coverage<'a>(receipt: &'a Value, aspect: &str) -> &'a Value {
    let all = receipt["observation"]["coverage"].as_array().unwrap();
    all.iter().find(|c| c["aspect"] == aspect).unwrap_or_else(|| panic!("no {aspect} in {all:#?}"))
}

/// The lines runglass printed about the full data home: exactly one.
fn full_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains("full")).collect()
}

/// What every run of the 20 MiB command on the full disk shows, whatever else it lost.
fn assert_status_output_and_stdout_kept(ran: &Ran) {
    assert_status_output_and_kept(ran, "stdout");
}

/// The same for the stream `file` (`stdout`, or `transcript` in a terminal).
fn assert_status_output_and_kept(ran: &Ran, file: &str) {
    assert_eq!(ran.status, 3, "runglass exits with the command's status; stderr: {}", ran.stderr);
    assert_eq!(ran.count, MIB_20, "every byte of the command's stdout reached the caller");
    assert!(0 < ran.stored && ran.stored < MIB_20, "the stored file is cut short: {} bytes", ran.stored);
    let lines = full_lines(&ran.stderr);
    assert_eq!(lines.len(), 1, "one line about the full data home: {}", ran.stderr);
    assert!(lines[0].contains("is full (ENOSPC)"), "{}", lines[0]);
    assert!(lines[0].contains(&format!("of 20.0 MiB of {file}")), "{}", lines[0]);
    assert!(!ran.files.iter().any(|f| f.starts_with(".tmp")), "no temporary is left: {:?}", ran.files);
    assert!(!ran.files.iter().any(|f| f == "reserve"), "the reserve is given back: {:?}", ran.files);

    assert!(!ran.receipt.is_null(), "report found no receipt: {}", ran.report_stderr);
    let stdout = &ran.receipt["output"][file];
    let bytes = stdout["bytes"].as_u64().unwrap();
    // A terminal's transcript holds what the terminal itself adds too (a byte or two).
    let expected = if file == "transcript" { MIB_20..MIB_20 + 16 } else { MIB_20..MIB_20 + 1 };
    assert!(expected.contains(&bytes), "the receipt counts every byte: {bytes}");
    assert_eq!(stdout["stored_bytes"], ran.stored, "the receipt says how much its file holds");
    assert_eq!(ran.receipt["outcome"]["exit_code"], 3);
    assert_eq!(ran.receipt["outcome"]["status"], "failed", "{:#}", ran.receipt["outcome"]);
    let limits = limits(&ran.receipt);
    let cut =
        format!("The data home was full: the file {file} holds only the first {} of the {bytes} bytes", ran.stored);
    assert!(limits.iter().any(|l| l.starts_with(&cut)), "{limits:#?}");
    assert_eq!(coverage(&ran.receipt, "output")["confidence"], "partial");
}

#[test]
fn a_full_data_home_keeps_the_commands_status_and_output_and_says_what_the_receipt_keeps() {
    let Some(ran) = on_full_disk("", &["--", "sh", "-c", PRINT_20M]) else { return };
    assert_status_output_and_stdout_kept(&ran);
    let line = full_lines(&ran.stderr)[0];
    assert!(line.contains("and says so in its limits"), "the receipt was written: {line}");
    assert!(ran.files.iter().any(|f| f == "receipt.json"), "{:?}", ran.files);
    assert_eq!(ran.receipt["mode"], "normal");
}

#[test]
fn a_full_data_home_under_deep_keeps_the_status_and_says_which_events_the_log_lost() {
    // Three hundred execs after the disk is full: more events than the log's last page holds.
    let script = format!("head -c 20M /dev/zero | tr '\\0' x; for i in $(seq 300); do /bin/true; done; {}", "exit 3");
    let Some(ran) = on_full_disk("", &["--deep", "--", "sh", "-c", &script]) else { return };
    assert_status_output_and_stdout_kept(&ran);
    assert_eq!(ran.receipt["mode"], "deep");
    let line = full_lines(&ran.stderr)[0];
    assert!(line.contains("the event log up to"), "{line}");
    let limits = limits(&ran.receipt);
    let lost = limits
        .iter()
        .find(|l| l.contains("the event log could not be written from"))
        .unwrap_or_else(|| panic!("{limits:#?}"));
    assert!(lost.contains("event(s) from then on are missing"), "{lost}");
    let processes = coverage(&ran.receipt, "processes");
    assert_eq!(processes["confidence"], "partial", "{processes:#}");
    let trues = ran.receipt["processes"].as_array().unwrap().iter().filter(|p| p["argv"][0] == "/bin/true").count();
    assert!(trues < 300, "the events the log lost are not in the receipt either ({trues} of 300)");
    // An end the log lost is not a process left running: nothing outlived this command.
    let outlived: Vec<&Value> =
        ran.receipt["processes"].as_array().unwrap().iter().filter(|p| p["outlived_command"] == true).collect();
    assert!(outlived.is_empty(), "{outlived:#?}");
    assert!(!limits.iter().any(|l| l.contains("still running when the command ended")), "{limits:#?}");
}

#[test]
fn a_receipt_the_full_disk_refused_is_recovered_with_what_was_written_once_there_is_room() {
    // 64 KiB free before the run: the reserve holds shortfall.json, not the whole receipt.
    for deep in [false, true] {
        let mut args = vec!["--", "sh", "-c", PRINT_20M];
        if deep {
            args.insert(0, "--deep");
        }
        let Some(ran) = on_full_disk("64K", &args) else { return };
        let line = full_lines(&ran.stderr).first().copied().unwrap_or_default();
        assert!(line.contains("receipt.json of run"), "{line}\n{}", ran.stderr);
        assert!(line.contains("could not be written"), "{line}");
        assert!(line.contains("recovers its receipt"), "{line}");
        assert!(!ran.files.iter().any(|f| f == "receipt.json"), "no partial receipt is left: {:?}", ran.files);
        assert!(ran.files.iter().any(|f| f == "shortfall.json"), "{:?}", ran.files);
        assert!(ran.report_stderr.contains("recovered receipt"), "{}", ran.report_stderr);
        assert_status_output_and_stdout_kept(&ran);
        let limits = limits(&ran.receipt);
        assert!(limits.iter().any(|l| l.starts_with("runglass could not write this receipt")), "{limits:#?}");
        assert_eq!(ran.receipt["mode"], if deep { "deep" } else { "normal" });
    }
}

#[test]
fn in_a_terminal_a_full_data_home_keeps_the_status_and_everything_the_terminal_showed() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIP full_disk: no script(1) to give runglass a terminal");
        return;
    }
    for mode in ["", "--deep"] {
        let line = format!(r#"exec "$RG" run {mode} -- sh -c "$CMD" 2>"$OUT/run.stderr""#);
        let Some(ran) = on_full_disk_with("", &[], Some(&line), &[]) else { return };
        assert_eq!(ran.receipt["output"]["capture"], "pty", "runglass gave the command a terminal");
        assert_status_output_and_kept(&ran, "transcript");
    }
}

#[test]
fn a_data_home_full_before_the_run_runs_nothing_says_so_in_one_line_and_leaves_no_empty_receipt() {
    for deep in [false, true] {
        let mut args = vec!["--", "sh", "-c", PRINT_20M];
        if deep {
            args.insert(0, "--deep");
        }
        let Some(ran) = on_full_disk("0", &args) else { return };
        assert_eq!(ran.status, 1, "{}", ran.stderr);
        assert_eq!(ran.count, 0, "the command did not run");
        let lines: Vec<&str> = ran.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{}", ran.stderr);
        assert!(lines[0].contains("is full (ENOSPC), so the command was not run"), "{}", lines[0]);
        assert!(ran.files.is_empty(), "no receipt directory is left to warn about: {:?}", ran.files);
        assert!(ran.receipt.is_null());
        assert!(!ran.report_stderr.contains("skipping"), "{}", ran.report_stderr);
    }
}

#[test]
fn ci_on_a_full_data_home_keeps_the_commands_status_and_writes_the_receipt_that_says_so() {
    let args = ["--format", "json", "--", "sh", "-c", PRINT_20M];
    let Some(ran) = on_full_disk_with("", &args, None, &[("SUBCOMMAND", "ci")]) else { return };
    assert_status_output_and_stdout_kept(&ran);
    let stdout = &ran.ci_receipt["output"]["stdout"];
    assert_eq!(stdout["stored_bytes"], ran.stored, "the artifact directory's receipt says it too");
}

#[test]
fn contents_the_full_disk_refused_are_counted_in_the_receipt_not_warned_about_one_by_one() {
    // kept.txt holds 64 KiB before the run; the command changes it once the disk is full.
    let prepare = ("PREPARE", "head -c 65536 /dev/urandom > kept.txt");
    let script = "head -c 20M /dev/zero | tr '\\0' x; head -c 65536 /dev/urandom > kept.txt; exit 3";
    for deep in [false, true] {
        let mut args = vec!["--", "sh", "-c", script];
        if deep {
            args.insert(0, "--deep");
        }
        let Some(ran) = on_full_disk_with("", &args, None, &[prepare]) else { return };
        assert_status_output_and_stdout_kept(&ran);
        assert!(!ran.stderr.contains("warning"), "the one line says it all: {}", ran.stderr);
        let line = full_lines(&ran.stderr)[0];
        assert!(line.contains(" but lacks ") && line.contains(" file content(s)"), "{line}");
        let limits = limits(&ran.receipt);
        let contents = limits.iter().find(|l| l.contains(" file content(s) were not kept in the blob store"));
        assert!(contents.is_some(), "{limits:#?}");
        let change = common::change(&ran.receipt, "kept.txt");
        assert_eq!(change["after"]["stored"], false, "{line}\n{:#}", change["after"]);
    }
}
