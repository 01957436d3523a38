//! The environment probe: facts about this machine that planning needs.

/// What the probe found.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Probe {}
