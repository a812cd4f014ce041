//! `runglass github detect`: the build runglass runs in. `runglass github comment`: a
//! receipt's compact summary posted on the build's pull request, updated in place when
//! runglass commented there before.

use anyhow::{Context, anyhow, bail};

use crate::args::{GithubCommand, GithubCommentArgs, GithubDetectArgs};
use crate::commands::validate;
use crate::github::api::Api;
use crate::github::comment::{self, Posted, Target};
use crate::github::detect::{self, Detected, Source};
use crate::github::endpoint::{DEFAULT_API_URL, Endpoint};
use crate::github::repo::Repo;
use crate::github::token::{self, Token};
use crate::store::catalog;

pub fn run(command: GithubCommand) -> anyhow::Result<u8> {
    match command {
        GithubCommand::Detect(args) => detect(args),
        GithubCommand::Comment(args) => comment(args),
    }
}

fn detect(args: GithubDetectArgs) -> anyhow::Result<u8> {
    let build = detect_here()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&build)?);
        return Ok(0);
    }
    let or_none = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    println!("source        {}", or_none(build.source.map(|s| s.as_str().to_string())));
    println!("repository    {}", or_none(build.repository));
    println!("pull request  {}", or_none(build.pull_request.map(|n| n.to_string())));
    println!("commit        {}", or_none(build.commit));
    println!("run url       {}", or_none(build.run_url));
    println!("server url    {}", or_none(build.server_url));
    Ok(0)
}

fn comment(args: GithubCommentArgs) -> anyhow::Result<u8> {
    let api_url = args.api_url.clone().or_else(|| std::env::var("GITHUB_API_URL").ok().filter(|u| !u.is_empty()));
    let endpoint = Endpoint::parse(api_url.as_deref().unwrap_or(DEFAULT_API_URL))?;
    let build = detect_here()?;
    let target = match target(&args, &build)? {
        Commentable::On(target) => target,
        Commentable::Skip(why) => {
            eprintln!("runglass: {why}; not commenting");
            return Ok(0);
        }
    };
    let path = validate::locate(&args.receipt)?;
    let receipt = catalog::load(&path)?;
    let body = comment::body(&target, &runglass_render::summary_md::summary(&receipt), build.run_url.as_deref());
    if args.dry_run {
        print_plan(&endpoint, &target, &body);
        return Ok(0);
    }
    let token = Token::find(endpoint.gh_host())?;
    let api = Api::new(endpoint, &token);
    // Every message that leaves is redacted once more: GitHub's messages already are, but
    // a token must not reach a CI log through any other error either.
    let redacted = |e: anyhow::Error| anyhow!(token::redact(&format!("{e:#}"), Some(&token)));
    let posted = comment::post(&api, &target, &body).map_err(redacted)?;
    match posted {
        Posted::Created(c) => println!("commented on {target}: {}", c.html_url),
        Posted::Updated(c) => println!("updated the comment on {target}: {}", c.html_url),
    }
    Ok(0)
}

fn detect_here() -> anyhow::Result<Detected> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    Ok(detect::detect(&cwd))
}

/// What `comment` is to do.
enum Commentable {
    On(Target),
    /// With --auto, the build has no pull request; why, in a few words.
    Skip(String),
}

/// The pull request to comment on: --repo and --pr, what detection found for the rest.
fn target(args: &GithubCommentArgs, build: &Detected) -> anyhow::Result<Commentable> {
    // GitLab's project and merge request are not GitHub's.
    let on_github = matches!(build.source, Some(Source::GithubActions | Source::GitRemote));
    let detected = match build.repository.as_deref().filter(|_| on_github) {
        Some(r) => Some(Repo::parse(r).context("the detected repository")?),
        None => None,
    };
    let repo = match &args.repo {
        Some(r) => Repo::parse(r)?,
        None => match detected.clone() {
            Some(repo) => repo,
            None if args.auto => return Ok(Commentable::Skip("no GitHub repository in this build".into())),
            None => bail!("no repository: give --repo OWNER/NAME (none in the CI environment or the remote origin)"),
        },
    };
    // A detected pull request is only the given repository's when that is the detected one.
    let pr = args.pr.or(build.pull_request.filter(|_| detected.as_ref() == Some(&repo)));
    match pr {
        Some(pr) => Ok(Commentable::On(Target { repo, pr })),
        None if args.auto => Ok(Commentable::Skip(format!("this build of {repo} is not for a pull request"))),
        None => bail!("no pull request: give --pr N, or --auto to post nothing on builds that are not for one"),
    }
}

/// What `comment` would send; the network is not used, and no token is needed.
fn print_plan(endpoint: &Endpoint, target: &Target, body: &str) {
    let (repo, pr) = (&target.repo, target.pr);
    println!("GET {}", endpoint.user_url());
    println!("GET {}  (and every next page)", endpoint.comments_url(repo, pr));
    let marker = comment::marker(target);
    println!("PATCH {}  (when an earlier comment starts with {marker})", endpoint.comment_url(repo, "ID"));
    println!("POST {}  (otherwise)", endpoint.new_comment_url(repo, pr));
    println!("{}", serde_json::json!({ "body": body }));
}
