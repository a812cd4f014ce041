//! `runglass github comment` over real HTTP against a stand-in for GitHub's REST API on
//! 127.0.0.1: every request's method, path, query, headers and JSON body as the client
//! sent them; our earlier comment found on the third page and updated, a new one created
//! when none is ours, a refusal that names the missing permission, 5xx retried, a token
//! that never reaches the output. And `runglass github detect` from a fake GitHub Actions
//! environment and from a clone's remote.

#[path = "common/mod.rs"]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::{Value, json};

use common::{run_script, runglass, stderr};

/// Distinctive, and shaped like an Actions GITHUB_TOKEN, so that its absence from the
/// output means something.
const TOKEN: &str = "ghs_RunglassTestToken0123456789abcdefXyZ";
const MARKER: &str = "<!-- runglass-receipt acme/widgets#7 -->";
const COMMENTS: &str = "/repos/acme/widgets/issues/7/comments";

/// A request as the stand-in received it.
#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    /// Path and query.
    url: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Recorded {
    /// The value of the one header called `name`; fails when it is missing or repeated.
    fn header(&self, name: &str) -> &str {
        let values: Vec<&str> =
            self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect();
        assert_eq!(values.len(), 1, "header {name} in {:?}", self.headers);
        values[0]
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{} body {:?}: {e}", self.url, self.body))
    }
}

/// What the stand-in answers.
struct Reply {
    status: u16,
    link: Option<String>,
    body: Value,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply { status, link: None, body }
}

/// The stand-in: records every request and answers it with `answer(request, base URL)`.
struct FakeGitHub {
    base: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl FakeGitHub {
    fn start(answer: impl Fn(&Recorded, &str) -> Reply + Send + 'static) -> FakeGitHub {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let base = format!("http://127.0.0.1:{}", server.server_addr().to_ip().unwrap().port());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (s, b, r) = (server.clone(), base.clone(), requests.clone());
        let thread = std::thread::spawn(move || {
            for mut request in s.incoming_requests() {
                let mut body = String::new();
                request.as_reader().read_to_string(&mut body).unwrap();
                let recorded = Recorded {
                    method: request.method().as_str().to_string(),
                    url: request.url().to_string(),
                    headers: request.headers().iter().map(|h| (h.field.to_string(), h.value.to_string())).collect(),
                    body,
                };
                let Reply { status, link, body } = answer(&recorded, &b);
                r.lock().unwrap().push(recorded);
                let mut response = tiny_http::Response::from_string(body.to_string()).with_status_code(status);
                let content_type = tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap();
                response.add_header(content_type);
                if let Some(link) = link {
                    response.add_header(tiny_http::Header::from_bytes("Link", link).unwrap());
                }
                let _ = request.respond(response);
            }
        });
        FakeGitHub { base, requests, server, thread: Some(thread) }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn comment_json(id: u64, login: &str, kind: &str, body: &str) -> Value {
    json!({
        "id": id,
        "body": body,
        "user": { "login": login, "type": kind },
        "html_url": format!("https://github.com/acme/widgets/pull/7#issuecomment-{id}"),
    })
}

/// A receipt made by a real run, and the compact summary `export` writes for it.
struct Fixture {
    _dir: tempfile::TempDir,
    data: PathBuf,
    work: PathBuf,
    /// An empty directory: the PATH of runs that must find neither `gh` nor `git`.
    empty_bin: PathBuf,
    summary: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (data, work, empty_bin) = (dir.path().join("data"), dir.path().join("work"), dir.path().join("bin"));
    for d in [&data, &work, &empty_bin] {
        std::fs::create_dir(d).unwrap();
    }
    let out = run_script(&data, &work, &[], "echo hello > greeting.txt");
    assert!(out.status.success(), "run failed: {}", stderr(&out));
    let export = dir.path().join("export");
    let out = runglass(&data).args(["export", "--format", "summary-md", "-o"]).arg(&export).output().unwrap();
    assert!(out.status.success(), "export failed: {}", stderr(&out));
    let summary = std::fs::read_to_string(export.join("summary.md")).unwrap();
    Fixture { _dir: dir, data, work, empty_bin, summary }
}

impl Fixture {
    /// `runglass github ARGS` in the work directory with only the environment given: no
    /// CI variables, token or `gh` of the machine running the tests leak in.
    fn github(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_runglass"));
        cmd.current_dir(&self.work).env_clear().env("RUNGLASS_DATA_HOME", &self.data).env("HOME", &self.work);
        cmd.env("PATH", &self.empty_bin).envs(env.iter().copied());
        let out = cmd.arg("github").args(args).output().unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN), "the token was printed:\n{stdout}\n{stderr}");
        out
    }

    /// The comment runglass must send for this receipt.
    fn body(&self, run_url: Option<&str>) -> String {
        let link = run_url.map(|u| format!("\n[CI run]({u})\n")).unwrap_or_default();
        format!("{MARKER}\n{}{link}", self.summary)
    }

    /// A GitHub Actions job for a pull_request event on PR 7 of acme/widgets.
    fn actions_env(&self, event: &Value) -> Vec<(&'static str, String)> {
        let event_path = self.work.join("event.json");
        std::fs::write(&event_path, event.to_string()).unwrap();
        vec![
            ("GITHUB_ACTIONS", "true".into()),
            ("GITHUB_REPOSITORY", "acme/widgets".into()),
            ("GITHUB_EVENT_PATH", event_path.display().to_string()),
            ("GITHUB_REF", "refs/pull/7/merge".into()),
            ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567".into()),
            ("GITHUB_SERVER_URL", "https://github.com".into()),
            ("GITHUB_RUN_ID", "99".into()),
        ]
    }
}

fn pairs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The headers every API request must carry.
fn assert_github_headers(r: &Recorded) {
    assert_eq!(r.header("Authorization"), format!("Bearer {TOKEN}"), "{} {}", r.method, r.url);
    assert_eq!(r.header("Accept"), "application/vnd.github+json");
    assert_eq!(r.header("X-GitHub-Api-Version"), "2022-11-28");
    assert_eq!(r.header("User-Agent"), concat!("runglass/", env!("CARGO_PKG_VERSION")));
    if r.method != "GET" {
        assert_eq!(r.header("Content-Type"), "application/json");
    }
}

fn calls(requests: &[Recorded]) -> Vec<String> {
    requests.iter().map(|r| format!("{} {}", r.method, r.url)).collect()
}

/// A stand-in whose token belongs to the user `robot`, with these comments on one page;
/// posting answers with comment 900.
fn simple_github(existing: Vec<Value>) -> FakeGitHub {
    FakeGitHub::start(move |r, _| match (r.method.as_str(), r.url.as_str()) {
        ("GET", "/user") => reply(200, json!({ "login": "robot", "type": "User" })),
        ("GET", _) => reply(200, Value::Array(existing.clone())),
        ("POST", _) => reply(201, comment_json(900, "robot", "User", r.json()["body"].as_str().unwrap_or(""))),
        _ => reply(405, json!({ "message": "unexpected" })),
    })
}

#[test]
fn updates_our_comment_found_on_the_third_page() {
    let fx = fixture();
    let marked = |rest: &str| format!("{MARKER}\n{rest}");
    let github = FakeGitHub::start(move |r, base| {
        let page = |n: u32| format!("<{base}/repositories/4242/issues/7/comments?per_page=100&page={n}>");
        match (r.method.as_str(), r.url.as_str()) {
            // The GITHUB_TOKEN of Actions is an app installation's: it has no user.
            ("GET", "/user") => reply(403, json!({ "message": "Resource not accessible by integration" })),
            ("GET", "/repos/acme/widgets/issues/7/comments?per_page=100") => Reply {
                status: 200,
                link: Some(format!(r#"{}; rel="next", {}; rel="last""#, page(2), page(3))),
                // Someone's comment that starts with our marker is not ours.
                body: json!([comment_json(101, "mallory", "User", &marked("not yours"))]),
            },
            ("GET", "/repositories/4242/issues/7/comments?per_page=100&page=2") => Reply {
                status: 200,
                link: Some(format!(r#"{}; rel="prev", {}; rel="next""#, page(1), page(3))),
                // A bot quoting our comment does not start with the marker.
                body: json!([comment_json(201, "github-actions[bot]", "Bot", &format!("> {MARKER}"))]),
            },
            ("GET", "/repositories/4242/issues/7/comments?per_page=100&page=3") => Reply {
                status: 200,
                link: Some(format!(r#"{}; rel="prev""#, page(2))),
                body: json!([comment_json(303, "github-actions[bot]", "Bot", &marked("the old summary"))]),
            },
            ("PATCH", "/repos/acme/widgets/issues/comments/303") => {
                reply(200, comment_json(303, "github-actions[bot]", "Bot", r.json()["body"].as_str().unwrap()))
            }
            _ => reply(404, json!({ "message": "Not Found" })),
        }
    });
    let mut env = fx.actions_env(&json!({ "action": "synchronize", "pull_request": { "number": 7 } }));
    env.push(("GITHUB_TOKEN", TOKEN.into()));
    let out = fx.github(&["comment", "--auto", "--api-url", &github.base], &pairs(&env));

    assert!(out.status.success(), "comment failed: {}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "updated the comment on acme/widgets#7: https://github.com/acme/widgets/pull/7#issuecomment-303\n"
    );
    let requests = github.requests();
    assert_eq!(
        calls(&requests),
        [
            "GET /user",
            "GET /repos/acme/widgets/issues/7/comments?per_page=100",
            "GET /repositories/4242/issues/7/comments?per_page=100&page=2",
            "GET /repositories/4242/issues/7/comments?per_page=100&page=3",
            "PATCH /repos/acme/widgets/issues/comments/303",
        ]
    );
    requests.iter().for_each(assert_github_headers);
    let body = fx.body(Some("https://github.com/acme/widgets/actions/runs/99"));
    assert_eq!(requests[4].json(), json!({ "body": body }));
    assert!(requests[..4].iter().all(|r| r.body.is_empty()), "a GET carried a body");
}

#[test]
fn creates_a_comment_when_none_is_ours() {
    let fx = fixture();
    let github = simple_github(vec![
        comment_json(1, "someone", "User", &format!("{MARKER}\nnot by the token's user")),
        comment_json(2, "robot", "User", "robot's comment without the marker"),
    ]);
    let args = ["comment", "--repo", "acme/widgets", "--pr", "7", "--api-url", &github.base];
    let out = fx.github(&args, &[("GH_TOKEN", TOKEN)]);

    assert!(out.status.success(), "comment failed: {}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "commented on acme/widgets#7: https://github.com/acme/widgets/pull/7#issuecomment-900\n"
    );
    let requests = github.requests();
    let (listed, posted) = (format!("GET {COMMENTS}?per_page=100"), format!("POST {COMMENTS}"));
    assert_eq!(calls(&requests), ["GET /user", &listed, &posted]);
    requests.iter().for_each(assert_github_headers);
    // Outside CI there is no run to link.
    assert_eq!(requests[2].json(), json!({ "body": fx.body(None) }));
}

#[test]
fn the_token_comes_from_gh_when_no_variable_holds_one() {
    let fx = fixture();
    let bin = fx.work.join("gh-bin");
    std::fs::create_dir(&bin).unwrap();
    let gh = bin.join("gh");
    let args_file = fx.work.join("gh-args");
    std::fs::write(&gh, format!("#!/bin/sh\necho \"$@\" > '{}'\necho {TOKEN}\n", args_file.display())).unwrap();
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    let github = simple_github(Vec::new());
    let args = ["comment", "--repo", "acme/widgets", "--pr", "7", "--api-url", &github.base];
    let out = fx.github(&args, &[("PATH", bin.to_str().unwrap())]);

    assert!(out.status.success(), "comment failed: {}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&args_file).unwrap(), "auth token --hostname 127.0.0.1\n");
    github.requests().iter().for_each(assert_github_headers);
}

#[test]
fn without_any_token_it_says_where_one_comes_from() {
    let fx = fixture();
    let github = simple_github(Vec::new());
    let out = fx.github(&["comment", "--repo", "acme/widgets", "--pr", "7", "--api-url", &github.base], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "runglass: no GitHub token: set GITHUB_TOKEN or GH_TOKEN, or log in with `gh auth login`\n"
    );
    assert!(github.requests().is_empty());
}

#[test]
fn a_refused_comment_names_the_missing_permission() {
    let fx = fixture();
    let github = FakeGitHub::start(|r, _| match r.method.as_str() {
        "GET" if r.url == "/user" => reply(403, json!({ "message": "Resource not accessible by integration" })),
        "GET" => reply(200, json!([])),
        _ => reply(403, json!({ "message": "Resource not accessible by integration", "documentation_url": "x" })),
    });
    let args = ["comment", "--repo", "acme/widgets", "--pr", "7", "--api-url", &github.base];
    let out = fx.github(&args, &[("GITHUB_TOKEN", TOKEN)]);

    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "runglass: GitHub refused to comment on acme/widgets#7 (403: Resource not accessible by integration): \
         the token needs `pull-requests: write` (or `issues: write`) permission; \
         in Actions add `permissions: pull-requests: write` to the job\n"
    );
    assert_eq!(calls(&github.requests()).last().unwrap(), &format!("POST {COMMENTS}"));
}

#[test]
fn a_message_quoting_the_token_is_redacted() {
    let fx = fixture();
    let github = FakeGitHub::start(|_, _| {
        let message = format!("Bad credentials: {TOKEN} (also ghp_0123456789abcdefghijABCDEFGHIJ012345)");
        reply(401, json!({ "message": message }))
    });
    let args = ["comment", "--repo", "acme/widgets", "--pr", "7", "--api-url", &github.base];
    let out = fx.github(&args, &[("GITHUB_TOKEN", TOKEN)]);

    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "runglass: GitHub rejected the token (401: Bad credentials: [redacted] (also [redacted])): \
         it is wrong, expired or revoked; set GITHUB_TOKEN or GH_TOKEN to a valid one\n"
    );
}

#[test]
fn server_errors_are_retried_until_github_answers() {
    let fx = fixture();
    let posts = AtomicUsize::new(0);
    let github = FakeGitHub::start(move |r, _| match r.method.as_str() {
        "GET" if r.url == "/user" => reply(200, json!({ "login": "robot", "type": "User" })),
        "GET" => reply(200, json!([])),
        _ if posts.fetch_add(1, Ordering::SeqCst) < 2 => reply(502, json!({ "message": "Server Error" })),
        _ => reply(201, comment_json(900, "robot", "User", "x")),
    });
    let args = ["comment", "--repo", "acme/widgets", "--pr", "7", "--api-url", &github.base];
    let out = fx.github(&args, &[("GITHUB_TOKEN", TOKEN)]);

    assert!(out.status.success(), "comment failed: {}", stderr(&out));
    let requests = github.requests();
    let posted: Vec<&Recorded> = requests.iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posted.len(), 3, "{:?}", calls(&requests));
    assert!(posted.iter().all(|r| r.json() == json!({ "body": fx.body(None) })));
}

#[test]
fn a_server_error_that_persists_fails_in_one_line() {
    let fx = fixture();
    let github = FakeGitHub::start(|r, _| match r.url.as_str() {
        "/user" => reply(200, json!({ "login": "robot", "type": "User" })),
        _ => reply(503, json!({ "message": "Service Unavailable" })),
    });
    let args = ["comment", "--repo", "acme/widgets", "--pr", "7", "--api-url", &github.base];
    let out = fx.github(&args, &[("GITHUB_TOKEN", TOKEN)]);

    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "runglass: GitHub failed to list the comments of acme/widgets#7 (503: Service Unavailable), 3 times; \
         try again later\n"
    );
    let listed = format!("GET {COMMENTS}?per_page=100");
    assert_eq!(calls(&github.requests()), ["GET /user", listed.as_str(), &listed, &listed]);
}

#[test]
fn a_next_page_elsewhere_is_not_sent_the_token() {
    let fx = fixture();
    let github = FakeGitHub::start(|r, _| match r.url.as_str() {
        "/user" => reply(200, json!({ "login": "robot", "type": "User" })),
        _ => Reply {
            status: 200,
            link: Some(r#"<http://127.0.0.2:9/repositories/1/issues/7/comments?page=2>; rel="next""#.into()),
            body: json!([]),
        },
    });
    let args = ["comment", "--repo", "acme/widgets", "--pr", "7", "--api-url", &github.base];
    let out = fx.github(&args, &[("GITHUB_TOKEN", TOKEN)]);

    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not under the API URL; not sending the token there"), "{}", stderr(&out));
    assert_eq!(github.requests().len(), 2, "{:?}", calls(&github.requests()));
}

#[test]
fn auto_outside_a_pull_request_posts_nothing() {
    let fx = fixture();
    let github = simple_github(Vec::new());
    // A push event: neither the payload nor the ref names a pull request.
    let mut env = fx.actions_env(&json!({ "ref": "refs/heads/main", "commits": [] }));
    env.retain(|(name, _)| *name != "GITHUB_REF");
    env.push(("GITHUB_REF", "refs/heads/main".into()));
    // No token anywhere: none is needed to post nothing.
    let out = fx.github(&["comment", "--auto", "--api-url", &github.base], &pairs(&env));

    assert!(out.status.success(), "comment --auto failed: {}", stderr(&out));
    assert_eq!(stderr(&out), "runglass: this build of acme/widgets is not for a pull request; not commenting\n");
    assert!(github.requests().is_empty());
}

#[test]
fn without_auto_a_missing_pull_request_is_an_error() {
    let fx = fixture();
    let out = fx.github(&["comment", "--repo", "acme/widgets", "--api-url", "http://127.0.0.1:9"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no pull request: give --pr N, or --auto"), "{}", stderr(&out));
}

#[test]
fn dry_run_prints_the_requests_without_a_token_or_the_network() {
    let fx = fixture();
    let github = simple_github(Vec::new());
    let env = fx.actions_env(&json!({ "pull_request": { "number": 7 } }));
    let out = fx.github(&["comment", "--auto", "--dry-run", "--api-url", &github.base], &pairs(&env));

    assert!(out.status.success(), "dry run failed: {}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let base = &github.base;
    assert_eq!(lines[0], format!("GET {base}/user"));
    assert_eq!(lines[1], format!("GET {base}{COMMENTS}?per_page=100  (and every next page)"));
    assert_eq!(
        lines[2],
        format!("PATCH {base}/repos/acme/widgets/issues/comments/ID  (when an earlier comment starts with {MARKER})")
    );
    assert_eq!(lines[3], format!("POST {base}{COMMENTS}  (otherwise)"));
    let sent: Value = serde_json::from_str(lines[4]).unwrap();
    assert_eq!(sent, json!({ "body": fx.body(Some("https://github.com/acme/widgets/actions/runs/99")) }));
    assert_eq!(lines.len(), 5);
    assert!(github.requests().is_empty());
}

#[test]
fn plain_http_to_another_host_is_refused() {
    let fx = fixture();
    let args = ["comment", "--repo", "acme/widgets", "--pr", "7", "--api-url", "http://api.example.com"];
    let out = fx.github(&args, &[("GITHUB_TOKEN", TOKEN)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "runglass: refusing to send the token over plain http to api.example.com; use https\n");
}

#[test]
fn detects_a_github_actions_pull_request() {
    let fx = fixture();
    let mut env = fx.actions_env(&json!({ "pull_request": { "number": 12 } }));
    env.push(("GITHUB_RUN_ATTEMPT", "2".into()));
    let out = fx.github(&["detect", "--json"], &pairs(&env));

    assert!(out.status.success(), "detect failed: {}", stderr(&out));
    let detected: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        detected,
        json!({
            "source": "github_actions",
            "repository": "acme/widgets",
            // The event payload, not the ref (which says 7), names the pull request.
            "pull_request": 12,
            "commit": "0123456789abcdef0123456789abcdef01234567",
            "run_url": "https://github.com/acme/widgets/actions/runs/99/attempts/2",
            "server_url": "https://github.com",
        })
    );
}

#[test]
fn detects_the_repository_of_a_clone_outside_ci() {
    let fx = fixture();
    let git_dir = Path::new(&which_git()).parent().unwrap().to_path_buf();
    let git = |args: &[&str]| {
        let out = Command::new("git").current_dir(&fx.work).env("HOME", &fx.work).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q"]);
    git(&["remote", "add", "origin", "git@github.com:acme/widgets.git"]);
    git(&["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "first"]);
    let head = git(&["rev-parse", "HEAD"]);

    let out = fx.github(&["detect", "--json"], &[("PATH", git_dir.to_str().unwrap())]);
    assert!(out.status.success(), "detect failed: {}", stderr(&out));
    let detected: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        detected,
        json!({
            "source": "git_remote",
            "repository": "acme/widgets",
            "pull_request": null,
            "commit": head,
            "run_url": null,
            "server_url": "https://github.com",
        })
    );
    let out = fx.github(&["detect"], &[("PATH", git_dir.to_str().unwrap())]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("repository    acme/widgets\n") && text.contains("pull request  -\n"), "{text}");
}

/// Where git is: the tests run git themselves, and give runglass a PATH with only it.
fn which_git() -> String {
    let out = Command::new("sh").args(["-c", "command -v git"]).output().unwrap();
    assert!(out.status.success(), "git is not installed");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
