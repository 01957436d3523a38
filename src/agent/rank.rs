//! Ranking a doc's routes against the machine the commands will run on.
//!
//! A route is *runnable* when it is meant for this platform, every tool it needs is present or
//! can be installed with the system package manager, and it does not need root where root is out
//! of reach. Runnable routes are ordered by tier, then by their order in the doc (authors list
//! the way they recommend first):
//!
//! 0. the system package manager, from the distribution's own repositories;
//! 1. a language package manager (pip, npm, cargo, ...);
//! 2. everything that trusts the project directly: release downloads, install scripts,
//!    third-party package repositories;
//! 3. building from source.

use crate::doc::{
    Command, CommandSource, Doc, Location, Platform, Risk, RiskLevel, Route, RouteKind, Shell, Step,
};
use crate::shell;

use super::packages::{Family, package_for};
use super::repair::Facts;

/// A route the agent may try, with why it ranks where it does.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub route: Route,
    pub tier: u8,
    pub reason: String,
}

/// A route that cannot run here, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub route: String,
    pub reason: String,
}

/// Tools no system package can provide on Linux: routes needing them are for other platforms.
const FOREIGN_TOOLS: &[&str] = &[
    "brew",
    "port",
    "winget",
    "scoop",
    "choco",
    "powershell",
    "pwsh",
    "pkg",
    "nix",
    "nix-env",
    "snap",
    "flatpak",
    "emerge",
    "xbps-install",
    "eopkg",
    "pkg_add",
    "pkgin",
    "guix",
    "opkg",
    "conda",
    "mamba",
    "micromamba",
];

/// Engines a container route can run with.
const CONTAINER_ENGINES: &[&str] = &["docker", "podman"];

/// The platform of the machine described by `facts`.
pub fn platform_of(facts: &Facts) -> Platform {
    match facts.family {
        Some(Family::Debian) => Platform::Debian,
        Some(Family::Fedora) => Platform::Fedora,
        Some(Family::Arch) => Platform::Arch,
        Some(Family::Alpine) => Platform::Alpine,
        None => Platform::AnyLinux,
    }
}

/// Splits the doc's routes into runnable candidates (best first) and skipped routes.
pub fn rank(doc: &Doc, facts: &Facts) -> (Vec<Candidate>, Vec<Skipped>) {
    let platform = platform_of(facts);
    let mut candidates = Vec::new();
    let mut skipped = Vec::new();
    for route in &doc.routes {
        match assess(route, platform, facts) {
            Ok((tier, reason)) => candidates.push(Candidate {
                route: route.clone(),
                tier,
                reason,
            }),
            Err(reason) => skipped.push(Skipped {
                route: route.id.clone(),
                reason,
            }),
        }
    }
    // A stable sort keeps the doc's order within a tier.
    candidates.sort_by_key(|candidate| candidate.tier);
    for route in outside_routes(doc, facts) {
        match assess(&route, platform, facts) {
            Ok((_, reason)) => candidates.push(Candidate {
                reason: format!("not from the doc: {}; {reason}", route.risk.note),
                route,
                tier: OUTSIDE_TIER,
            }),
            Err(reason) => skipped.push(Skipped {
                route: route.id.clone(),
                reason,
            }),
        }
    }
    (candidates, skipped)
}

/// The tier of routes the doc does not offer: tried after every route it does.
const OUTSIDE_TIER: u8 = 9;

/// The file name routes "not from the doc" cite, so plans and reports say where they came from.
pub const OUTSIDE_THE_DOC: &str = "not from the doc";

/// Whether a route was made by the planner rather than read from the doc.
pub fn is_outside_route(route_id: &str) -> bool {
    route_id.starts_with("outside-")
}

/// Routes the doc does not offer, looked up where this machine can install things: the
/// distribution's package of a product name, then (only when the doc names the product's
/// repository, so that the registry's metadata can be tied to it) the PyPI package through
/// pipx and the npm package. Their checks must run an executable named like the product
/// (see `verify`), and the pipx and npm routes check the package's metadata names the
/// product's repository, so a lookalike (`exa` for eza, PyPI's `jq` bindings) is not taken.
fn outside_routes(doc: &Doc, facts: &Facts) -> Vec<Route> {
    // A text with no install command at all is not an install doc: its title is no product.
    if doc.commands.is_empty() || facts.dry_run {
        return Vec::new();
    }
    let names: Vec<&str> = doc
        .product
        .names
        .iter()
        .map(String::as_str)
        .filter(|name| name.len() >= 2 && !name.contains('/') && !name.starts_with('@'))
        .take(3)
        .collect();
    if names.is_empty() {
        return Vec::new();
    }
    let mut routes = Vec::new();
    // Names the doc's own routes already install with this machine's package manager were
    // tried there (with the doc's own repositories and repairs): asking again adds nothing.
    let tried: Vec<String> = doc
        .routes
        .iter()
        .filter(|route| facts.family.map(family_kind) == Some(route.kind))
        .flat_map(|route| route.steps.iter())
        .flat_map(|step| crate::doc::packages_installed_by(&step.command.text))
        .collect();
    let untried: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| !tried.iter().any(|package| package == name))
        .collect();
    if let Some(family) = facts.family
        && !untried.is_empty()
    {
        let installs: Vec<String> = untried
            .iter()
            .map(|name| family.install_command(&[name]))
            .collect();
        routes.push(outside_route(
            "outside-system-package",
            family_kind(family),
            &format!("the distribution's package ({})", untried.join(" or ")),
            vec![family.refresh_command().to_string(), installs.join(" || ")],
            vec![family_tool(family)],
            RiskLevel::SystemPackage,
        ));
    }
    let Some(repository) = doc.product.repository.as_deref() else {
        return routes;
    };
    let repository = repository
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let first = names[0];
    // The repository comes from the doc: quoted, a `'` in it cannot end the word early.
    let quoted_repository = shell::quote_always(repository);
    routes.push(outside_route(
        "outside-pypi",
        RouteKind::Pipx,
        &format!("the PyPI package {first} through pipx"),
        vec![
            format!("PIPX_HOME=/opt/pipx PIPX_BIN_DIR=/usr/local/bin pipx install {first}"),
            format!(
                "grep -rqiF --include=METADATA {quoted_repository} /opt/pipx/venvs/{first}/lib"
            ),
        ],
        vec!["pipx".to_string()],
        RiskLevel::LanguagePackage,
    ));
    routes.push(outside_route(
        "outside-npm",
        RouteKind::Npm,
        &format!("the npm package {first}"),
        vec![
            format!("npm view {first} repository.url homepage | grep -qiF {quoted_repository}"),
            format!("npm install -g {first}"),
        ],
        vec!["npm".to_string()],
        RiskLevel::LanguagePackage,
    ));
    routes
}

/// The kind of the routes that use this family's package manager.
fn family_kind(family: Family) -> RouteKind {
    match family {
        Family::Debian => RouteKind::Apt,
        Family::Fedora => RouteKind::Dnf,
        Family::Arch => RouteKind::Pacman,
        Family::Alpine => RouteKind::Apk,
    }
}

fn family_tool(family: Family) -> String {
    match family {
        Family::Debian => "apt-get",
        Family::Fedora => "dnf",
        Family::Arch => "pacman",
        Family::Alpine => "apk",
    }
    .to_string()
}

fn outside_route(
    id: &str,
    kind: RouteKind,
    what: &str,
    commands: Vec<String>,
    tools: Vec<String>,
    level: RiskLevel,
) -> Route {
    let steps = commands
        .into_iter()
        .map(|text| Step {
            command: Command {
                text,
                shell: Shell::Sh,
                root: false,
                location: Location {
                    file: OUTSIDE_THE_DOC.to_string(),
                    line: 0,
                },
                section: Vec::new(),
                source: CommandSource::Inline,
                note: None,
            },
            prerequisite: false,
            tools: tools.clone(),
        })
        .collect();
    Route {
        id: id.to_string(),
        kind,
        title: format!("{what} (not from the doc)"),
        section: Vec::new(),
        platforms: vec![Platform::Any],
        tools,
        needs_root: kind.is_system_package_manager(),
        risk: Risk {
            level,
            note: what.to_string(),
        },
        steps,
    }
}

fn assess(route: &Route, platform: Platform, facts: &Facts) -> Result<(u8, String), String> {
    if !route
        .platforms
        .iter()
        .any(|route_platform| route_platform.overlaps(platform))
    {
        let meant_for: Vec<&str> = route.platforms.iter().map(|p| p.as_str()).collect();
        return Err(format!(
            "meant for {}, this machine is {platform}",
            meant_for.join("/")
        ));
    }
    if let Some(foreign) = route
        .tools
        .iter()
        .find(|tool| FOREIGN_TOOLS.contains(&tool.as_str()) && !facts.has(tool))
    {
        return Err(format!("needs {foreign}, which is not on this machine"));
    }
    // A container route runs the product inside an engine rather than installing it; bringing
    // an engine in (and its daemon) is not a repair of this install.
    if route.kind == RouteKind::Docker && !CONTAINER_ENGINES.iter().any(|tool| facts.has(tool)) {
        return Err(
            "runs the product in a container, and no container engine (docker, podman) is installed here"
                .to_string(),
        );
    }
    let has_prerequisites = route.steps.iter().any(|step| step.prerequisite);
    let mut to_install = Vec::new();
    for tool in &route.tools {
        if facts.has(tool) {
            continue;
        }
        if tool == "cargo" && !has_prerequisites {
            // Debian's own cargo is too old for most crates and cannot reach the registry index
            // on many networks; installing it is not a fix.
            return Err("needs cargo; install a current Rust toolchain (rustup) first".to_string());
        }
        let family = facts.family.unwrap_or(Family::Debian);
        if package_for(tool, family).is_none() && !has_prerequisites {
            return Err(format!(
                "needs {tool}, which is not installed and has no package here"
            ));
        }
        to_install.push(tool.as_str());
    }
    if let Some(origin) = route
        .steps
        .iter()
        .filter(|step| !satisfied_prerequisite(route, step, facts))
        .find_map(|step| unreachable_origin(&step.command.text, facts))
    {
        return Err(format!(
            "downloads from {origin}, which gave no answer from this machine"
        ));
    }
    if route.needs_root && !facts.is_root && !facts.can_sudo {
        return Err("needs root; run as root or set up sudo".to_string());
    }
    let tier = tier_of(route);
    let mut reason = match tier {
        0 => format!("{} packages from the distribution", route.kind),
        1 => format!("{} package from its language registry", route.kind),
        2 => format!("{} ({})", route.kind, route.risk.note),
        _ => "build from source".to_string(),
    };
    if !to_install.is_empty() {
        reason.push_str(&format!("; will install {}", to_install.join(", ")));
    }
    Ok((tier, reason))
}

/// The first origin a command downloads from that the reachability check found silent.
/// Whether a prerequisite step is not needed here. `step.tools` are what the prerequisite
/// itself needs (apt for `apt-get install python3-pip`), not what it provides: it is skipped
/// only when it provides one of the route's tools and all of those are already here.
pub(super) fn satisfied_prerequisite(route: &Route, step: &Step, facts: &Facts) -> bool {
    step.prerequisite
        && !route.tools.is_empty()
        && route.tools.iter().all(|tool| facts.has(tool))
        && provides_a_route_tool(&step.command.text, &route.tools, facts)
}

/// Whether a prerequisite command installs one of `tools`: it names the tool, the package that
/// provides it here, or (for cargo and rustc) rustup.
fn provides_a_route_tool(command: &str, tools: &[String], facts: &Facts) -> bool {
    let family = facts.family.unwrap_or(Family::Debian);
    let words: Vec<&str> = command
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')' | '/'))
        .collect();
    tools.iter().any(|tool| {
        let package = package_for(tool, family);
        words.iter().any(|word| {
            *word == tool
                || package.as_deref() == Some(*word)
                || (matches!(tool.as_str(), "cargo" | "rustc") && word.contains("rustup"))
        })
    })
}

fn unreachable_origin(command: &str, facts: &Facts) -> Option<String> {
    if facts.unreachable.is_empty() {
        return None;
    }
    command
        .split(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '(' | ')' | '<' | '>'))
        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
        .filter_map(crate::probe::origin_of)
        .find(|origin| facts.unreachable.contains(origin))
}

fn tier_of(route: &Route) -> u8 {
    match route.risk.level {
        RiskLevel::SystemPackage => 0,
        RiskLevel::LanguagePackage => 1,
        RiskLevel::SourceBuild => 3,
        _ => 2,
    }
}
