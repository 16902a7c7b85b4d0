//! rema inside Apache DataFusion (and Ballista, its distributed form).
//!
//! Two aggregate functions pool many meta-analyses in one SQL query:
//!
//! ```sql
//! SELECT analysis_id, rma(yi, vi, 'DL', study) AS r FROM 'long.parquet' GROUP BY analysis_id
//! SELECT outcome, rma_2x2(ai, bi, ci, di, 'OR', 'REML') FROM trials GROUP BY outcome
//! ```
//!
//! Each group is one intercept-only model, metafor's `rma(yi, vi, method)`
//! with `predict()`, computed by rema-core's batch kernel
//! ([`rema_core::batch::pool_batch`]), so a row is `rema batch`'s row for the
//! same studies. The functions are [`datafusion::logical_expr::GroupsAccumulator`]s
//! whose partial state is each group's list of studies; before pooling, the
//! studies of a group are sorted by (study key, yi, vi) (see
//! [`accumulator`]), which makes every bit of the result independent of the
//! number of partitions and of the order in which files or executors
//! deliver the rows.
//!
//! Bad input never panics: a null value leaves its row out and is counted in
//! the group's notes (`dropped_missing=N`); a non-finite effect or a
//! variance ≤ 0 makes that group's status `invalid_input` with the count in
//! its notes (`nonpositive_vi=N`); invalid 2×2 counts make the status
//! `invalid_input` with rema-core's message, naming the study within the
//! group; a method or measure that is not known is a planning error naming
//! the argument.
//!
//! The binaries: `rema-sql` (a query on one machine, or on a Ballista
//! cluster with `--scheduler`), and `rema-ballista scheduler|executor` (a
//! Ballista scheduler and executor with these functions registered).

pub mod accumulator;
pub mod ballista;
pub mod output;
pub mod udaf;

use std::sync::Arc;

use datafusion::logical_expr::AggregateUDF;
use datafusion::prelude::SessionContext;

pub use udaf::{rma, rma_2x2, Function, RmaUdaf};

/// rema's aggregate functions, for a function registry.
pub fn functions() -> Vec<Arc<AggregateUDF>> {
    vec![Arc::new(rma()), Arc::new(rma_2x2())]
}

/// Registers `rma` and `rma_2x2` with a session.
pub fn register(ctx: &SessionContext) {
    for f in functions() {
        ctx.register_udaf(Arc::unwrap_or_clone(f));
    }
}
