//! Matchers of the rules whose class is `PackageInstall` beyond the verb tables: package
//! managers told to install by an option (`dpkg -i`, `rpm -U`), and files written under
//! `/usr/local` or `/opt`.

use crate::policy::paths;
use crate::policy::rules::invocation::Invocation;

pub fn install_by_flag(invocation: &Invocation) -> Option<String> {
    let program = invocation.program.as_deref()?;
    let (shorts, longs): (&str, &[&str]) = match program {
        "dpkg" => (
            "irPa",
            &[
                "--install",
                "--remove",
                "--purge",
                "--configure",
                "--unpack",
            ],
        ),
        "rpm" => ("iUFe", &["--install", "--upgrade", "--freshen", "--erase"]),
        "pacman" => ("SUR", &["--sync", "--upgrade", "--remove"]),
        "nix-env" => ("ieu", &["--install", "--uninstall", "--upgrade"]),
        _ => return None,
    };
    // `dpkg -l`, `rpm -qa`, `pacman -Q` only look.
    let first = invocation.arguments.first()?;
    let letters = first.text.strip_prefix('-')?;
    let by_short = !letters.starts_with('-') && letters.starts_with(|c: char| shorts.contains(c));
    let by_long = longs.contains(&first.text.as_str());
    (by_short || by_long).then(|| format!("`{program} {}`", first.text))
}

pub fn write_into_system_prefix(invocation: &Invocation) -> Option<String> {
    invocation
        .write_targets()
        .into_iter()
        .find(|target| paths::is_local_install_location(&target.path))
        .map(|target| target.to_string())
}
