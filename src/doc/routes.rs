//! Grouping a doc's commands into its alternative install routes.
//!
//! Docs offer alternatives mostly through headings ("Debian / Ubuntu", "macOS", "With cargo",
//! "From source"), sometimes inside one section ("On Fedora: … On Arch: …"). So a command first
//! gets a *unit*: the deepest heading on its path that names a platform or a method different
//! from the headings above it (or, without such a heading, the top-level section it is in).
//! Inside a unit, a command that starts a different kind of install (a `dnf install` after an
//! `apt install`), or that targets a platform the route so far cannot run on, starts a new
//! route. Commands that only install tools the route needs (a compiler, rustup) stay in it as
//! prerequisite steps; prerequisite sections ("Install Rust first") are attached to the routes
//! that need what they provide. Verification commands and sections about uninstalling,
//! upgrading, development and the like never become route steps.

use std::collections::{BTreeSet, HashMap};

use super::classify::{Facts, KNOWN_TOOLS, Label, Programs, Role, classify, platforms_in_text};
use super::markdown::{Outline, without_sudo};
use super::verification::{is_doc_title, section_chain, section_role};
use super::{CommandSource, Platform, Risk, RiskLevel, Route, RouteKind, Step};

/// A route being assembled: indices of commands in the outline, in order.
#[derive(Debug, Clone, Default)]
struct Draft {
    unit: Option<usize>,
    commands: Vec<usize>,
    /// Commands attached from a prerequisite section; they run first.
    prerequisites: Vec<usize>,
    asserted: Option<RouteKind>,
    platforms: BTreeSet<Platform>,
    third_party: bool,
    installed_product: bool,
    /// The code block (or inline command) of the last step that installed the product.
    last_install_block: Option<usize>,
}

/// A group of commands from a prerequisite section (or a section that only installs tools).
#[derive(Debug, Clone)]
struct PrerequisiteGroup {
    draft: Draft,
    provides: BTreeSet<String>,
    platforms: BTreeSet<Platform>,
    /// The labelled section the prerequisites belong to ("From source › Dependencies").
    scope: Option<usize>,
    /// A toolchain-only section that would be a route of its own if nothing needs it.
    standalone: bool,
    /// Installs the product (an odd "requirements" section); becomes a route if unattached.
    installs_product: bool,
    attached: bool,
}

/// Groups the outline's commands into routes. `verification` holds the indices of commands
/// that are checks, which never become steps.
pub(crate) fn group(
    outline: &Outline,
    programs: &Programs,
    verification: &BTreeSet<usize>,
) -> Vec<Route> {
    let facts: Vec<Facts> = outline
        .commands
        .iter()
        .map(|command| classify(&command.text, command.shell, programs))
        .collect();
    let mut route_units = Units::default();
    let mut prerequisite_units = Units::default();
    for (index, context) in outline.contexts.iter().enumerate() {
        if verification.contains(&index) {
            continue;
        }
        let fact = &facts[index];
        // `node --version` in a prerequisites section checks a tool; it installs nothing.
        if context
            .version_program
            .as_deref()
            .is_some_and(|program| KNOWN_TOOLS.contains(&program))
        {
            continue;
        }
        // "To upgrade later:" introduces commands that are not part of installing.
        if context.lead.as_deref().is_some_and(introduces_aside) {
            continue;
        }
        let role = section_role(outline, context.section);
        let installs = fact.installs_product
            || fact.installs_tools
            || fact.third_party
            || fact.asserts.is_some();
        // "Once installed, you can run it:" introduces usage, however the section is named.
        if !installs && context.lead.as_deref().is_some_and(introduces_usage) {
            continue;
        }
        let target = match role {
            Role::Excluded => continue,
            Role::Verify | Role::Usage if !installs => continue,
            Role::Prerequisite => &mut prerequisite_units,
            _ => &mut route_units,
        };
        target.add(unit_of(outline, context.section), index);
    }

    let mut drafts = Vec::new();
    for (unit, commands) in &route_units.groups {
        drafts.extend(split_unit(outline, &facts, *unit, commands, false));
    }
    // A group of glue commands alone (`mkdir`, `eval "$(tool init bash)"`) installs nothing.
    drafts.retain(|draft| {
        draft.asserted.is_some()
            || draft.installed_product
            || draft.commands.iter().any(|index| {
                let fact = &facts[*index];
                fact.kind.is_some() || fact.installs_tools || fact.third_party
            })
    });
    let mut groups: Vec<PrerequisiteGroup> = Vec::new();
    for (unit, commands) in &prerequisite_units.groups {
        for draft in split_unit(outline, &facts, *unit, commands, true) {
            // A "Dependencies" section of commands that install nothing (`tool a b`, recipes
            // depending on recipes) holds usage, not prerequisites.
            let installs_something = draft.commands.iter().any(|index| {
                let fact = &facts[*index];
                fact.installs_product
                    || fact.installs_tools
                    || fact.third_party
                    || fact.kind.is_some()
            });
            if installs_something {
                groups.push(prerequisite_group(outline, &facts, draft, false));
            }
        }
    }
    // A section that only installs a toolchain ("Install Rust") serves the routes that need it.
    let mut routes_drafts = Vec::new();
    for draft in drafts {
        let toolchain_only = draft.asserted.is_none()
            && !draft.installed_product
            && draft
                .commands
                .iter()
                .any(|index| facts[*index].installs_tools);
        if toolchain_only {
            groups.push(prerequisite_group(outline, &facts, draft, true));
        } else {
            routes_drafts.push(draft);
        }
    }

    attach_prerequisites(outline, &facts, &mut routes_drafts, &mut groups);
    for group in groups {
        if !group.attached && (group.standalone || group.installs_product) {
            routes_drafts.push(group.draft);
        }
    }
    // Routes in the order the doc presents them (their prerequisites may come earlier).
    routes_drafts.sort_by_key(|draft| draft.commands.first().copied().unwrap_or(usize::MAX));

    let mut per_unit: HashMap<Option<usize>, usize> = HashMap::new();
    for draft in &routes_drafts {
        *per_unit.entry(draft.unit).or_default() += 1;
    }
    let mut routes: Vec<Route> = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    for draft in &routes_drafts {
        let shares_unit = per_unit.get(&draft.unit).is_some_and(|count| *count > 1);
        let mut route = build_route(outline, &facts, draft, shares_unit);
        if route.steps.is_empty() {
            continue;
        }
        let count = ids.entry(route.id.clone()).or_default();
        *count += 1;
        if *count > 1 {
            route.id = format!("{}-{count}", route.id);
        }
        routes.push(route);
    }
    routes
}

/// Commands grouped by unit, in the order units first appear.
#[derive(Default)]
struct Units {
    groups: Vec<(Option<usize>, Vec<usize>)>,
    positions: HashMap<Option<usize>, usize>,
}

impl Units {
    fn add(&mut self, unit: Option<usize>, command: usize) {
        let position = *self.positions.entry(unit).or_insert_with(|| {
            self.groups.push((unit, Vec::new()));
            self.groups.len() - 1
        });
        self.groups[position].1.push(command);
    }
}

/// Prose that introduces commands outside the install ("To upgrade later:").
fn introduces_aside(lead: &str) -> bool {
    let lower = lead.to_lowercase();
    [
        "to upgrade",
        "to update",
        "to uninstall",
        "to remove",
        "upgrade later",
        "update later",
    ]
    .iter()
    .any(|phrase| lower.contains(phrase))
}

/// Whether command `line` works on something one of `earlier` names: a path, or a file name
/// with an extension, among their arguments (`chmod +x /usr/local/bin/tool` after `curl -o
/// /usr/local/bin/tool …`, `tar xf tool.tar.gz` after its download).
fn follows_up(outline: &Outline, earlier: &[usize], line: usize) -> bool {
    fn objects(text: &str) -> BTreeSet<&str> {
        without_sudo(text)
            .split_whitespace()
            .skip(1)
            .filter(|word| !word.starts_with('-') && !word.starts_with('+'))
            .map(|word| word.trim_matches(['\'', '"']))
            .filter(|word| word.contains(['/', '.']) && !word.contains('='))
            .map(|word| match word.rsplit_once('/') {
                // A file name (`tool.tar.gz`, also at the end of its URL) or a whole path.
                Some((_, name)) if name.contains('.') => name,
                _ => word,
            })
            .collect()
    }
    let mine = objects(&outline.commands[line].text);
    earlier
        .iter()
        .any(|&index| !objects(&outline.commands[index].text).is_disjoint(&mine))
}

/// Whether the prose before a block opens by saying that what follows is used after the
/// install ("Once installed, you can run …"); a warning that mentions the install in passing
/// ("If `tool --version` does not work after installation, link …") is set-up, not usage.
fn introduces_usage(lead: &str) -> bool {
    let lower = lead.trim_start().to_lowercase();
    [
        "once installed",
        "once it is installed",
        "once it's installed",
        "after installing",
        "after installation",
        "after it is installed",
        "when installed",
        "you can now",
    ]
    .iter()
    .any(|phrase| lower.starts_with(phrase))
}

/// The code block a command comes from; each inline command counts as a block of its own.
fn block_of(outline: &Outline, index: usize) -> usize {
    match outline.commands[index].source {
        CommandSource::CodeBlock { index: block } => block,
        CommandSource::Inline => usize::MAX - index,
    }
}

/// The heading that decides which route a command belongs to (see the module comment).
fn unit_of(outline: &Outline, section: Option<usize>) -> Option<usize> {
    let chain = section_chain(outline, section);
    let mut unit: Option<(usize, &Label)> = None;
    for &index in &chain {
        if is_doc_title(outline, index) {
            continue;
        }
        let label = &outline.labels[index];
        if label.role != Role::Install {
            continue;
        }
        let differs = unit.as_ref().is_none_or(|(_, known)| {
            known.platforms != label.platforms || known.kinds != label.kinds
        });
        if differs {
            unit = Some((index, label));
        }
    }
    unit.map(|(index, _)| index)
        .or_else(|| {
            chain
                .iter()
                .copied()
                .find(|index| !is_doc_title(outline, *index))
        })
        .or(section)
}

/// The platforms one command points at: its own, and those named in its comment or lead.
fn command_platforms(outline: &Outline, facts: &[Facts], index: usize) -> BTreeSet<Platform> {
    let mut platforms = facts[index].platforms.clone();
    if let Some(note) = &outline.commands[index].note {
        platforms.extend(platforms_in_text(note));
    }
    platforms.extend(outline.contexts[index].lead_platforms.iter().copied());
    platforms
}

/// Kinds that can share a route: a source tarball downloaded then built is a source build.
fn compatible(first: RouteKind, second: RouteKind) -> bool {
    first == second
        || matches!(
            (first, second),
            (RouteKind::ReleaseBinary, RouteKind::Source)
                | (RouteKind::Source, RouteKind::ReleaseBinary)
        )
}

/// Whether no platform of one set can run where one of the other runs.
fn disjoint(first: &BTreeSet<Platform>, second: &BTreeSet<Platform>) -> bool {
    !first.is_empty()
        && !second.is_empty()
        && !first
            .iter()
            .any(|one| second.iter().any(|other| one.overlaps(*other)))
}

/// Splits the commands of one unit into routes.
fn split_unit(
    outline: &Outline,
    facts: &[Facts],
    unit: Option<usize>,
    commands: &[usize],
    prerequisite_mode: bool,
) -> Vec<Draft> {
    let mut drafts = Vec::new();
    let mut current = Draft {
        unit,
        ..Draft::default()
    };
    for &index in commands {
        let fact = &facts[index];
        // Among prerequisites, two toolchain installs of different kinds are alternatives.
        let asserts = fact.asserts.or_else(|| {
            (prerequisite_mode && fact.installs_tools)
                .then_some(fact.kind)
                .flatten()
        });
        let platforms = command_platforms(outline, facts, index);
        let block = block_of(outline, index);
        // Installing the product again with a package manager, from another block, is an
        // alternative ("or with pnpm: …", "using the distribution's package instead: …").
        let reinstall = fact.installs_product
            && current.installed_product
            && current.last_install_block != Some(block)
            && asserts.is_some_and(|kind| {
                kind.is_system_package_manager() || kind.is_language_package_manager()
            });
        let conflict = !current.commands.is_empty()
            && (current
                .asserted
                .zip(asserts)
                .is_some_and(|(known, new)| !compatible(known, new))
                || disjoint(&current.platforms, &platforms)
                || (fact.third_party && current.installed_product && !current.third_party)
                || reinstall);
        if conflict {
            // Set-up lines of the new command's own block (`python3 -m venv x` before
            // `x/bin/pip install`) open the new route rather than end the previous one; a
            // line that works on what the route's earlier commands fetched (`chmod +x
            // /usr/local/bin/tool` after the download) stays with them.
            let mut carried = Vec::new();
            while current.commands.len() > 1
                && let Some(&last) = current.commands.last()
                && block_of(outline, last) == block
                && !facts[last].installs_product
                && facts[last].asserts.is_none()
                && !follows_up(
                    outline,
                    &current.commands[..current.commands.len() - 1],
                    last,
                )
            {
                carried.insert(0, last);
                current.commands.pop();
            }
            drafts.push(std::mem::replace(
                &mut current,
                Draft {
                    unit,
                    commands: carried,
                    ..Draft::default()
                },
            ));
        }
        current.commands.push(index);
        // A source tarball downloaded, then built: the build decides the kind.
        current.asserted = match (current.asserted, asserts) {
            (Some(RouteKind::Source), _) | (_, Some(RouteKind::Source)) => Some(RouteKind::Source),
            (known, new) => known.or(new),
        };
        current.platforms.extend(platforms);
        current.third_party |= fact.third_party;
        current.installed_product |= fact.installs_product;
        if fact.installs_product {
            current.last_install_block = Some(block);
        }
    }
    if !current.commands.is_empty() {
        drafts.push(current);
    }
    drafts
}

fn prerequisite_group(
    outline: &Outline,
    facts: &[Facts],
    draft: Draft,
    standalone: bool,
) -> PrerequisiteGroup {
    let provides = draft
        .commands
        .iter()
        .flat_map(|index| facts[*index].provides.iter().cloned())
        .collect();
    let platforms = route_platforms(outline, facts, &draft);
    let installs_product = draft.installed_product;
    // Prerequisites under a labelled heading serve that heading's routes only.
    let scope = draft
        .unit
        .filter(|unit| outline.labels[*unit].role == Role::Install);
    PrerequisiteGroup {
        draft,
        provides,
        platforms,
        scope,
        standalone,
        installs_product,
        attached: false,
    }
}

/// Attaches prerequisite groups to the routes that need what they provide. For each tool a
/// route needs and does not install itself, the nearest group providing it wins: one under the
/// route's own heading before one under a heading further up; among equals, one made for the
/// route's platform ("on Debian: apt install cargo"), then the first in the doc. Groups that
/// provide no known tool (`apt install libssl-dev`) go to the source builds and language
/// package routes of their heading.
fn attach_prerequisites(
    outline: &Outline,
    facts: &[Facts],
    drafts: &mut [Draft],
    groups: &mut [PrerequisiteGroup],
) {
    // (ancestor heading, tool) → groups under that heading providing the tool; "" for groups
    // that provide no known tool.
    let mut index: HashMap<(Option<usize>, String), Vec<usize>> = HashMap::new();
    for (position, group) in groups.iter().enumerate() {
        let mut ancestors: Vec<Option<usize>> = section_chain(outline, group.draft.unit)
            .into_iter()
            .map(Some)
            .collect();
        ancestors.push(None);
        let tools: Vec<String> = if group.provides.is_empty() {
            vec![String::new()]
        } else {
            group.provides.iter().cloned().collect()
        };
        for ancestor in ancestors {
            for tool in &tools {
                index
                    .entry((ancestor, tool.clone()))
                    .or_default()
                    .push(position);
            }
        }
    }
    for draft in drafts.iter_mut() {
        let platforms = route_platforms(outline, facts, draft);
        let mut needed: Vec<String> = Vec::new();
        for command in &draft.commands {
            for tool in &facts[*command].tools {
                if !needed.contains(tool) {
                    needed.push(tool.clone());
                }
            }
        }
        let mut provided: BTreeSet<String> = draft
            .commands
            .iter()
            .flat_map(|command| facts[*command].provides.iter().cloned())
            .collect();
        let kind = route_kind(outline, facts, draft);
        let builds = kind == RouteKind::Source || kind.is_language_package_manager();
        let chain = section_chain(outline, draft.unit);
        let mut levels: Vec<Option<usize>> = chain.iter().rev().copied().map(Some).collect();
        levels.push(None);
        let acceptable = |group: &PrerequisiteGroup, tool: &str| {
            if group.scope.is_some_and(|scope| !chain.contains(&scope)) {
                return false;
            }
            if disjoint(&group.platforms, &platforms) {
                return false;
            }
            !tool.is_empty() || group.scope.is_some() || (builds && !group.standalone)
        };
        let mut chosen: Vec<usize> = Vec::new();
        needed.push(String::new());
        for tool in &needed {
            if !tool.is_empty() && provided.contains(tool) {
                continue;
            }
            for level in &levels {
                let Some(candidates) = index.get(&(*level, tool.clone())) else {
                    continue;
                };
                let best = candidates
                    .iter()
                    .copied()
                    .filter(|position| acceptable(&groups[*position], tool))
                    .min_by_key(|position| {
                        let exact = groups[*position].platforms.iter().any(|platform| {
                            *platform != Platform::Any && platforms.contains(platform)
                        });
                        (!exact, *position)
                    });
                if let Some(best) = best {
                    provided.extend(groups[best].provides.iter().cloned());
                    if !chosen.contains(&best) {
                        chosen.push(best);
                    }
                    break;
                }
            }
        }
        chosen.sort_unstable();
        for position in chosen {
            let group = &mut groups[position];
            group.attached = true;
            draft
                .prerequisites
                .extend(group.draft.prerequisites.iter().copied());
            draft
                .prerequisites
                .extend(group.draft.commands.iter().copied());
        }
    }
}

/// The kind of a route: what its commands assert, else the one method its heading names
/// ("Building from source" over `cabal install`), else the last package manager it uses.
fn route_kind(outline: &Outline, facts: &[Facts], draft: &Draft) -> RouteKind {
    let heading_kind = || {
        let unit = draft.unit?;
        let kinds = outline.labels[unit].kinds.clone();
        let mut kinds = kinds.into_iter();
        match (kinds.next(), kinds.next()) {
            (Some(kind), None) => Some(kind),
            _ => None,
        }
    };
    draft
        .asserted
        .filter(|kind| *kind != RouteKind::Other)
        .or_else(heading_kind)
        .or(draft.asserted)
        .or_else(|| {
            draft
                .commands
                .iter()
                .rev()
                .find_map(|index| facts[*index].kind)
        })
        .unwrap_or(RouteKind::Other)
}

/// The platforms of a route: from its commands and the headings above it; failing those, from
/// the prose around it; failing that, `any`.
fn route_platforms(outline: &Outline, facts: &[Facts], draft: &Draft) -> BTreeSet<Platform> {
    let mut heading_platforms = BTreeSet::new();
    for index in section_chain(outline, draft.unit) {
        if !is_doc_title(outline, index) {
            heading_platforms.extend(outline.labels[index].platforms.iter().copied());
        }
    }
    let mut platforms = heading_platforms.clone();
    for index in &draft.commands {
        let fact = &facts[*index];
        // Homebrew runs on Linux too: a heading's platform wins over brew's default of macOS.
        if fact.kind == Some(RouteKind::Brew) && !heading_platforms.is_empty() {
            continue;
        }
        platforms.extend(fact.platforms.iter().copied());
    }
    if platforms.is_empty() {
        for index in &draft.commands {
            platforms.extend(command_platforms(outline, facts, *index));
        }
    }
    if platforms
        .iter()
        .any(|platform| platform.is_linux_distribution())
    {
        platforms.remove(&Platform::AnyLinux);
    }
    if platforms.len() > 1 {
        platforms.remove(&Platform::Any);
    }
    if platforms.is_empty() {
        platforms.insert(Platform::Any);
    }
    platforms
}

/// Why a route is as risky as it is.
fn route_risk(kind: RouteKind, facts: &[Facts], draft: &Draft) -> Risk {
    let mut level = if kind.is_system_package_manager() {
        RiskLevel::SystemPackage
    } else if kind.is_language_package_manager() {
        RiskLevel::LanguagePackage
    } else {
        match kind {
            RouteKind::ReleaseBinary | RouteKind::Docker => RiskLevel::ReleaseBinary,
            RouteKind::Script => RiskLevel::PipeToShell,
            RouteKind::Source => RiskLevel::SourceBuild,
            _ => RiskLevel::Unknown,
        }
    };
    // Steps that only install a tool the route needs are judged as prerequisites.
    let main = || {
        draft
            .commands
            .iter()
            .map(|index| &facts[*index])
            .filter(|fact| fact.installs_product || !fact.installs_tools)
    };
    let third_party = main().any(|fact| fact.third_party);
    let ppa = main().any(|fact| fact.ppa);
    let pipe_to_shell = main().any(|fact| fact.pipe_to_shell);
    if third_party {
        level = level.max(RiskLevel::ThirdPartyRepository);
    }
    if pipe_to_shell {
        level = level.max(RiskLevel::PipeToShell);
    }
    let mut note = match kind {
        RouteKind::Docker => "runs a container image; installs nothing on the host".to_string(),
        RouteKind::ReleaseBinary => "prebuilt binary downloaded from the project".to_string(),
        RouteKind::Script => "runs an install script downloaded from the network".to_string(),
        RouteKind::Source => "builds from source: needs a toolchain, takes longest".to_string(),
        RouteKind::Other => "no known install pattern: read the commands first".to_string(),
        kind if kind.is_system_package_manager() => {
            format!("system package manager ({kind})")
        }
        kind => format!("language package manager ({kind}): packages from its registry"),
    };
    if ppa {
        note.push_str("; adds an Ubuntu PPA (Ubuntu only)");
    } else if third_party {
        note.push_str("; adds a third-party repository or signing key");
    }
    if pipe_to_shell && kind != RouteKind::Script {
        note.push_str("; pipes a downloaded script into a shell");
    }
    let prerequisite_script = draft
        .prerequisites
        .iter()
        .chain(&draft.commands)
        .any(|index| facts[*index].pipe_to_shell && facts[*index].installs_tools);
    if prerequisite_script && !pipe_to_shell {
        note.push_str("; a prerequisite step runs a downloaded script");
    }
    Risk { level, note }
}

fn build_route(outline: &Outline, facts: &[Facts], draft: &Draft, shares_unit: bool) -> Route {
    let kind = route_kind(outline, facts, draft);
    let platforms = route_platforms(outline, facts, draft);
    let mut tools: Vec<String> = Vec::new();
    let mut steps = Vec::new();
    for (index, prerequisite) in draft
        .prerequisites
        .iter()
        .map(|index| (*index, true))
        .chain(draft.commands.iter().map(|index| (*index, false)))
    {
        let fact = &facts[index];
        let command = &outline.commands[index];
        // `sudo make install` then "or, as root, `make install`": one step, not two.
        let repeated = steps
            .iter()
            .any(|step: &Step| without_sudo(&step.command.text) == without_sudo(&command.text));
        if repeated {
            continue;
        }
        let prerequisite = prerequisite || (fact.installs_tools && !fact.installs_product);
        if !prerequisite {
            for tool in &fact.tools {
                if !tools.contains(tool) {
                    tools.push(tool.clone());
                }
            }
        }
        steps.push(Step {
            command: command.clone(),
            prerequisite,
            tools: fact.tools.clone(),
        });
    }
    let needs_root = draft
        .prerequisites
        .iter()
        .chain(&draft.commands)
        .any(|index| outline.commands[*index].root || facts[*index].sudo);
    let section = draft
        .unit
        .map(|unit| outline.sections[unit].path.clone())
        .unwrap_or_default();
    let base_title = draft
        .unit
        .map(|unit| outline.sections[unit].title.clone())
        .or_else(|| outline.title.clone())
        .unwrap_or_else(|| "(top of the doc)".to_string());
    // Several routes from one heading: name each after the heading its commands sit under.
    let base_title = if shares_unit {
        draft
            .commands
            .first()
            .and_then(|index| outline.contexts[*index].section)
            .map_or(base_title, |section| {
                outline.sections[section].title.clone()
            })
    } else {
        base_title
    };
    let title = if shares_unit {
        let third_party = draft.commands.iter().any(|index| facts[*index].third_party);
        let named = base_title
            .to_lowercase()
            .contains(&format!("({})", kind.as_str()));
        if third_party && named {
            format!("{base_title} (third-party repository)")
        } else if named {
            base_title
        } else if third_party {
            format!("{base_title} ({kind}, third-party repository)")
        } else {
            format!("{base_title} ({kind})")
        }
    } else {
        base_title
    };
    Route {
        id: kind.as_str().replace('_', "-"),
        kind,
        title,
        section,
        platforms: platforms.into_iter().collect(),
        tools,
        needs_root,
        risk: route_risk(kind, facts, draft),
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::markdown::outline;
    use crate::doc::verification::{collect, product_programs};

    fn routes(text: &str) -> Vec<Route> {
        let outline = outline(text, 1, "t.md");
        let product = crate::doc::product::identify(None, None, text, &outline);
        let programs = product_programs(&product, &[], &outline);
        let (_, taken) = collect(&[], &outline, &programs);
        group(&outline, &programs, &taken)
    }

    fn summary(routes: &[Route]) -> Vec<(String, Vec<String>)> {
        routes
            .iter()
            .map(|route| {
                (
                    route.id.clone(),
                    route.platforms.iter().map(|p| p.to_string()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn one_route_per_platform_section() {
        let text = "# hexyl\n\n## Installing\n\n### Debian / Ubuntu\n\n```bash\nsudo apt-get install -y hexyl\n```\n\n### macOS\n\n```bash\nbrew install hexyl\n```\n\n### With cargo\n\n```bash\ncargo install --locked hexyl\n```\n\n### Install script\n\nOn Linux and macOS you can also use the installer script:\n\n```bash\ncurl -fsSL https://get.hexyl.example/install.sh | sh\n```\n\n## Checking the install\n\n```bash\nhexyl --version\n```\n";
        let routes = routes(text);
        assert_eq!(
            summary(&routes),
            [
                ("apt".to_string(), vec!["debian".to_string()]),
                ("brew".to_string(), vec!["macos".to_string()]),
                ("cargo".to_string(), vec!["any".to_string()]),
                (
                    "script".to_string(),
                    vec!["macos".to_string(), "any-linux".to_string()]
                ),
            ]
        );
        assert_eq!(routes[0].tools, ["apt"]);
        assert!(routes[0].needs_root);
        assert_eq!(routes[0].risk.level, RiskLevel::SystemPackage);
        assert_eq!(routes[3].risk.level, RiskLevel::PipeToShell);
        assert_eq!(routes[3].tools, ["curl", "sh"]);
        assert!(routes.iter().all(|route| {
            route
                .steps
                .iter()
                .all(|step| step.command.text != "hexyl --version")
        }));
    }

    #[test]
    fn a_split_block_keeps_follow_up_lines_with_their_download_and_set_up_lines_with_the_next() {
        let text = "# zq\n\n## Linux\n\n```sh\ncurl -fsSL https://dl.example/zq -o /usr/local/bin/zq\nchmod +x /usr/local/bin/zq\npython3 -m venv /opt/zqenv\n/opt/zqenv/bin/pip install zq\n```\n";
        let routes = routes(text);
        let steps: Vec<Vec<&str>> = routes
            .iter()
            .map(|route| {
                route
                    .steps
                    .iter()
                    .map(|step| step.command.text.as_str())
                    .collect()
            })
            .collect();
        assert_eq!(
            steps,
            [
                vec![
                    "curl -fsSL https://dl.example/zq -o /usr/local/bin/zq",
                    "chmod +x /usr/local/bin/zq"
                ],
                vec![
                    "python3 -m venv /opt/zqenv",
                    "/opt/zqenv/bin/pip install zq"
                ],
            ],
            "{routes:#?}"
        );
    }

    #[test]
    fn commands_introduced_as_use_after_the_install_are_not_steps() {
        let text = "# Installing Zq\n\nWith pipx:\n\n```console\n$ pipx install zq\n```\n\nOnce installed, you can run it from the command line:\n\n```console\n$ zq check   # lint the current directory\n```\n";
        let routes = routes(text);
        assert_eq!(routes.len(), 1, "{routes:#?}");
        let steps: Vec<&str> = routes[0]
            .steps
            .iter()
            .map(|step| step.command.text.as_str())
            .collect();
        assert_eq!(steps, ["pipx install zq"]);
    }

    #[test]
    fn alternatives_inside_one_section_are_split() {
        let text = "# x\n\n## Linux\n\nOn Debian:\n\n```sh\nsudo apt install x\n```\n\nOn Fedora:\n\n```sh\nsudo dnf install x\n```\n";
        let routes = routes(text);
        assert_eq!(
            summary(&routes),
            [
                ("apt".to_string(), vec!["debian".to_string()]),
                ("dnf".to_string(), vec!["fedora".to_string()]),
            ]
        );
        assert_eq!(routes[0].title, "Linux (apt)");
    }

    #[test]
    fn source_build_keeps_its_build_dependencies_as_prerequisites() {
        let text = "# widget\n\n## Steps\n\n```sh\napt-get update\napt-get install -y build-essential pkg-config\ntar -xzf widget-2.4.1.tar.gz\ncd widget-2.4.1\n./configure --prefix=/usr/local\nmake -j4\nmake install\n```\n";
        let routes = routes(text);
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].kind, RouteKind::Source);
        assert_eq!(routes[0].steps.len(), 7);
        assert!(routes[0].steps[1].prerequisite);
        assert!(!routes[0].steps[6].prerequisite);
    }

    #[test]
    fn prerequisite_sections_attach_to_the_routes_that_need_them() {
        let text = "# tool\n\n## Install Rust first\n\n```sh\ncurl --proto '=https' -sSf https://sh.rustup.rs | sh\n```\n\n## Debian\n\n```sh\nsudo apt install tool\n```\n\n## Cargo\n\n```sh\ncargo install tool\n```\n";
        let routes = routes(text);
        assert_eq!(routes.len(), 2);
        assert_eq!(routes[0].kind, RouteKind::Apt);
        assert_eq!(routes[0].steps.len(), 1);
        assert_eq!(routes[1].kind, RouteKind::Cargo);
        assert_eq!(routes[1].steps.len(), 2);
        assert!(routes[1].steps[0].prerequisite);
        assert_eq!(routes[1].tools, ["cargo"]);
        assert_eq!(routes[1].risk.level, RiskLevel::LanguagePackage);
    }

    #[test]
    fn a_toolchain_section_serves_the_route_that_needs_it() {
        let text = "# tool\n\n## Install Rust\n\n```sh\ncurl -sSf https://sh.rustup.rs | sh\n```\n\n## Build\n\n```sh\ncargo install tool\n```\n";
        let routes = routes(text);
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].steps.len(), 2);
    }

    #[test]
    fn third_party_repository_after_a_distribution_install_is_another_route() {
        let text = "# frob\n\n## Debian\n\n```sh\napt-get update && apt-get install -y frob\n```\n\nNewer releases:\n\n```sh\necho \"deb [signed-by=/usr/share/keyrings/frob.gpg] https://apt.frob.example/ stable main\" > /etc/apt/sources.list.d/frob.list\napt-get update\napt-get install -y frob\n```\n";
        let routes = routes(text);
        assert_eq!(routes.len(), 2);
        assert_eq!(routes[0].risk.level, RiskLevel::SystemPackage);
        assert_eq!(routes[1].id, "apt-2");
        assert_eq!(routes[1].risk.level, RiskLevel::ThirdPartyRepository);
    }

    #[test]
    fn uninstall_and_usage_sections_give_no_routes() {
        let text = "# x\n\n## Uninstall\n\n```sh\nsudo apt remove x\n```\n\n## Usage\n\n```sh\nx run\n```\n";
        assert!(routes(text).is_empty());
    }

    #[test]
    fn a_doc_without_commands_has_no_routes() {
        assert!(routes("# x\n\nJust prose.\n").is_empty());
    }
}
