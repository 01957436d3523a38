//! Packages of the language package managers, read from the paths they wrote: an npm global
//! package is a new `lib/node_modules/NAME/package.json`, a pipx app a new `pipx/venvs/NAME`,
//! a pip package a new `site-packages/NAME-VERSION.dist-info` (outside pipx's venvs), a cargo
//! binary a new file in `.cargo/bin`. The delta is the evidence; versions come from the
//! package's own metadata on the target.

use std::collections::BTreeMap;
use std::path::Path;

use super::PackageChange;
use crate::sandbox::ChangeKind;

/// The packages the added paths reveal, in path order.
pub fn from_paths<'a>(
    paths: impl Iterator<Item = (&'a str, ChangeKind)>,
    root: &Path,
) -> Vec<PackageChange> {
    let mut found: BTreeMap<(String, String), Option<String>> = BTreeMap::new();
    for (path, kind) in paths {
        if kind != ChangeKind::Added {
            continue;
        }
        if let Some(name) = npm_package(path) {
            let manifest = root.join(path.trim_start_matches('/'));
            let version = std::fs::read_to_string(manifest)
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                .and_then(|value| value["version"].as_str().map(str::to_string));
            found.insert(("npm".to_string(), name), version);
        } else if let Some(name) = pipx_venv(path) {
            found.entry(("pipx".to_string(), name)).or_insert(None);
        } else if let Some((name, version)) = pip_distribution(path) {
            found.insert(("pip".to_string(), name), Some(version));
        } else if let Some(name) = cargo_binary(path) {
            found.entry(("cargo".to_string(), name)).or_insert(None);
        }
    }
    found
        .into_iter()
        .map(|((manager, name), version)| PackageChange {
            manager,
            name,
            before: None,
            after: Some(version.unwrap_or_else(|| "?".to_string())),
        })
        .collect()
}

/// `/usr/local/lib/node_modules/prettier/package.json` → `prettier` (scopes kept).
fn npm_package(path: &str) -> Option<String> {
    let (_, rest) = path.split_once("/lib/node_modules/")?;
    let rest = rest.strip_suffix("/package.json")?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [name] if !name.starts_with('@') && !name.starts_with('.') => Some(name.to_string()),
        [scope, name] if scope.starts_with('@') => Some(format!("{scope}/{name}")),
        _ => None,
    }
}

/// `/root/.local/share/pipx/venvs/httpie` → `httpie`.
fn pipx_venv(path: &str) -> Option<String> {
    let (_, rest) = path.split_once("/pipx/venvs/")?;
    (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_string())
}

/// `.../site-packages/httpie-3.2.2.dist-info` → (`httpie`, `3.2.2`), outside pipx's venvs.
fn pip_distribution(path: &str) -> Option<(String, String)> {
    if path.contains("/pipx/venvs/") {
        return None;
    }
    let (_, rest) = path.split_once("-packages/")?;
    let directory = rest.strip_suffix(".dist-info")?;
    if directory.contains('/') {
        return None;
    }
    let (name, version) = directory.rsplit_once('-')?;
    Some((name.to_string(), version.to_string()))
}

/// `/root/.cargo/bin/choose` → `choose` (the binary; `cargo uninstall` takes the crate, which
/// is usually the same name).
fn cargo_binary(path: &str) -> Option<String> {
    let (_, rest) = path.split_once("/.cargo/bin/")?;
    (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managers_are_recognised_from_their_paths() {
        let root = Path::new("/nonexistent-root");
        let paths = [
            (
                "/usr/local/lib/node_modules/prettier/package.json",
                ChangeKind::Added,
            ),
            (
                "/usr/local/lib/node_modules/@scope/tool/package.json",
                ChangeKind::Added,
            ),
            (
                "/usr/local/lib/node_modules/prettier/node_modules/x/package.json",
                ChangeKind::Added,
            ),
            ("/root/.local/share/pipx/venvs/httpie", ChangeKind::Added),
            (
                "/root/.local/share/pipx/venvs/httpie/lib/python3.11/site-packages/httpie-3.2.2.dist-info",
                ChangeKind::Added,
            ),
            (
                "/usr/local/lib/python3.11/dist-packages/cowsay-6.1.dist-info",
                ChangeKind::Added,
            ),
            ("/root/.cargo/bin/choose", ChangeKind::Added),
            ("/root/.cargo/bin/rg", ChangeKind::Modified),
        ];
        let found: Vec<String> = from_paths(paths.iter().map(|(p, k)| (*p, *k)), root)
            .iter()
            .map(|change| format!("{} {}", change.manager, change.describe()))
            .collect();
        assert_eq!(
            found,
            vec![
                "cargo choose ?",
                "npm @scope/tool ?",
                "npm prettier ?",
                "pip cowsay 6.1",
                "pipx httpie ?",
            ]
        );
    }
}
