//! The integration tests, compiled as one test binary: each former `tests/*.rs` file is a
//! module here, and `common` is their shared support. One binary links the library and its
//! dependencies once instead of once per file, which is most of the tests' build time after a
//! change to `src/` (measured in the commit that made this layout).
//!
//! Filter by module: `cargo nextest run -E 'test(/^llm_openai::/)'`, or
//! `cargo test --test it llm_openai::`.

mod common;

mod apply_plan;
mod apply_replay;
mod cache_rerun;
mod cli_everyday;
mod cli_help;
mod cli_pipes;
mod doc_load;
mod doc_parse;
mod doc_repository;
mod egress_run;
mod export_formats;
mod export_install;
mod hostile_docs;
mod lifecycle;
mod llm_anthropic;
mod llm_hybrid;
mod llm_measure;
mod llm_openai;
mod llm_scripted;
mod plan_review;
mod policy;
mod probe;
mod provision;
mod provision_live;
mod run_apt_repo;
mod run_failures;
mod run_injection;
mod run_live;
mod run_live_cargo;
mod run_pypi;
mod run_report;
mod run_tarball;
mod run_timeout;
mod sandbox_cleanup;
mod sandbox_cli;
mod sandbox_export;
mod sandbox_host_untouched;
mod sandbox_network;
mod sandbox_rootfs;
mod sandbox_rootless;
mod sandbox_session;
mod security_gate;
