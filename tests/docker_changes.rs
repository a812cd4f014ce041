//! Docker changes in receipts, against a real engine: a private dockerd (tests/common/
//! docker.rs) and a wrapped script that creates, removes and retags containers, images,
//! volumes and networks through the docker CLI. Also an engine that is absent or silent:
//! one line in the receipt, and the run otherwise as usual.
//!
//! Where no engine can be started, the engine tests print "skipping: ..." and pass.

#[path = "common/mod.rs"]
mod common;
#[path = "common/docker.rs"]
mod docker;

use std::path::Path;

use common::{latest_json, runglass, stderr};
use serde_json::Value;

fn engine_or_skip(test: &str) -> Option<&'static docker::Engine> {
    match docker::engine() {
        Ok(engine) => Some(engine),
        Err(why) => {
            eprintln!("skipping: {test}: no Docker engine: {why}");
            None
        }
    }
}

/// `runglass run [ARGS] -- sh -c SCRIPT` in `work` with DOCKER_HOST=`host`.
fn run(data: &Path, work: &Path, host: &str, args: &[&str], script: &str) -> std::process::Output {
    let mut cmd = runglass(data);
    cmd.current_dir(work).env("DOCKER_HOST", host).arg("run").args(args).args(["--", "sh", "-c", script]);
    cmd.output().unwrap()
}

fn named<'a>(list: &'a Value, key: &str, name: &str) -> Vec<&'a Value> {
    list.as_array().unwrap().iter().filter(|v| v[key] == name).collect()
}

fn change_of(list: &Value, key: &str, name: &str) -> String {
    let found = named(list, key, name);
    assert_eq!(found.len(), 1, "{name} once in {list:#}");
    found[0]["change"].as_str().unwrap().to_string()
}

fn coverage(receipt: &Value) -> &Value {
    let coverage = receipt["observation"]["coverage"].as_array().unwrap();
    coverage.iter().find(|c| c["aspect"] == "docker").expect("a docker coverage line")
}

#[test]
fn a_receipt_names_every_container_image_volume_and_network_the_command_changed() {
    let Some(engine) = engine_or_skip("docker changes") else { return };
    let _turn = engine.turn();
    let tar = engine.rootfs_tar();
    let tar = tar.to_str().unwrap();
    engine.docker(&["import", tar, "rg-base:1"]);
    engine.docker(&["create", "--name", "rg-old", "--network", "none", "rg-base:1", "sleep", "60"]);
    engine.docker(&["volume", "create", "rg-old-vol"]);
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();

    // With --bridge=none, a user-defined bridge network is what can publish a port.
    let script = format!(
        "set -e
         docker network create --driver bridge rg-net >/dev/null
         docker run -d --name rg-web --network rg-net -p 0.0.0.0::80 rg-base:1 sleep 60 >/dev/null
         docker rm rg-old >/dev/null
         docker volume create rg-vol >/dev/null
         docker volume rm rg-old-vol >/dev/null
         docker tag rg-base:1 rg-base:retagged
         docker import {tar} rg-new:1 >/dev/null"
    );
    let out = run(data.path(), work.path(), &engine.host(), &[], &script);
    let cleanup = [
        vec!["rm", "-f", "rg-web"],
        vec!["network", "rm", "rg-net"],
        vec!["volume", "rm", "rg-vol"],
        vec!["rmi", "rg-new:1", "rg-base:retagged", "rg-base:1"],
    ];
    for args in cleanup {
        engine.docker(&args);
    }
    assert!(out.status.success(), "runglass failed: {}", stderr(&out));

    let receipt = latest_json(data.path());
    let d = &receipt["docker"];
    assert_eq!(d["unavailable"], Value::Null, "{d:#}");
    assert_eq!(d["host"], engine.host());
    assert_eq!(change_of(&d["containers"], "name", "rg-web"), "added");
    assert_eq!(change_of(&d["containers"], "name", "rg-old"), "removed");
    let web = named(&d["containers"], "name", "rg-web")[0];
    assert_eq!(web["image"], "rg-base:1");
    assert_eq!(web["after"]["state"], "running");
    let port = &web["after"]["ports"][0];
    assert_eq!((port["host_ip"].as_str(), port["container_port"].as_u64(), port["wildcard"].as_bool()),
        (Some("0.0.0.0"), Some(80), Some(true)), "{web:#}");
    assert_eq!(change_of(&d["volumes"], "name", "rg-vol"), "added");
    assert_eq!(change_of(&d["volumes"], "name", "rg-old-vol"), "removed");
    assert_eq!(change_of(&d["networks"], "name", "rg-net"), "added");
    assert_eq!(named(&d["networks"], "name", "rg-net")[0]["driver"], "bridge");

    let images = d["images"].as_array().unwrap();
    let with_tag = |tag: &str| images.iter().filter(|i| i["tags"].as_array().unwrap().iter().any(|t| t == tag)).collect();
    let new: Vec<&Value> = with_tag("rg-new:1");
    assert_eq!(new.len(), 1, "{images:#?}");
    assert_eq!(new[0]["change"], "added");
    let retagged: Vec<&Value> = with_tag("rg-base:retagged");
    assert_eq!(retagged.len(), 1, "{images:#?}");
    assert_eq!(retagged[0]["change"], "changed");
    assert_eq!(retagged[0]["tags_before"], serde_json::json!(["rg-base:1"]));
    assert_eq!(images.len(), 2, "no other image changed: {images:#?}");

    let notes = receipt["risk"]["notes"].as_array().unwrap();
    let note = notes.iter().find(|n| n["id"] == "docker-wildcard-port").expect("a wildcard-port note");
    assert!(note["evidence"][0].as_str().unwrap().contains("rg-web"), "{note:#}");
    assert_eq!(coverage(&receipt)["confidence"], "partial");
}

#[test]
fn deep_mode_sees_docker_changes_too() {
    let Some(engine) = engine_or_skip("docker changes in deep mode") else { return };
    let _turn = engine.turn();
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = run(data.path(), work.path(), &engine.host(), &["--deep"], "docker volume create rg-deep-vol");
    engine.docker(&["volume", "rm", "rg-deep-vol"]);
    assert!(out.status.success(), "runglass failed: {}", stderr(&out));
    let receipt = latest_json(data.path());
    assert_eq!(receipt["mode"], "deep");
    assert_eq!(change_of(&receipt["docker"]["volumes"], "name", "rg-deep-vol"), "added");
}

#[test]
fn without_an_engine_the_receipt_says_so_in_one_line_and_the_run_is_as_usual() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let host = format!("unix://{}/no-such.sock", work.path().display());
    let out = run(data.path(), work.path(), &host, &[], "echo made > out.txt; exit 3");
    assert_eq!(out.status.code(), Some(3), "the command's status: {}", stderr(&out));
    let receipt = latest_json(data.path());
    let reason = receipt["docker"]["unavailable"].as_str().expect("a reason");
    assert!(!reason.contains('\n') && reason.contains("no-such.sock"), "{reason}");
    assert_eq!(receipt["docker"]["containers"], serde_json::json!([]));
    assert_eq!(coverage(&receipt)["confidence"], "none");
    assert!(coverage(&receipt)["note"].as_str().unwrap().contains("not observed"));
    assert_eq!(receipt["files"]["changes"][0]["path"], "out.txt");
}

#[test]
fn an_engine_that_never_answers_is_given_up_on_after_the_short_timeout() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // Connections queue in the backlog but are never accepted or answered.
    let sock = work.path().join("silent.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let out = run(data.path(), work.path(), &format!("unix://{}", sock.display()), &[], "true");
    assert!(out.status.success(), "runglass failed: {}", stderr(&out));
    let receipt = latest_json(data.path());
    let reason = receipt["docker"]["unavailable"].as_str().expect("a reason");
    assert!(reason.contains("no answer within 1000 ms"), "{reason}");
}
