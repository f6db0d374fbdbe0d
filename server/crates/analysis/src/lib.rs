//! Analysis layer: what a Nix flake repository means, computed statically.
//!
//! - [`eval`]: a bounded lazy evaluator where "unknown" is a value.
//! - [`module`]: per-module summaries (imports, option declarations,
//!   definitions), as plain data salsa can compare.
//! - [`hosts`]: hosts of the flake and their module closures.
//! - [`options`]: option indexes per host and for the whole repo.
//! - [`check`]: diagnostics (type mismatches, unknown options, …).
//! - [`packages`]: the repo's own package set.
//!
//! Nothing here does IO: files come from the database.

pub mod base;
pub mod diagnostics;
pub mod eval;
pub mod hosts;
pub mod known;
pub mod module;
pub mod options;
pub mod packages;
pub mod upstream;

pub use base::*;
pub use known::flake;
pub use module::types;
