//! Container and CI detection.
//!
//! Both change what a sensible install looks like: in a container there is usually no systemd,
//! no sudo and a throwaway root; in CI nobody answers a prompt. Detection is split into
//! gathering the signals (files, environment variables) and deciding from them, so the
//! decision is a pure function the tests feed with made-up inputs.

use std::path::Path;

/// The environment variable container engines set for PID 1 (podman, systemd-nspawn, LXC, ...).
pub const CONTAINER_VARIABLE: &str = "container";
/// Set in every Kubernetes pod.
pub const KUBERNETES_VARIABLE: &str = "KUBERNETES_SERVICE_HOST";
/// The generic "this is a CI job" variable most CI systems set.
pub const CI_VARIABLE: &str = "CI";

/// CI systems, each with the variable that identifies it. Checked in order, before the generic
/// `CI` variable.
pub const CI_SYSTEMS: &[(&str, &str)] = &[
    ("GITHUB_ACTIONS", "github-actions"),
    ("GITLAB_CI", "gitlab-ci"),
    ("CIRCLECI", "circleci"),
    ("TRAVIS", "travis"),
    ("BUILDKITE", "buildkite"),
    ("JENKINS_URL", "jenkins"),
    ("TF_BUILD", "azure-pipelines"),
    ("BITBUCKET_BUILD_NUMBER", "bitbucket-pipelines"),
    ("TEAMCITY_VERSION", "teamcity"),
    ("DRONE", "drone"),
    ("WOODPECKER", "woodpecker"),
    ("APPVEYOR", "appveyor"),
    ("CODEBUILD_BUILD_ID", "aws-codebuild"),
    ("SEMAPHORE", "semaphore"),
];

/// What the machine shows about running in a container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerSignals {
    /// The `container` environment variable.
    pub container_variable: Option<String>,
    /// The content of `/run/systemd/container` (systemd writes the engine's name there).
    pub systemd_container: Option<String>,
    /// `/run/.containerenv` exists (podman, buildah).
    pub containerenv: bool,
    /// `/.dockerenv` exists (docker).
    pub dockerenv: bool,
    /// `KUBERNETES_SERVICE_HOST` is set.
    pub kubernetes: bool,
    /// The content of `/proc/1/cgroup`.
    pub init_cgroup: Option<String>,
}

impl ContainerSignals {
    /// Reads the signals from this machine (files under `root`, variables from the process).
    pub fn gather(root: &Path) -> ContainerSignals {
        let read = |relative: &str| std::fs::read_to_string(root.join(relative)).ok();
        ContainerSignals {
            container_variable: std::env::var(CONTAINER_VARIABLE).ok(),
            systemd_container: read("run/systemd/container"),
            containerenv: root.join("run/.containerenv").exists(),
            dockerenv: root.join(".dockerenv").exists(),
            kubernetes: std::env::var_os(KUBERNETES_VARIABLE).is_some(),
            init_cgroup: read("proc/1/cgroup"),
        }
    }
}

/// The container engine this runs in (`docker`, `podman`, `lxc`, `kubernetes`, ...), or `None`
/// on a plain machine. Explicit names beat marker files, which beat cgroup path guesses.
pub fn detect_container(signals: &ContainerSignals) -> Option<String> {
    let named = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_string)
    };
    if let Some(name) = named(&signals.container_variable) {
        return Some(name);
    }
    if let Some(name) = named(&signals.systemd_container) {
        return Some(name);
    }
    if signals.containerenv {
        return Some("podman".to_string());
    }
    if signals.dockerenv {
        return Some("docker".to_string());
    }
    if signals.kubernetes {
        return Some("kubernetes".to_string());
    }
    let cgroup = signals.init_cgroup.as_deref()?;
    // Cgroup v1 paths name the engine; under cgroup v2 PID 1 usually sees `0::/`, which
    // tells nothing, so no guess is made from it.
    const CGROUP_MARKERS: &[(&str, &str)] = &[
        ("kubepods", "kubernetes"),
        ("libpod", "podman"),
        ("/docker", "docker"),
        ("docker-", "docker"),
        ("/lxc", "lxc"),
        ("lxc.payload", "lxc"),
        ("containerd", "containerd"),
    ];
    CGROUP_MARKERS
        .iter()
        .find(|(marker, _)| cgroup.contains(marker))
        .map(|(_, name)| name.to_string())
}

/// The CI system this runs under (`github-actions`, `gitlab-ci`, ...), `ci` for an unnamed one
/// that only sets `CI`, or `None` outside CI. `variable` looks an environment variable up, so
/// tests can pass a map instead of the process environment.
pub fn detect_ci(variable: impl Fn(&str) -> Option<String>) -> Option<String> {
    let set = |name: &str| variable(name).is_some_and(|value| is_truthy(&value));
    if let Some((_, system)) = CI_SYSTEMS.iter().find(|(name, _)| set(name)) {
        return Some(system.to_string());
    }
    set(CI_VARIABLE).then(|| "ci".to_string())
}

/// How CI systems spell "yes": anything but empty, `0`, `false`, `no` or `off`. Jenkins sets
/// `JENKINS_URL` to a URL, so any other value counts.
fn is_truthy(value: &str) -> bool {
    let value = value.trim();
    !(value.is_empty()
        || value == "0"
        || value.eq_ignore_ascii_case("false")
        || value.eq_ignore_ascii_case("no")
        || value.eq_ignore_ascii_case("off"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn plain_machine_is_no_container() {
        assert_eq!(detect_container(&ContainerSignals::default()), None);
        let cgroup_v2 = ContainerSignals {
            init_cgroup: Some("0::/\n".to_string()),
            ..ContainerSignals::default()
        };
        assert_eq!(detect_container(&cgroup_v2), None);
        let systemd_host = ContainerSignals {
            init_cgroup: Some("1:name=systemd:/init.scope\n0::/init.scope\n".to_string()),
            ..ContainerSignals::default()
        };
        assert_eq!(detect_container(&systemd_host), None);
    }

    #[test]
    fn marker_files() {
        let docker = ContainerSignals {
            dockerenv: true,
            ..ContainerSignals::default()
        };
        assert_eq!(detect_container(&docker).as_deref(), Some("docker"));
        let podman = ContainerSignals {
            containerenv: true,
            dockerenv: true,
            ..ContainerSignals::default()
        };
        assert_eq!(detect_container(&podman).as_deref(), Some("podman"));
    }

    #[test]
    fn explicit_names_win() {
        let signals = ContainerSignals {
            container_variable: Some("systemd-nspawn".to_string()),
            dockerenv: true,
            ..ContainerSignals::default()
        };
        assert_eq!(
            detect_container(&signals).as_deref(),
            Some("systemd-nspawn")
        );
        let systemd = ContainerSignals {
            systemd_container: Some("lxc\n".to_string()),
            ..ContainerSignals::default()
        };
        assert_eq!(detect_container(&systemd).as_deref(), Some("lxc"));
        let empty_variable = ContainerSignals {
            container_variable: Some(String::new()),
            dockerenv: true,
            ..ContainerSignals::default()
        };
        assert_eq!(detect_container(&empty_variable).as_deref(), Some("docker"));
    }

    #[test]
    fn cgroup_paths() {
        let cgroup = |text: &str| ContainerSignals {
            init_cgroup: Some(text.to_string()),
            ..ContainerSignals::default()
        };
        assert_eq!(
            detect_container(&cgroup("12:memory:/docker/3f2a9c\n")).as_deref(),
            Some("docker")
        );
        assert_eq!(
            detect_container(&cgroup("0::/system.slice/docker-3f2a9c.scope\n")).as_deref(),
            Some("docker")
        );
        assert_eq!(
            detect_container(&cgroup("11:cpu:/kubepods/besteffort/pod1/abc\n")).as_deref(),
            Some("kubernetes")
        );
        assert_eq!(
            detect_container(&cgroup("0::/lxc.payload.web/init.scope\n")).as_deref(),
            Some("lxc")
        );
        let kubernetes = ContainerSignals {
            kubernetes: true,
            ..ContainerSignals::default()
        };
        assert_eq!(detect_container(&kubernetes).as_deref(), Some("kubernetes"));
    }

    fn ci(variables: &[(&str, &str)]) -> Option<String> {
        let map: HashMap<String, String> = variables
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        detect_ci(|name| map.get(name).cloned())
    }

    #[test]
    fn ci_systems() {
        assert_eq!(ci(&[]), None);
        assert_eq!(
            ci(&[("CI", "true"), ("GITHUB_ACTIONS", "true")]).as_deref(),
            Some("github-actions")
        );
        assert_eq!(ci(&[("GITLAB_CI", "true")]).as_deref(), Some("gitlab-ci"));
        assert_eq!(
            ci(&[("JENKINS_URL", "https://jenkins.example/")]).as_deref(),
            Some("jenkins")
        );
        assert_eq!(ci(&[("CI", "1")]).as_deref(), Some("ci"));
        assert_eq!(ci(&[("CI", "true")]).as_deref(), Some("ci"));
    }

    #[test]
    fn ci_false_values_are_no_ci() {
        assert_eq!(ci(&[("CI", "false")]), None);
        assert_eq!(ci(&[("CI", "0")]), None);
        assert_eq!(ci(&[("CI", "")]), None);
        assert_eq!(ci(&[("GITHUB_ACTIONS", "false")]), None);
    }
}
