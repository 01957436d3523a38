//! Matchers of the rules whose class is `Privilege`: running as root, setuid/setgid bits,
//! admin groups, sudoers, and containers that get the host's privileges.

use crate::policy::paths;
use crate::policy::rules::invocation::Invocation;

const ADMIN_GROUPS: &[&str] = &[
    "sudo", "wheel", "admin", "root", "docker", "adm", "lxd", "disk", "shadow", "libvirt",
];

pub fn run_as_root(invocation: &Invocation) -> Option<String> {
    invocation
        .command
        .privilege
        .as_ref()
        .map(|wrapper| format!("via `{wrapper}`"))
}

pub fn set_privilege_bits(invocation: &Invocation) -> Option<String> {
    if invocation.is(&["setcap"]) {
        return Some("`setcap` grants file capabilities".to_string());
    }
    if !invocation.is(&["chmod"]) {
        return None;
    }
    let mode = invocation.positionals("", &[]).first()?.text.clone();
    let symbolic = mode.contains('+')
        && mode
            .split('+')
            .nth(1)
            .is_some_and(|bits| bits.contains('s'));
    let numeric = mode.len() == 4
        && mode.chars().all(|c| c.is_ascii_digit())
        && matches!(mode.chars().next(), Some('2' | '4' | '6'));
    (symbolic || numeric).then(|| format!("`chmod {mode}` sets the setuid or setgid bit"))
}

pub fn grant_admin_group(invocation: &Invocation) -> Option<String> {
    let groups: Vec<String> = match invocation.program.as_deref()? {
        "usermod" => invocation
            .values("G", &["--groups"])
            .into_iter()
            .flat_map(|(value, _)| value.split(',').map(str::to_string).collect::<Vec<_>>())
            .collect(),
        // `gpasswd -a USER GROUP`: the group is the positional left after the option's value.
        "gpasswd"
            if invocation.has_flag(Some('a'), &["--add"])
                || invocation.has_flag(Some('M'), &["--members"]) =>
        {
            invocation
                .positionals("aMd", &["--add", "--members", "--delete"])
                .into_iter()
                .map(|word| word.text.clone())
                .collect()
        }
        "adduser" | "addgroup" => {
            let positionals = invocation.positionals("", &[]);
            if positionals.len() == 2 {
                vec![positionals[1].text.clone()]
            } else {
                Vec::new()
            }
        }
        _ => return None,
    };
    groups
        .iter()
        .find(|group| ADMIN_GROUPS.contains(&group.as_str()))
        .map(|group| format!("adds a user to the `{group}` group, which can act as root"))
}

pub fn edit_sudoers(invocation: &Invocation) -> Option<String> {
    if invocation.is(&["visudo"]) && !invocation.has_flag(Some('c'), &["--check"]) {
        return Some("`visudo`".to_string());
    }
    invocation
        .write_targets()
        .into_iter()
        .find(|target| paths::is_sudoers(&target.path))
        .map(|target| target.to_string())
}

pub fn privileged_container(invocation: &Invocation) -> Option<String> {
    if !invocation.is(&["docker", "podman", "nerdctl"])
        || !matches!(invocation.verb(), Some("run" | "create"))
    {
        return None;
    }
    if invocation.has_flag(None, &["--privileged"]) {
        return Some("`--privileged`".to_string());
    }
    for (value, _) in invocation.values("v", &["--volume", "--mount"]) {
        let source = value
            .strip_prefix("type=bind,source=")
            .or_else(|| value.strip_prefix("source="))
            .unwrap_or(&value);
        let source = source.split([':', ',']).next().unwrap_or(source);
        if source == "/" || source.ends_with("docker.sock") || matches!(source, "/etc" | "/root") {
            return Some(format!("mounts `{source}` into the container"));
        }
    }
    for (value, _) in invocation.values("", &["--pid", "--cap-add"]) {
        if matches!(value.as_str(), "host" | "ALL" | "SYS_ADMIN") {
            return Some(format!("`{value}`"));
        }
    }
    None
}
