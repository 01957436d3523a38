//! Agents: what proposes the next action of an install (DESIGN §2).

pub mod packages;
pub mod repair;
