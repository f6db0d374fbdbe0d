//! The conversions the request loop (`server.rs`) uses, from both
//! directions: see [`super::from_proto`] and [`super::to_proto`].

pub use super::from_proto::{offset, path_of};
pub use super::to_proto::{range, uri_of};
