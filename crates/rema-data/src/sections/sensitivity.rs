//! The sensitivity sections (`leave_one_out`, `influence`, `cumulative`):
//! rema-core's refits labelled with the studies of the input. With `mods`
//! every refit is the meta-regression (the rows of the design kept with their
//! studies): leave-one-out as `rma(yi, vi, mods, subset = -i)` and influence
//! as metafor's `influence()` of the meta-regression; metafor's `leave1out()`
//! and `cumul()` refuse models with moderators. The cumulative
//! meta-regression refits the first j studies of the order; a step where the
//! model is not estimable (fewer studies than it needs, a moderator constant
//! so far) has no numbers and says why in its `error`.

use rema_core::{
    cumulative, fit_with_moderators, influence, leave_one_out, stable_order, FitOptions, Rma,
    Studies, Test,
};

use crate::columns::{parse_number, StudyTable};
use crate::error::{DataError, Location, Result};
use crate::prepare::Prepared;
use crate::result::{CumulativeRow, InfluenceRow, LeaveOneOutRow, SummaryFields};
use crate::spec::Analysis;
use crate::table::Table;

/// The sensitivity section.
pub(crate) struct Sensitivity {
    pub leave_one_out: Option<Vec<LeaveOneOutRow>>,
    pub influence: Option<Vec<InfluenceRow>>,
    pub cumulative: Option<Vec<CumulativeRow>>,
    pub notes: Vec<String>,
}

pub(crate) fn build(p: &Prepared, a: &Analysis) -> Result<Sensitivity> {
    let spec = &a.spec;
    let mut notes = Vec::new();
    let leave_one_out = spec
        .leave_one_out
        .then(|| leave_one_out_rows(p, &mut notes))
        .transpose()?;
    let influence = spec.influence.then(|| influence_rows(p)).transpose()?;
    let cumulative = spec
        .cumulative
        .then(|| cumulative_rows(p, spec.order.as_deref(), &mut notes))
        .transpose()?;
    Ok(Sensitivity {
        leave_one_out,
        influence,
        cumulative,
        notes,
    })
}

fn leave_one_out_rows(p: &Prepared, notes: &mut Vec<String>) -> Result<Vec<LeaveOneOutRow>> {
    let st = &p.studies;
    let k = p.es.yi.len();
    let row = |omitted: usize, fit: SummaryFields| LeaveOneOutRow {
        omitted: st.labels[omitted].clone(),
        line: st.lines.get(omitted).copied(),
        fit,
    };
    let Some(m) = &p.mods else {
        let rows = leave_one_out(&p.es.yi, &p.es.vi, &p.opts).map_err(|e| st.core_error(e))?;
        return Ok(rows
            .iter()
            .map(|r| row(r.omitted, SummaryFields::from(k - 1, &r.fit)))
            .collect());
    };
    notes.push(
        "leave_one_out with mods: each row is the meta-regression refitted without the study (metafor's leave1out() refuses models with moderators; rma(mods, subset = -i) gives the same)".to_string(),
    );
    let studies = Studies::new(&p.es.yi, &p.es.vi).map_err(|e| st.core_error(e))?;
    let model = Rma::with_options(p.opts)
        .fit_mods(&studies, &p.design)
        .map_err(|e| st.core_error(e))?;
    let rows = model.leave_one_out().map_err(|e| st.core_error(e))?;
    Ok(rows
        .iter()
        .map(|r| {
            row(
                r.omitted,
                SummaryFields::of_moderated(k - 1, &r.fit, &m.names),
            )
        })
        .collect())
}

fn influence_rows(p: &Prepared) -> Result<Vec<InfluenceRow>> {
    let st = &p.studies;
    let rows = influence(&p.es.yi, &p.es.vi, &p.design, &p.fit).map_err(|e| st.core_error(e))?;
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, r)| InfluenceRow::new(st.labels[i].clone(), st.lines.get(i).copied(), r))
        .collect())
}

/// The meta-regression refitted to the first 1, 2, ..., k studies of
/// `order`, each step with the rows of the design of its studies. As
/// metafor's `rma()`, a refit to one study uses the z test.
fn cumulative_moderated(p: &Prepared, order: &[usize], names: &[String]) -> Vec<SummaryFields> {
    (1..=order.len())
        .map(|j| {
            let keep = &order[..j];
            let y: Vec<f64> = keep.iter().map(|&i| p.es.yi[i]).collect();
            let v: Vec<f64> = keep.iter().map(|&i| p.es.vi[i]).collect();
            let opts = if j == 1 {
                FitOptions {
                    test: Test::Z,
                    ..p.opts
                }
            } else {
                p.opts
            };
            let fit = fit_with_moderators(&y, &v, &p.design.select_rows(keep), &opts);
            SummaryFields::of_moderated(j, &fit, names)
        })
        .collect()
}

/// The order of a cumulative analysis: the `order` column's (numeric, or
/// as text when it is not), ties and blanks as R's `order()`; the input order
/// without it. Also each study's value of the column, as written.
pub(crate) fn cumulative_order(
    table: &Table,
    st: &StudyTable,
    order_col: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<(Vec<usize>, Option<Vec<String>>)> {
    let k = table.rows.len();
    let Some(name) = order_col else {
        return Ok(((0..k).collect(), None));
    };
    let c = table.column(name).ok_or_else(|| DataError::Invalid {
        at: Location {
            file: Some(table.source.clone()),
            line: Some(1),
            column: Some(name.to_string()),
            study: None,
        },
        message: format!(
            "`order` names a column that is not in the header; the columns are: {}",
            table.headers.join(", ")
        ),
    })?;
    let raw: Vec<String> = table
        .rows
        .iter()
        .map(|r| r.cells[c].trim().to_string())
        .collect();
    let numeric: std::result::Result<Vec<f64>, DataError> = table
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            parse_number(&r.cells[c], table.decimal_comma, || st.locate(i))
                .map(|v| v.unwrap_or(f64::NAN))
        })
        .collect();
    let order = match numeric {
        Ok(keys) => {
            if keys.iter().any(|x| x.is_nan()) {
                notes.push(format!(
                    "order `{name}`: studies without a value come last, as R's order()"
                ));
            }
            stable_order(&keys)
        }
        Err(_) => {
            notes.push(format!(
                "order `{name}`: the column is not numeric and is sorted as text (byte order), ties in input order"
            ));
            let mut idx: Vec<usize> = (0..k).collect();
            idx.sort_by(|&a, &b| raw[a].cmp(&raw[b]));
            idx
        }
    };
    Ok((order, Some(raw)))
}

/// The cumulative analysis, ordered by the `order` column when given.
fn cumulative_rows(
    p: &Prepared,
    order_col: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<Vec<CumulativeRow>> {
    let st = &p.studies;
    let k = p.es.yi.len();
    let (order, raw) = cumulative_order(&p.table, st, order_col, notes)?;
    if p.opts.test.uses_t() {
        notes
            .push("cumulative: the first step (one study) uses the z test, as metafor".to_string());
    }
    let fits: Vec<SummaryFields> = match &p.mods {
        None => cumulative(&p.es.yi, &p.es.vi, &order, &p.opts)
            .map_err(|e| st.core_error(e))?
            .iter()
            .enumerate()
            .map(|(j, s)| SummaryFields::from(j + 1, &s.fit))
            .collect(),
        Some(m) => {
            let fits = cumulative_moderated(p, &order, &m.names);
            let missing = fits.iter().filter(|f| f.error.is_some()).count();
            notes.push(format!(
                "cumulative with mods: each step is the meta-regression refitted to the studies added so far (metafor's cumul() refuses models with moderators); {missing} of {k} steps are not estimable and have no numbers (see their error)"
            ));
            fits
        }
    };
    Ok(labelled_steps(st, &order, raw.as_deref(), fits))
}

/// The rows of a cumulative analysis: step j adds study `order[j]` (with its
/// value `raw` of the `order` column) and has the fit `fits[j]`.
pub(crate) fn labelled_steps(
    st: &StudyTable,
    order: &[usize],
    raw: Option<&[String]>,
    fits: Vec<SummaryFields>,
) -> Vec<CumulativeRow> {
    order
        .iter()
        .zip(fits)
        .map(|(&added, fit)| CumulativeRow {
            added: st.labels[added].clone(),
            line: st.lines.get(added).copied(),
            order_value: raw.map(|r| r[added].clone()),
            fit,
        })
        .collect()
}
