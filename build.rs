//! Build script: rebuild the crate when the catalog changes.
//!
//! `src/catalog.rs` embeds `install-docs/` with `include_dir!`, a proc macro that cannot tell
//! cargo which files it read (that needs a nightly-only API). Without this line, editing a
//! catalog entry would leave a stale copy in the binary until some Rust file changed.

fn main() {
    println!("cargo::rerun-if-changed=install-docs");
}
