//! `robust`: cluster-robust tests of the coefficients of the main fit
//! (rema-core's [`rema_core::robust`]: CR1 as metafor's `robust()`, CR2 as
//! clubSandwich's `coef_test` and `Wald_test` "HTZ"), the clusters read
//! from a column of the table.

use rema_core::robust::{diagonal, omnibus_coefficients, RobustType};

use crate::columns::StudyTable;
use crate::error::{DataError, Location, Result};
use crate::prepare::Prepared;
use crate::result::RobustResult;
use crate::spec::Analysis;
use crate::table::Table;

/// The cell of `column` of every study, as a cluster number (levels in
/// order of first appearance); `option` names the option that asked for
/// the column.
pub(crate) fn column_levels(
    table: &Table,
    st: &StudyTable,
    column: &str,
    option: &str,
) -> Result<Vec<String>> {
    let c = table
        .column(column)
        .ok_or_else(|| DataError::UnknownModerator {
            file: table.source.clone(),
            column: column.to_string(),
            what: format!("`{option}`"),
            available: table.headers.join(", "),
        })?;
    table
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let cell = row.cells.get(c).map(|s| s.trim()).unwrap_or("");
            if cell.is_empty() || cell == "NA" {
                Err(DataError::Missing {
                    at: Location {
                        column: Some(column.to_string()),
                        ..st.locate(i)
                    },
                })
            } else {
                Ok(cell.to_string())
            }
        })
        .collect()
}

/// Cluster numbers from labels, in order of first appearance.
pub(crate) fn cluster_ids(labels: &[String]) -> Vec<usize> {
    let mut seen = std::collections::HashMap::new();
    labels
        .iter()
        .map(|l| {
            let n = seen.len();
            *seen.entry(l.as_str()).or_insert(n)
        })
        .collect()
}

/// The robust part of an rma.uni analysis, with `robust`: weights
/// 1/(vᵢ + τ̂²) whatever the test, as metafor's `robust()`.
pub(crate) fn build(p: &Prepared, a: &Analysis) -> Result<Option<RobustResult>> {
    let Some(column) = a.spec.robust.as_deref() else {
        return Ok(None);
    };
    let labels = column_levels(&p.table, &p.studies, column, "robust")?;
    let blocks = diagonal(&p.es.vi, p.fit.tau2);
    let names = coefficient_names(p.mods.as_ref().map(|m| m.names.as_slice()));
    let r = rema_core::robust::robust(
        &p.es.yi,
        &p.design,
        &blocks,
        &cluster_ids(&labels),
        &omnibus_coefficients(&p.design),
        a.spec.robust_type.unwrap_or(RobustType::Cr2),
        p.opts.level,
    )
    .map_err(|e| p.studies.core_error(e))?;
    Ok(Some(RobustResult::new(&r, column, &names)))
}

/// The names of the coefficients: the design's, or `intrcpt` alone.
pub(crate) fn coefficient_names(mods: Option<&[String]>) -> Vec<String> {
    mods.map_or_else(|| vec!["intrcpt".to_string()], <[String]>::to_vec)
}
