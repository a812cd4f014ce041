//! `runglass github detect`: the build runglass runs in. `runglass github comment`: a
//! receipt's compact summary posted on the build's pull request, updated in place when
//! runglass commented there before.

use anyhow::{Context, anyhow, bail};
use runglass_model::receipt::{CiBuild, CiProvider};

use crate::args::{GithubCommand, GithubCommentArgs, GithubDetectArgs};
use crate::commands::validate;
use crate::integrations::ci_build;
use crate::integrations::github::api::Api;
use crate::integrations::github::comment::{self, Posted};
use crate::integrations::github::endpoint::{DEFAULT_API_URL, Endpoint};
use crate::integrations::github::repo::Repo;
use crate::integrations::github::target::Target;
use crate::integrations::github::token::{self, Token};
use crate::store::catalog;

pub fn run(command: GithubCommand) -> anyhow::Result<u8> {
    match command {
        GithubCommand::Detect(args) => detect(args),
        GithubCommand::Comment(args) => comment(args),
    }
}

fn detect(args: GithubDetectArgs) -> anyhow::Result<u8> {
    let found = detect_here()?;
    let source = found.as_ref().map(|b| source_of(b.provider));
    let build = found.unwrap_or_else(ci_build::unknown);
    if args.json {
        let shown = serde_json::json!({
            "source": source,
            "repository": build.repository,
            "pull_request": build.pull_request,
            "commit": build.commit,
            "run_url": build.run_url,
            "server_url": build.server_url,
        });
        println!("{}", serde_json::to_string_pretty(&shown)?);
        return Ok(0);
    }
    let or_none = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    println!("source        {}", or_none(source.map(str::to_string)));
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
    let target = match target(&args, build.as_ref())? {
        Commentable::On(target) => target,
        Commentable::Skip(why) => {
            eprintln!("runglass: {why}; not commenting");
            return Ok(0);
        }
    };
    let path = validate::locate(&args.receipt)?;
    let receipt = catalog::load(&path)?;
    let body = comment::body(
        &target,
        &runglass_render::summary_md::summary(&receipt),
        build.as_ref().and_then(|b| b.run_url.as_deref()),
    );
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

/// The build here: the CI environment's, else the clone's origin; `None` when neither
/// says anything.
fn detect_here() -> anyhow::Result<Option<CiBuild>> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    Ok(ci_build::detect(&cwd))
}

/// Where `github detect` says the facts came from: outside CI, a generic build's facts are
/// those of the clone's origin on github.com.
fn source_of(provider: CiProvider) -> &'static str {
    match provider {
        CiProvider::Github => "github_actions",
        CiProvider::Gitlab => "gitlab_ci",
        CiProvider::Generic => "git_remote",
    }
}

/// What `comment` is to do.
enum Commentable {
    On(Target),
    /// With --auto, the build has no pull request; why, in a few words.
    Skip(String),
}

/// The pull request to comment on: --repo and --pr, what detection found for the rest.
fn target(args: &GithubCommentArgs, build: Option<&CiBuild>) -> anyhow::Result<Commentable> {
    // GitLab's project and merge request are not GitHub's.
    let build = build.filter(|b| b.provider != CiProvider::Gitlab);
    let detected = match build.and_then(|b| b.repository.as_deref()) {
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
    let pr = args.pr.or(build.and_then(|b| b.pull_request).filter(|_| detected.as_ref() == Some(&repo)));
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
