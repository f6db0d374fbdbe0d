//! The upstream module trees at the edge: finding them on disk (`sources`),
//! reading their files, and the persistent index cache.

pub mod sources;
