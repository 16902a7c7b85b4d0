//! The sensitivity sections (`leave_one_out`, `influence`, `cumulative`):
//! rema-core's refits labelled with the studies of the input. They refit the
//! intercept-only model, so they refuse an analysis with moderators rather
//! than ignore them.

use rema_core::{cumulative, influence, leave_one_out, stable_order};

use crate::columns::parse_number;
use crate::error::{DataError, Location, Result};
use crate::prepare::Prepared;
use crate::result::{CumulativeRow, InfluenceRow, LeaveOneOutRow, SummaryFields};
use crate::spec::Analysis;

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
    if p.mods.is_some() {
        let asked = [
            ("leave_one_out", spec.leave_one_out),
            ("influence", spec.influence),
            ("cumulative", spec.cumulative),
        ];
        if let Some((option, _)) = asked.iter().find(|(_, on)| *on) {
            return Err(DataError::option(
                option,
                format!(
                    "{option} refits the model without moderators; it is not available with mods (leave out mods, or {option})"
                ),
            ));
        }
    }
    let leave_one_out = spec
        .leave_one_out
        .then(|| leave_one_out_rows(p))
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

fn leave_one_out_rows(p: &Prepared) -> Result<Vec<LeaveOneOutRow>> {
    let st = &p.studies;
    let k = p.es.yi.len();
    let rows = leave_one_out(&p.es.yi, &p.es.vi, &p.opts).map_err(|e| st.core_error(e))?;
    Ok(rows
        .iter()
        .map(|r| LeaveOneOutRow {
            omitted: st.labels[r.omitted].clone(),
            line: st.lines.get(r.omitted).copied(),
            fit: SummaryFields::from(k - 1, &r.fit),
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

/// The cumulative analysis, ordered by the `order` column when given.
fn cumulative_rows(
    p: &Prepared,
    order_col: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<Vec<CumulativeRow>> {
    let (table, st) = (&p.table, &p.studies);
    let k = p.es.yi.len();
    let (order, raw): (Vec<usize>, Option<Vec<String>>) = match order_col {
        None => ((0..k).collect(), None),
        Some(name) => {
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
            (order, Some(raw))
        }
    };
    if p.opts.test.uses_t() {
        notes
            .push("cumulative: the first step (one study) uses the z test, as metafor".to_string());
    }
    let steps = cumulative(&p.es.yi, &p.es.vi, &order, &p.opts).map_err(|e| st.core_error(e))?;
    Ok(steps
        .iter()
        .enumerate()
        .map(|(j, s)| CumulativeRow {
            added: st.labels[s.added].clone(),
            line: st.lines.get(s.added).copied(),
            order_value: raw.as_ref().map(|r| r[s.added].clone()),
            fit: SummaryFields::from(j + 1, &s.fit),
        })
        .collect())
}
