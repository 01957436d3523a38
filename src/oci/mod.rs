//! OCI image assembly for `provision` (DESIGN §1, the CI row): a base (its own layers, or one
//! layer made from a root filesystem), the sandbox's changes as one more layer, an image config
//! with provenance labels, a manifest, `index.json` with the tag and `oci-layout`, written as one
//! tar archive that `podman load`, `docker load`, `skopeo` and `umoci` read. No daemon.
//!
//! Reproducible: layers are gzip streams with a fixed header, entries come in name order with
//! mtimes clamped to `SOURCE_DATE_EPOCH` (0 when unset), the config's `created` is that same
//! time, and the archive itself is written the same way; the same inputs give the same digests.

pub mod base;
pub mod blob;
pub mod image;
pub mod layer_cache;
pub mod unpack;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::ExitStatus;

pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// A content descriptor (OCI image spec, "Descriptors").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType")]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<serde_json::Value>,
}

impl Descriptor {
    pub fn new(media_type: &str, blob: &blob::Blob) -> Descriptor {
        Descriptor {
            media_type: media_type.to_string(),
            digest: blob.digest.clone(),
            size: blob.size,
            annotations: None,
            platform: None,
        }
    }
}

/// Why an image could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// `--base` names nothing usable.
    #[error("the base `{spec}` cannot be used: {reason}")]
    Base { spec: String, reason: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl OciError {
    pub(crate) fn base(spec: &str, reason: impl Into<String>) -> OciError {
        OciError::Base {
            spec: spec.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> OciError {
        OciError::Io {
            context: context.into(),
            source,
        }
    }

    pub fn exit_status(&self) -> ExitStatus {
        match self {
            OciError::Base { .. } => ExitStatus::Usage,
            OciError::Io { .. } => ExitStatus::Failure,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            OciError::Base { .. } => Some(
                "pass a root filesystem directory (one with /bin/sh), a named base \
                 (debian-bookworm), a rootfs tarball (.tar or .tar.gz), or an OCI image archive \
                 (e.g. from `skopeo copy docker://debian:12 oci-archive:debian.tar`)"
                    .to_string(),
            ),
            OciError::Io { .. } => None,
        }
    }
}

/// Where `provision` caches unpacked bases (`bases/`) and compressed base layers (`layers/`):
/// the root of every cache (see [`crate::config::cache_dir`]).
pub fn cache_dir() -> PathBuf {
    crate::config::cache_dir()
}

/// This machine's architecture in the OCI (Go) spelling: `amd64`, `arm64`, ...
pub fn architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// Seconds since the epoch as RFC 3339 in UTC (`1970-01-01T00:00:00Z`).
pub fn rfc3339(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_utc_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
