//! Tests and adjustments for small-study effects (funnel-plot asymmetry),
//! one module per method: Egger's regression test (`egger`, metafor
//! `regtest`), Begg and Mazumdar's rank correlation (`begg`, metafor
//! `ranktest`) and Duval and Tweedie's trim-and-fill (`trimfill`, metafor
//! `trimfill`).

pub mod begg;
pub mod egger;
pub mod trimfill;

pub use begg::{rank_correlation, RankTest};
pub use egger::{egger, EggerTest};
pub use trimfill::{trim_and_fill, Side, TrimFill};
