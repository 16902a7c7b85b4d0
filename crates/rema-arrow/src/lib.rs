//! rema-arrow: columnar I/O for rema, and `rema batch`'s driver.
//!
//! - [`input`]: long tables in chunks, from CSV/TSV (plain, `.gz`, `.zst`),
//!   Parquet and Arrow IPC, with errors that name file, row, column and group;
//! - [`output`]: tables block by block to CSV or Parquet (`rema batch`,
//!   `rema gosh --format parquet`);
//! - [`batch`]: one pass over a grouped long table, pooled by
//!   `rema_core::batch::pool_batch`.
//!
//! This is the only rema crate that depends on arrow and parquet (at
//! DataFusion 55.2's major, 59); rema-core and rema-data never do.

#![warn(missing_docs)]

pub mod batch;
mod error;
pub mod input;
pub mod output;

pub use batch::{run, BatchSpec, BatchSummary};
pub use error::{At, BatchError, Result};
