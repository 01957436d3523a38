//! Matchers of the rules whose class is `Persistence`: whatever makes something run again
//! later — shell startup files, cron and timers, services, SSH keys, preloaded libraries.

use crate::policy::paths;
use crate::policy::rules::invocation::Invocation;

pub fn write_shell_startup(invocation: &Invocation) -> Option<String> {
    invocation
        .write_targets()
        .into_iter()
        .find(|target| paths::is_startup_file(&target.path))
        .map(|target| target.to_string())
}

pub fn write_schedule(invocation: &Invocation) -> Option<String> {
    invocation
        .write_targets()
        .into_iter()
        .find(|target| paths::is_schedule_location(&target.path))
        .map(|target| target.to_string())
}

pub fn edit_crontab(invocation: &Invocation) -> Option<String> {
    match invocation.program.as_deref()? {
        "crontab" if !invocation.has_flag(Some('l'), &[]) => Some("`crontab`".to_string()),
        program @ ("at" | "batch") => Some(format!("`{program}`")),
        "systemd-run"
            if invocation.has_flag(None, &["--on-calendar", "--on-boot", "--on-active"]) =>
        {
            Some("`systemd-run` with a timer".to_string())
        }
        _ => None,
    }
}

pub fn write_service(invocation: &Invocation) -> Option<String> {
    invocation
        .write_targets()
        .into_iter()
        .find(|target| paths::is_service_location(&target.path))
        .map(|target| target.to_string())
}

pub fn enable_service(invocation: &Invocation) -> Option<String> {
    let program = invocation.program.as_deref()?;
    let verb = invocation.verb();
    let enables = match program {
        "systemctl" => {
            matches!(
                verb,
                Some("enable" | "reenable" | "link" | "preset" | "add-wants" | "add-requires")
            )
        }
        "update-rc.d" => invocation
            .texts()
            .any(|text| matches!(text, "defaults" | "enable")),
        "chkconfig" => invocation
            .texts()
            .any(|text| matches!(text, "on" | "--add")),
        "rc-update" => verb == Some("add"),
        "launchctl" => matches!(verb, Some("load" | "bootstrap" | "enable")),
        "loginctl" => verb == Some("enable-linger"),
        _ => false,
    };
    enables.then(|| format!("`{}`", invocation.command.text.trim()))
}

pub fn authorize_ssh_key(invocation: &Invocation) -> Option<String> {
    invocation
        .write_targets()
        .into_iter()
        .find(|target| {
            matches!(
                target.path.as_str(),
                "~/.ssh/authorized_keys" | "~/.ssh/authorized_keys2" | "~/.ssh/rc"
            )
        })
        .map(|target| target.to_string())
}

pub fn preload_library(invocation: &Invocation) -> Option<String> {
    invocation
        .write_targets()
        .into_iter()
        .find(|target| target.path == "/etc/ld.so.preload")
        .map(|target| target.to_string())
}
