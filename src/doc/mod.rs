//! Install docs: loading a source into text ([`source`]), converting HTML ([`html`]), and
//! parsing Markdown into a [`Doc`] of sections, code blocks, commands, routes and verification.
//!
//! Parsing is split by concern: [`normalize`] rewrites reStructuredText, YAML download pages,
//! HTML tables, MkDocs tabs and admonitions and Hugo shortcodes into plain Markdown line for
//! line, [`markdown`] walks the Markdown events (headings, code blocks,
//! inline code, install.md lines, links), [`shell`] turns a code block's text into commands
//! (prompts, continuations, heredocs, output lines), [`classify`] says what one command does
//! (which package manager, which platform, which tools), [`routes`] groups commands into the
//! doc's alternative ways to install, and [`verification`] collects the checks. Every type
//! here is plain data that serializes both ways, because plans and reports embed parts of it.

mod classify;
pub mod html;
mod markdown;
mod normalize;
mod product;
pub mod repository;
mod routes;
mod shell;
pub mod source;
mod verification;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use product::Product;
pub use source::{FrontMatter, LoadError, LoadOptions, LoadedDoc, Origin};

/// A parsed install doc: everything the planner, the agents and `agent-install doc` need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Doc {
    /// Where the doc came from, as the user would name it (a URL, a path, `stdin`, `catalog:jq`).
    pub source: String,
    pub origin: Origin,
    /// The product: the front matter's `name`, else the first H1.
    pub name: Option<String>,
    /// The product's likely names and repository, read from several signals (never run).
    #[serde(default)]
    pub product: Product,
    pub homepage: Option<String>,
    /// SHA-256 (hex) of the doc as loaded; plans record it to notice a changed doc.
    pub sha256: String,
    pub converted_from_html: bool,
    /// The blockquote right under the title (the `llms.txt` summary line), if any.
    pub summary: Option<String>,
    /// install.md: the `OBJECTIVE:` line.
    pub objective: Option<String>,
    /// install.md: the `DONE WHEN:` lines, as prose (their commands are in `verification`).
    pub done_when: Vec<Note>,
    /// install.md: the `## TODO` checklist, in order.
    pub todo: Vec<TodoItem>,
    /// Every heading, in document order; `parent` links make the tree.
    pub sections: Vec<Section>,
    pub code_blocks: Vec<CodeBlock>,
    /// Every command found, in document order (code blocks and inline code).
    pub commands: Vec<Command>,
    /// The alternative ways to install that the doc offers, in document order.
    pub routes: Vec<Route>,
    /// Commands that prove the install worked, strongest source first.
    pub verification: Vec<Verification>,
    /// Links to install instructions elsewhere (llms.txt indexes, "see the install guide").
    pub install_links: Vec<Link>,
    /// Things the user should know about the doc (from loading and from parsing).
    pub warnings: Vec<String>,
}

/// A place in the doc's source, cited in plans and reports as `file:line`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The short name of the source file (`ripgrep.md`, `README.md`, `stdin`).
    pub file: String,
    /// 1-based line in the source as stored (front matter included).
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A heading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Heading level, 1 to 6.
    pub level: u8,
    pub title: String,
    /// Titles from the outermost heading down to this one.
    pub path: Vec<String>,
    /// Index in [`Doc::sections`] of the enclosing heading.
    pub parent: Option<usize>,
    pub location: Location,
}

/// A code block, fenced or indented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeBlock {
    /// The info string's first word, lowercased, braces and a leading dot removed.
    pub language: Option<String>,
    /// The whole info string as written.
    pub info: String,
    pub fenced: bool,
    /// The shell its commands are for, or `None` when the block is not commands (data, output).
    pub shell: Option<Shell>,
    /// Location of the block's first line of code.
    pub location: Location,
    pub section: Vec<String>,
    pub text: String,
    /// Indices in [`Doc::commands`] of the commands taken from this block.
    pub commands: Vec<usize>,
}

/// The interpreter a command is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shell {
    /// `sh`/`bash` and friends.
    Sh,
    PowerShell,
    /// Windows `cmd.exe`.
    Cmd,
}

/// One command, ready to run: prompts stripped, continuation lines joined, heredocs whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// The command as it should be given to its shell; may span lines (heredocs, quoted text).
    pub text: String,
    pub shell: Shell,
    /// The doc showed it after a `# ` root prompt: it expects to run as root.
    pub root: bool,
    /// Location of the command's first line.
    pub location: Location,
    pub section: Vec<String>,
    pub source: CommandSource,
    /// The comment line just above the command in its block, if any (often names a platform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Where a command was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CommandSource {
    /// In a code block; `index` is its position in [`Doc::code_blocks`].
    CodeBlock { index: usize },
    /// In running text, as inline code.
    Inline,
}

/// An operating system family a route is meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// Debian and its derivatives (Ubuntu, Mint, ...): apt and `.deb`.
    Debian,
    /// Fedora, RHEL, CentOS, Rocky, Alma: dnf/yum and `.rpm`.
    Fedora,
    /// Arch Linux and derivatives: pacman.
    Arch,
    Alpine,
    /// openSUSE and SLES: zypper.
    Suse,
    Macos,
    Windows,
    /// Nix or NixOS (nix on any system).
    Nix,
    Freebsd,
    /// Any Linux distribution.
    AnyLinux,
    /// Anywhere the route's tools exist.
    Any,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Debian => "debian",
            Platform::Fedora => "fedora",
            Platform::Arch => "arch",
            Platform::Alpine => "alpine",
            Platform::Suse => "suse",
            Platform::Macos => "macos",
            Platform::Windows => "windows",
            Platform::Nix => "nix",
            Platform::Freebsd => "freebsd",
            Platform::AnyLinux => "any-linux",
            Platform::Any => "any",
        }
    }

    /// Whether this is one Linux distribution family (not "any Linux", not another OS).
    pub fn is_linux_distribution(self) -> bool {
        matches!(
            self,
            Platform::Debian
                | Platform::Fedora
                | Platform::Arch
                | Platform::Alpine
                | Platform::Suse
        )
    }

    /// Whether a route tagged `self` can run on a machine of family `other` (or the reverse):
    /// equal, one of them is `any`, or one is `any-linux` and the other a Linux family.
    pub fn overlaps(self, other: Platform) -> bool {
        self == other
            || self == Platform::Any
            || other == Platform::Any
            || (self == Platform::AnyLinux
                && (other.is_linux_distribution() || other == Platform::Nix))
            || (other == Platform::AnyLinux
                && (self.is_linux_distribution() || self == Platform::Nix))
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a route installs the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteKind {
    Apt,
    Dnf,
    Pacman,
    Apk,
    Zypper,
    Brew,
    Port,
    Nix,
    Snap,
    Flatpak,
    Winget,
    Scoop,
    Choco,
    /// FreeBSD `pkg`.
    Pkg,
    Cargo,
    Pip,
    Pipx,
    Uv,
    Npm,
    Go,
    Gem,
    Conda,
    /// A prebuilt archive or package downloaded from the project (a release asset, a `.deb`).
    ReleaseBinary,
    /// An install script fetched and run (`curl … | sh`).
    Script,
    /// Built from the sources (clone or tarball, configure, make, cargo build, ...).
    Source,
    /// Runs the product from a container image.
    Docker,
    /// Commands none of the above describes.
    Other,
}

impl RouteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RouteKind::Apt => "apt",
            RouteKind::Dnf => "dnf",
            RouteKind::Pacman => "pacman",
            RouteKind::Apk => "apk",
            RouteKind::Zypper => "zypper",
            RouteKind::Brew => "brew",
            RouteKind::Port => "port",
            RouteKind::Nix => "nix",
            RouteKind::Snap => "snap",
            RouteKind::Flatpak => "flatpak",
            RouteKind::Winget => "winget",
            RouteKind::Scoop => "scoop",
            RouteKind::Choco => "choco",
            RouteKind::Pkg => "pkg",
            RouteKind::Cargo => "cargo",
            RouteKind::Pip => "pip",
            RouteKind::Pipx => "pipx",
            RouteKind::Uv => "uv",
            RouteKind::Npm => "npm",
            RouteKind::Go => "go",
            RouteKind::Gem => "gem",
            RouteKind::Conda => "conda",
            RouteKind::ReleaseBinary => "release_binary",
            RouteKind::Script => "script",
            RouteKind::Source => "source",
            RouteKind::Docker => "docker",
            RouteKind::Other => "other",
        }
    }

    /// A system (OS-level) package manager: the distribution vouches for the package.
    pub fn is_system_package_manager(self) -> bool {
        matches!(
            self,
            RouteKind::Apt
                | RouteKind::Dnf
                | RouteKind::Pacman
                | RouteKind::Apk
                | RouteKind::Zypper
                | RouteKind::Brew
                | RouteKind::Port
                | RouteKind::Nix
                | RouteKind::Snap
                | RouteKind::Flatpak
                | RouteKind::Winget
                | RouteKind::Scoop
                | RouteKind::Choco
                | RouteKind::Pkg
        )
    }

    /// A language ecosystem's package manager (crates.io, PyPI, npm, ...).
    pub fn is_language_package_manager(self) -> bool {
        matches!(
            self,
            RouteKind::Cargo
                | RouteKind::Pip
                | RouteKind::Pipx
                | RouteKind::Uv
                | RouteKind::Npm
                | RouteKind::Go
                | RouteKind::Gem
                | RouteKind::Conda
        )
    }
}

impl fmt::Display for RouteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a route asks the user to trust, lowest first (DESIGN §2: prefer the lowest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Signed packages from the system's own repositories.
    SystemPackage,
    /// A language registry (crates.io, PyPI, npm): less curated, runs build scripts.
    LanguagePackage,
    /// A prebuilt binary from the project, unsigned by the distribution.
    ReleaseBinary,
    /// A repository or key added to the system package manager: trusted from then on.
    ThirdPartyRepository,
    /// A script downloaded and run as is.
    PipeToShell,
    /// A build from source: slowest, most tools, most ways to fail.
    SourceBuild,
    /// Commands that fit no known install pattern; read them before running.
    Unknown,
}

/// A route's risk: the level the planner ranks by and a short note saying why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    pub level: RiskLevel,
    pub note: String,
}

/// One alternative way to install the product, runnable as is: run `steps` in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// A short name, unique in the doc: the kind, numbered when it repeats (`apt`, `apt-2`).
    pub id: String,
    pub kind: RouteKind,
    /// The section the route comes from, as shown to people.
    pub title: String,
    pub section: Vec<String>,
    /// Where the route is meant to work; `any` when nothing narrows it.
    pub platforms: Vec<Platform>,
    /// Programs the non-prerequisite steps need on PATH (package managers, toolchains,
    /// downloaders), named as the probe names them (`apt`, `pip`, `cargo`, `curl`, ...).
    pub tools: Vec<String>,
    /// Some step starts with `sudo` or was shown after a root prompt.
    pub needs_root: bool,
    pub risk: Risk,
    /// Commands to run, in order; prerequisite steps (installing a toolchain) come first.
    pub steps: Vec<Step>,
}

impl Route {
    /// Whether the route is meant to work on a machine of this platform family.
    pub fn supports(&self, platform: Platform) -> bool {
        self.platforms.iter().any(|known| known.overlaps(platform))
    }

    /// The steps that install the product itself, without the prerequisites.
    pub fn main_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|step| !step.prerequisite)
    }
}

/// A command of a route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub command: Command,
    /// Installs something the route needs rather than the product (a toolchain, build
    /// dependencies); a planner may skip it when the probe shows the tool already present.
    pub prerequisite: bool,
    /// Tools this command needs (see [`Route::tools`]).
    pub tools: Vec<String>,
}

/// A command that checks the install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub command: String,
    pub origin: VerificationOrigin,
    /// Where the doc shows it; `None` for front matter.
    pub location: Option<Location>,
    pub section: Vec<String>,
}

/// Why a command is in the verification set, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationOrigin {
    /// The front matter's `verify` list: written for this purpose.
    FrontMatter,
    /// `X --version`, `X -V`, `X version`, `X --help` for the product's program.
    VersionCommand,
    /// A command in a section about verifying, checking or using the product.
    Section,
    /// An install.md `DONE WHEN:` line.
    DoneWhen,
}

/// A line of prose with its place (install.md `DONE WHEN:` lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
    pub location: Location,
}

/// An item of an install.md `## TODO` checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodoItem {
    /// The item's text, checkbox removed, inline code kept in backticks.
    pub text: String,
    pub done: bool,
    pub location: Location,
}

/// A link to install instructions elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub text: String,
    pub url: String,
    pub section: Vec<String>,
    pub location: Location,
}

/// Parses Markdown text as if read from stdin: the docs of unit tests in other modules.
#[cfg(test)]
pub(crate) fn parse_text(text: &str) -> Doc {
    parse(&LoadedDoc {
        origin: source::Origin::Stdin,
        text: text.to_string(),
        first_line: 1,
        front_matter: None,
        converted_from_html: false,
        sha256: String::new(),
        warnings: Vec::new(),
    })
}

/// Parses a loaded doc. Parsing never fails: a doc with no commands is a valid (empty) doc;
/// deciding that nothing can be installed from it is the caller's business.
pub fn parse(loaded: &LoadedDoc) -> Doc {
    let file = loaded.citation_name();
    let format = normalize::detect(&file, &loaded.text);
    let text = normalize::to_markdown(&loaded.text, format);
    let outline = markdown::outline(&text, loaded.first_line, &file);
    let front_matter = loaded.front_matter.clone().unwrap_or_default();
    let name = front_matter
        .name
        .clone()
        .filter(|name| !name.trim().is_empty())
        .or_else(|| outline.title.clone());
    let mut warnings = loaded.warnings.clone();
    warnings.extend(outline.warnings.iter().cloned());

    let source_url = match &loaded.origin {
        Origin::Url { requested, .. } => Some(requested.as_str()),
        _ => None,
    };
    let product = product::identify(front_matter.name.as_deref(), source_url, &text, &outline);
    let programs = verification::product_programs(&product, &front_matter.verify, &outline);
    let (verification, checks) = verification::collect(&front_matter.verify, &outline, &programs);
    let routes = routes::group(&outline, &programs, &checks);
    if outline.commands.is_empty() {
        warnings.push("the doc contains no commands".to_string());
    } else if routes.is_empty() {
        warnings.push("no install route found among the doc's commands".to_string());
    }

    Doc {
        source: loaded.origin.to_string(),
        origin: loaded.origin.clone(),
        name,
        product,
        homepage: front_matter.homepage.clone(),
        sha256: loaded.sha256.clone(),
        converted_from_html: loaded.converted_from_html,
        summary: outline.summary,
        objective: outline.objective,
        done_when: outline.done_when,
        todo: outline.todo,
        sections: outline.sections,
        code_blocks: outline.code_blocks,
        commands: outline.commands,
        routes,
        verification,
        install_links: outline.install_links,
        warnings,
    }
}

/// The program a check runs, as written (`rg`, `./target/release/rg`), looking through
/// `which X`, `command -v X` and `type X`.
pub fn check_program(command: &str) -> Option<String> {
    verification::check_program(command)
}

/// Whether a command is a self-contained check of one program: `X --version`, `X -V`,
/// `X version`, `X --help`, or a PATH lookup of X.
pub fn is_version_check(command: &str) -> bool {
    classify::version_check_program(command).is_some() || verification::is_lookup(command)
}

/// The packages an install command names (`apt-get install -y jq` → `jq`), versions removed.
/// Whether `name` is a general tool an install uses (a package manager, a downloader, a
/// shell), as opposed to a product's own program.
pub fn is_known_tool(name: &str) -> bool {
    classify::KNOWN_TOOLS.contains(&name)
}

pub fn packages_installed_by(command: &str) -> Vec<String> {
    classify::classify(command, Shell::Sh, &classify::Programs::default()).packages
}

/// A section path as shown to people: `ripgrep › Installation › Debian`.
pub fn display_path(path: &[String]) -> String {
    path.join(" › ")
}
