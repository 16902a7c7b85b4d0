//! `rema`: a meta-analysis toolkit.
//!
//! This crate is a thin facade: [`core`] is the pure estimation engine
//! (`rema-core`), [`data`] the data model and I/O (`rema-data`). The binaries
//! live in `rema-cli` (`rema`) and `rema-server` (`rema-server`).

pub use rema_core as core;
pub use rema_data as data;

pub mod golden;
pub mod golden_sensitivity;
pub mod verify;
