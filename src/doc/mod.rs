//! Install docs: loading a source into text ([`source`]), converting HTML ([`html`]), and
//! parsing Markdown into a [`Doc`] of sections, code blocks, commands, routes and verification.

pub mod source;

pub use source::{LoadError, LoadOptions, LoadedDoc, load};

/// A parsed install doc.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Doc {}

/// Parses a loaded doc. Parsing never fails: a doc with no commands is a valid (empty) doc;
/// deciding that nothing can be installed from it is the caller's business.
pub fn parse(loaded: &LoadedDoc) -> Doc {
    let _ = loaded;
    Doc {}
}
