//! The built-in catalog: the install descriptions under `install-docs/`, embedded in the binary.
