//! Matchers of the rules whose class is `Destructive`: deleting critical or computed paths,
//! formatting disks, writing block devices, fork bombs, recursive permission changes,
//! overwriting the account database, halting the machine.

use super::unparsed::computed;
use crate::policy::paths;
use crate::policy::rules::invocation::{Context, Invocation};
use crate::policy::shell;

pub fn delete_critical_path(invocation: &Invocation) -> Option<String> {
    let program = invocation.program.as_deref()?;
    match program {
        "rm" => {
            let recursive = invocation.has_flag(Some('r'), &["--recursive"])
                || invocation.has_flag(Some('R'), &[]);
            let unprotected = invocation.has_flag(None, &["--no-preserve-root"]);
            if !recursive && !unprotected {
                return None;
            }
            invocation
                .positionals("", &[])
                .into_iter()
                .find_map(|word| {
                    paths::critical_path(&invocation.resolve_path(&word.text))
                        .map(|critical| format!("deletes `{critical}` (written `{}`)", word.text))
                })
        }
        "mv" => {
            let positionals = invocation.positionals("tS", &["--target-directory", "--suffix"]);
            let sources = positionals
                .split_last()
                .map(|(_, sources)| sources)
                .unwrap_or(&[]);
            sources.iter().find_map(|word| {
                paths::critical_path(&invocation.resolve_path(&word.text))
                    .map(|critical| format!("moves `{critical}` away"))
            })
        }
        "rsync" if invocation.texts().any(|text| text.starts_with("--delete")) => {
            let positionals = invocation.positionals("e", &["--rsh"]);
            let destination = positionals.last()?;
            paths::critical_path(&invocation.resolve_path(&destination.text))
                .map(|critical| format!("deletes whatever `{critical}` holds beyond the source"))
        }
        "find" => {
            let deletes = invocation.texts().any(|text| text == "-delete")
                || invocation.arguments.windows(2).any(|pair| {
                    matches!(pair[0].text.as_str(), "-exec" | "-execdir")
                        && matches!(shell::basename(&pair[1].text), "rm" | "shred")
                });
            if !deletes {
                return None;
            }
            invocation
                .texts()
                .take_while(|text| !text.starts_with(['-', '(', '!']))
                .find_map(|text| paths::critical_path(&invocation.resolve_path(text)))
                .map(|critical| format!("deletes files under `{critical}`"))
        }
        _ => None,
    }
}

pub fn delete_with_empty_variable(invocation: &Invocation) -> Option<String> {
    if !invocation.is(&["rm"])
        || !invocation.has_flag(Some('r'), &["--recursive"]) && !invocation.has_flag(Some('R'), &[])
    {
        return None;
    }
    invocation
        .positionals("", &[])
        .into_iter()
        .find(|word| paths::empty_variable_hazard(&word.text))
        .map(|word| format!("`{}` is `/` when the variable is empty", word.text))
}

/// Whether `rm` deletes recursively.
pub fn recursive_rm(invocation: &Invocation) -> bool {
    invocation.is(&["rm"])
        && (invocation.has_flag(Some('r'), &["--recursive"]) || invocation.has_flag(Some('R'), &[]))
}

pub fn delete_computed_target(invocation: &Invocation) -> Option<String> {
    let command = invocation.command;
    if invocation.is(&["rm"]) && invocation.texts().any(|text| text == "--no-preserve-root") {
        return Some("`--no-preserve-root` asks rm to delete `/`; no install needs that".into());
    }
    if recursive_rm(invocation) {
        if command.wrappers.iter().any(|wrapper| wrapper == "xargs") {
            return Some("`xargs rm -r` deletes whatever its input names, unseen".into());
        }
        if let Some(word) = invocation
            .positionals("", &[])
            .into_iter()
            .find(|word| computed(word))
        {
            return Some(format!(
                "deletes `{}`, a target only known at run time",
                word.text
            ));
        }
    }
    if invocation.is(&["parallel"]) {
        let texts: Vec<&str> = invocation.texts().collect();
        if let Some(position) = texts.iter().position(|text| shell::basename(text) == "rm")
            && texts[position + 1..]
                .iter()
                .take_while(|text| **text != ":::" && **text != "::::")
                .any(|text| {
                    text.starts_with('-') && !text.starts_with("--") && text.contains(['r', 'R'])
                })
        {
            return Some("`parallel rm -r` deletes whatever its inputs name, unseen".into());
        }
    }
    if invocation.is(&["find"]) {
        let deletes = invocation.texts().any(|text| text == "-delete")
            || invocation.arguments.windows(2).any(|pair| {
                matches!(pair[0].text.as_str(), "-exec" | "-execdir")
                    && matches!(shell::basename(&pair[1].text), "rm" | "shred")
            });
        if deletes
            && let Some(word) = invocation
                .arguments
                .iter()
                .take_while(|word| !word.text.starts_with(['-', '(', '!']))
                .find(|word| computed(word))
        {
            return Some(format!(
                "deletes files under `{}`, a place only known at run time",
                word.text
            ));
        }
    }
    None
}

pub fn format_disk(invocation: &Invocation) -> Option<String> {
    let program = invocation.program.as_deref()?;
    let listing = invocation.has_flag(Some('l'), &["--list"])
        || invocation.has_flag(Some('p'), &["--print"])
        || invocation.texts().any(|text| text == "print");
    let formats = program.starts_with("mkfs")
        || matches!(
            program,
            "mke2fs"
                | "mkswap"
                | "wipefs"
                | "mkdosfs"
                | "mkntfs"
                | "mkexfatfs"
                | "blkdiscard"
                | "lvremove"
                | "vgremove"
                | "pvremove"
        )
        || matches!(
            program,
            "fdisk" | "sfdisk" | "cfdisk" | "gdisk" | "sgdisk" | "parted"
        ) && !listing
        || program == "cryptsetup"
            && matches!(
                invocation.verb(),
                Some("luksFormat" | "erase" | "luksErase")
            )
        || matches!(program, "zpool" | "zfs") && invocation.verb() == Some("destroy");
    formats.then(|| format!("`{}`", invocation.command.text.trim()))
}

pub fn write_block_device(invocation: &Invocation) -> Option<String> {
    invocation
        .write_targets()
        .into_iter()
        .find(|target| paths::is_block_device(&target.path))
        .map(|target| target.to_string())
}

pub fn fork_bomb(context: &Context) -> Option<String> {
    let script = context.script;
    for name in &script.functions {
        let recursive = script.commands.iter().any(|command| {
            command.function.as_deref() == Some(name.as_str())
                && command.program_name() == Some(name.as_str())
                && (command.in_pipeline || command.background)
        });
        if recursive {
            return Some(format!("`{name}` starts copies of itself without end"));
        }
    }
    let compact: String = script.text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.contains("forkwhilefork")
        || compact.contains("while(1)fork")
        || (compact.contains("os.fork()") && compact.contains("while"))
    {
        return Some("code that forks in a loop".to_string());
    }
    None
}

pub fn recursive_permission_change(invocation: &Invocation) -> Option<String> {
    if !invocation.is(&["chmod", "chown", "chgrp", "chattr", "setfacl"]) {
        return None;
    }
    if !invocation.has_flag(Some('R'), &["--recursive"]) {
        return None;
    }
    invocation
        .positionals("", &[])
        .into_iter()
        .skip(1)
        .find_map(|word| paths::critical_path(&invocation.resolve_path(&word.text)))
        .map(|critical| {
            format!("changes ownership or permissions of everything under `{critical}`")
        })
}

pub fn overwrite_account_database(invocation: &Invocation) -> Option<String> {
    invocation
        .write_targets()
        .into_iter()
        .find(|target| target.overwrite && paths::is_account_database(&target.path))
        .map(|target| target.to_string())
}

pub fn halt_system(invocation: &Invocation) -> Option<String> {
    if let Some(target) = invocation
        .write_targets()
        .into_iter()
        .find(|target| target.path == "/proc/sysrq-trigger")
    {
        return Some(target.to_string());
    }
    let program = invocation.program.as_deref()?;
    let halts = match program {
        "shutdown" | "reboot" | "halt" | "poweroff" | "killall5" => true,
        "init" | "telinit" => invocation.texts().any(|text| matches!(text, "0" | "6")),
        "systemctl" => matches!(
            invocation.verb(),
            Some("poweroff" | "reboot" | "halt" | "kexec" | "emergency" | "rescue")
        ),
        "kill" => {
            let mut texts: Vec<&str> = invocation.texts().filter(|text| *text != "--").collect();
            match texts.first().copied() {
                Some("-s" | "-n") => {
                    texts.drain(..2.min(texts.len()));
                }
                Some(first)
                    if first.starts_with('-') && !invocation.texts().any(|text| text == "--") =>
                {
                    texts.remove(0);
                }
                _ => {}
            }
            texts.iter().any(|pid| matches!(*pid, "-1" | "1"))
        }
        _ => false,
    };
    halts.then(|| format!("`{}`", invocation.command.text.trim()))
}
