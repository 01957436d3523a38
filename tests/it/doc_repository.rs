//! Repository addresses (`https://github.com/OWNER/REPO` and the GitLab and Codeberg forms) load
//! the README from the forge's raw host; here a local server stands in for the raw hosts
//! (`AGENT_INSTALL_RAW_BASE_URL`), so the rewrite is tested without the network, and the
//! server's request log shows exactly which files were asked for.

use std::path::Path;

use crate::common::{FileServer, agent_install, run_expecting};

const README_WITH_COMMANDS: &str = "# Widget\n\nA widget.\n\n## Install\n\n```sh\n\
apt-get install -y widget\n```\n";

const README_POINTING_ELSEWHERE: &str = "# Widget\n\nA widget. To install it, see \
[the install guide](INSTALL.md#linux).\n";

const INSTALL_GUIDE: &str = "# Installing widget\n\n```sh\ncargo install widget-cli\n```\n";

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// `agent-install doc URL --json` with the raw hosts replaced by `server`.
fn doc(url: &str, server: &FileServer, status: i32) -> crate::common::Output {
    run_expecting(
        agent_install()
            .args(["doc", url, "--json"])
            .env("AGENT_INSTALL_RAW_BASE_URL", server.url("")),
        status,
    )
}

fn parsed(output: &crate::common::Output) -> serde_json::Value {
    serde_json::from_str(&output.stdout).expect("doc --json is JSON")
}

fn fetched(doc: &serde_json::Value) -> String {
    doc["origin"]["fetched"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_github_repository_loads_its_readme() {
    let served = tempfile::tempdir().expect("temp dir");
    write(
        served.path(),
        "owner/widget/HEAD/README.md",
        README_WITH_COMMANDS,
    );
    write(
        served.path(),
        "owner/widget/v2/docs/cli/README.md",
        INSTALL_GUIDE,
    );
    let server = FileServer::serve(served.path());
    for url in [
        "https://github.com/owner/widget",
        "https://github.com/owner/widget/",
        "https://github.com/owner/widget.git",
        "https://www.github.com/owner/widget",
    ] {
        let output = doc(url, &server, 0);
        let view = parsed(&output);
        assert!(
            output.stdout.contains("apt-get install -y widget"),
            "{url}: {}",
            output.stdout
        );
        assert_eq!(view["origin"]["requested"], url);
        assert_eq!(
            fetched(&view),
            server.url("/owner/widget/HEAD/README.md"),
            "{url}"
        );
    }
    let output = doc(
        "https://github.com/owner/widget/tree/v2/docs/cli",
        &server,
        0,
    );
    assert!(
        output.stdout.contains("cargo install widget-cli"),
        "{}",
        output.stdout
    );
    // Only the raw paths were asked for: never the repository page itself.
    for request in server.requests() {
        assert!(
            request.contains("/README.md"),
            "unexpected request {request}"
        );
    }
}

#[test]
fn other_readme_names_are_tried_in_order() {
    let served = tempfile::tempdir().expect("temp dir");
    write(
        served.path(),
        "owner/old/HEAD/README.rst",
        "Old\n===\n\n::\n\n    make install\n",
    );
    let server = FileServer::serve(served.path());
    let output = doc("https://github.com/owner/old", &server, 0);
    assert!(fetched(&parsed(&output)).ends_with("/owner/old/HEAD/README.rst"));
    let asked: Vec<String> = server.requests();
    let position = |name: &str| asked.iter().position(|request| request.contains(name));
    assert!(
        position("/README.md").unwrap() < position("/README.rst").unwrap(),
        "{asked:?}"
    );
}

#[test]
fn a_readme_that_points_to_an_install_file_is_followed() {
    let served = tempfile::tempdir().expect("temp dir");
    write(
        served.path(),
        "owner/widget/HEAD/README.md",
        README_POINTING_ELSEWHERE,
    );
    write(served.path(), "owner/widget/HEAD/INSTALL.md", INSTALL_GUIDE);
    let server = FileServer::serve(served.path());
    let output = doc("https://github.com/owner/widget", &server, 0);
    let view = parsed(&output);
    assert_eq!(fetched(&view), server.url("/owner/widget/HEAD/INSTALL.md"));
    assert!(
        output.stdout.contains("cargo install widget-cli"),
        "{}",
        output.stdout
    );
    let warnings = view["warnings"].to_string();
    assert!(
        warnings.contains("points to `INSTALL.md#linux`"),
        "{warnings}"
    );

    // A link that leads nowhere leaves the README as the doc, with a warning.
    let served = tempfile::tempdir().expect("temp dir");
    write(
        served.path(),
        "owner/widget/HEAD/README.md",
        README_POINTING_ELSEWHERE,
    );
    let server = FileServer::serve(served.path());
    let output = doc("https://github.com/owner/widget", &server, 0);
    let view = parsed(&output);
    assert_eq!(fetched(&view), server.url("/owner/widget/HEAD/README.md"));
    assert!(
        view["warnings"].to_string().contains("could not be loaded"),
        "{}",
        output.stdout
    );
}

#[test]
fn gitlab_and_codeberg_repositories_load_their_readme() {
    let served = tempfile::tempdir().expect("temp dir");
    write(
        served.path(),
        "group/sub/widget/-/raw/HEAD/README.md",
        README_WITH_COMMANDS,
    );
    write(
        served.path(),
        "group/sub/widget/-/raw/main/docs/INSTALL.md",
        INSTALL_GUIDE,
    );
    // Codeberg's default branch here is `master`: `main` is tried first and misses.
    write(
        served.path(),
        "owner/widget/raw/branch/master/README.md",
        README_WITH_COMMANDS,
    );
    write(
        served.path(),
        "owner/widget/raw/branch/dev/INSTALL.md",
        INSTALL_GUIDE,
    );
    let server = FileServer::serve(served.path());
    for (url, expected) in [
        (
            "https://gitlab.com/group/sub/widget",
            "/group/sub/widget/-/raw/HEAD/README.md",
        ),
        (
            "https://gitlab.com/group/sub/widget.git",
            "/group/sub/widget/-/raw/HEAD/README.md",
        ),
        (
            "https://gitlab.com/group/sub/widget/-/blob/main/docs/INSTALL.md",
            "/group/sub/widget/-/raw/main/docs/INSTALL.md",
        ),
        (
            "https://codeberg.org/owner/widget",
            "/owner/widget/raw/branch/master/README.md",
        ),
        (
            "https://codeberg.org/owner/widget/src/branch/dev/INSTALL.md",
            "/owner/widget/raw/branch/dev/INSTALL.md",
        ),
    ] {
        let output = doc(url, &server, 0);
        assert_eq!(fetched(&parsed(&output)), server.url(expected), "{url}");
    }
    assert!(
        server
            .requests()
            .iter()
            .any(|request| request.contains("/owner/widget/raw/branch/main/README.md")),
        "main is tried before master"
    );
}

#[test]
fn a_repository_without_a_readme_is_a_clear_error() {
    let served = tempfile::tempdir().expect("temp dir");
    let server = FileServer::serve(served.path());
    let output = run_expecting(
        agent_install()
            .args(["doc", "https://github.com/owner/empty"])
            .env("AGENT_INSTALL_RAW_BASE_URL", server.url("")),
        3,
    );
    assert!(
        output
            .stderr
            .contains("`https://github.com/owner/empty` is a repository, but no README was found"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("README.md, README.markdown"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("hint: pass the URL of the install doc"),
        "{}",
        output.stderr
    );
    // A server error is not "no README": it is reported as it is.
    let output = run_expecting(
        agent_install()
            .args(["doc", "https://github.com/owner/empty"])
            .env("AGENT_INSTALL_RAW_BASE_URL", "http://127.0.0.1:9"),
        3,
    );
    assert!(
        output.stderr.contains("could not connect"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_run_of_a_repository_url_plans_from_its_readme() {
    let served = tempfile::tempdir().expect("temp dir");
    write(
        served.path(),
        "owner/widget/HEAD/README.md",
        README_WITH_COMMANDS,
    );
    let server = FileServer::serve(served.path());
    let output = run_expecting(
        agent_install()
            .args([
                "plan",
                "https://github.com/owner/widget",
                "--format",
                "json",
            ])
            .env("AGENT_INSTALL_RAW_BASE_URL", server.url("")),
        0,
    );
    assert!(
        output.stdout.contains("apt-get install -y widget"),
        "{}",
        output.stdout
    );
}

#[test]
fn a_download_is_reported_with_its_size_at_info_level() {
    let served = tempfile::tempdir().expect("temp dir");
    write(
        served.path(),
        "owner/widget/HEAD/README.md",
        README_WITH_COMMANDS,
    );
    let server = FileServer::serve(served.path());
    let output = run_expecting(
        agent_install()
            .args(["-v", "doc", "https://github.com/owner/widget"])
            .env("AGENT_INSTALL_RAW_BASE_URL", server.url("")),
        0,
    );
    let size = README_WITH_COMMANDS.len();
    assert!(
        output.stderr.contains(&format!(
            "fetched {}: {size} B in ",
            server.url("/owner/widget/HEAD/README.md")
        )),
        "{}",
        output.stderr
    );
}
