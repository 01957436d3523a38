//! Matchers of the rules whose class is `SystemConfig`: package sources and their keys, files
//! under `/etc` and other system locations, and system settings (`sysctl`, `update-alternatives`,
//! …).

use crate::policy::paths;
use crate::policy::rules::invocation::Invocation;

pub fn add_package_source(invocation: &Invocation) -> Option<String> {
    let program = invocation.program.as_deref()?;
    let adds = match program {
        "add-apt-repository" | "apt-add-repository" => {
            !invocation.has_flag(Some('r'), &["--remove"])
        }
        "dnf" | "yum" => {
            invocation.verb() == Some("config-manager")
                && (invocation.has_flag(None, &["--add-repo"])
                    || invocation.texts().any(|text| text == "addrepo"))
                || invocation.verb() == Some("copr")
        }
        "yum-config-manager" => invocation.has_flag(None, &["--add-repo"]),
        "zypper" => matches!(invocation.verb(), Some("addrepo" | "ar")),
        "flatpak" => invocation.verb() == Some("remote-add"),
        _ => false,
    };
    adds.then(|| format!("`{}`", invocation.command.text.trim()))
}

pub fn write_package_source(invocation: &Invocation) -> Option<String> {
    invocation
        .write_targets()
        .into_iter()
        .find(|target| paths::is_package_source(&target.path))
        .map(|target| target.to_string())
}

pub fn trust_package_key(invocation: &Invocation) -> Option<String> {
    let trusts = match invocation.program.as_deref()? {
        "apt-key" => matches!(invocation.verb(), Some("add" | "adv")),
        "rpm" => invocation.has_flag(None, &["--import"]),
        "pacman-key" => {
            invocation.has_flag(None, &["--add", "--lsign-key", "--recv-keys", "--populate"])
        }
        _ => false,
    };
    trusts.then(|| format!("`{}`", invocation.command.text.trim()))
}

pub fn write_package_keyring(invocation: &Invocation) -> Option<String> {
    invocation
        .write_targets()
        .into_iter()
        .find(|target| paths::is_package_keyring(&target.path))
        .map(|target| target.to_string())
}

pub fn write_system_file(invocation: &Invocation) -> Option<String> {
    invocation
        .write_targets()
        .into_iter()
        .find(|target| {
            let path = target.path.as_str();
            paths::is_system_location(path)
                && !paths::is_package_source(path)
                && !paths::is_package_keyring(path)
                && !paths::is_startup_file(path)
                && !paths::is_schedule_location(path)
                && !paths::is_service_location(path)
                && !paths::is_sudoers(path)
                && path != "/etc/ld.so.preload"
        })
        .map(|target| target.to_string())
}

pub fn change_system_settings(invocation: &Invocation) -> Option<String> {
    let program = invocation.program.as_deref()?;
    let verb = invocation.verb();
    let changes = match program {
        "update-alternatives" | "alternatives" => invocation.has_flag(
            None,
            &[
                "--install",
                "--set",
                "--config",
                "--remove",
                "--auto",
                "--remove-all",
            ],
        ),
        "dpkg-reconfigure"
        | "dpkg-divert"
        | "locale-gen"
        | "update-locale"
        | "update-ca-certificates"
        | "ldconfig"
        | "modprobe"
        | "insmod"
        | "rmmod"
        | "depmod"
        | "mount"
        | "umount"
        | "swapon"
        | "swapoff"
        | "ufw"
        | "iptables"
        | "ip6tables"
        | "nft"
        | "firewall-cmd"
        | "setenforce"
        | "update-grub"
        | "grub-install"
        | "grub-mkconfig"
        | "update-initramfs"
        | "dracut"
        | "mkinitcpio"
        | "netplan"
        | "sysctl" => {
            // `sysctl -a`, `sysctl name` only read.
            program != "sysctl"
                || invocation.has_flag(Some('w'), &["--write", "--system", "--load"])
                || invocation.has_flag(Some('p'), &[])
                || invocation.texts().any(|text| text.contains('='))
        }
        "systemctl" => matches!(
            verb,
            Some(
                "start"
                    | "stop"
                    | "restart"
                    | "reload"
                    | "try-restart"
                    | "reload-or-restart"
                    | "disable"
                    | "mask"
                    | "unmask"
                    | "daemon-reload"
                    | "set-default"
                    | "isolate"
                    | "kill"
                    | "edit"
                    | "set-property"
                    | "reset-failed"
                    | "revert"
            )
        ),
        "service" => invocation.texts().any(|text| {
            matches!(
                text,
                "start" | "stop" | "restart" | "reload" | "force-reload"
            )
        }),
        "timedatectl" | "hostnamectl" | "localectl" => {
            verb.is_some_and(|verb| verb.starts_with("set-"))
        }
        "hostname" => !invocation.positionals("F", &["--file"]).is_empty(),
        "ip" => invocation.texts().any(|text| {
            matches!(
                text,
                "add" | "del" | "delete" | "set" | "flush" | "change" | "replace"
            )
        }),
        _ => false,
    };
    changes.then(|| format!("`{}`", invocation.command.text.trim()))
}
