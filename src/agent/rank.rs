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

use crate::doc::{Doc, Platform, RiskLevel, Route};

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
];

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
    (candidates, skipped)
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

fn tier_of(route: &Route) -> u8 {
    match route.risk.level {
        RiskLevel::SystemPackage => 0,
        RiskLevel::LanguagePackage => 1,
        RiskLevel::SourceBuild => 3,
        _ => 2,
    }
}
