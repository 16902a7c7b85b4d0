//! The state of `rma` and `rma_2x2` across groups, and its pooling.
//!
//! Every accumulated study is one entry of flat columns (its group index, its
//! study key and its values), so a query over millions of groups allocates
//! nothing per group while it reads. The partial state that DataFusion
//! ships between phases (and Ballista between executors) is, per group, the
//! list of its studies: lists merge by concatenation, exactly, whatever the
//! partitioning.
//!
//! Before pooling, each group's studies are put in a canonical order, by
//! study key, then by the bits of the values (`f64::total_cmp`), so that the
//! order in which partitions delivered them does not matter: the kernel's
//! sums, and so every bit of the result, depend only on the multiset of
//! studies. Floating-point addition is not associative; without this sort a
//! group's rows arrive in an order set by the plan (the number of
//! partitions, which file was read first) and the last bits of the estimate
//! change from run to run.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, ListArray, StringArray,
    StructArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type, Int64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};
use rema_core::batch::{pool_batch, BatchOptions, BatchRow, BatchStatus};
use rema_core::effect::BinaryStudy;
use rema_core::{EffectOptions, Measure, StudyData};

/// What the values of a study are and how a group is pooled.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `rma(yi, vi, ...)`: effect sizes with their sampling variances.
    Generic,
    /// `rma_2x2(ai, bi, ci, di, measure, ...)`: 2×2 tables, turned into
    /// effect sizes per group by rema-core's escalc code.
    TwoByTwo(Measure),
}

impl Kind {
    /// The number of value columns.
    pub fn columns(&self) -> usize {
        match self {
            Kind::Generic => 2,
            Kind::TwoByTwo(_) => 4,
        }
    }

    /// The names of the value columns (metafor's argument names).
    pub fn names(&self) -> &'static [&'static str] {
        match self {
            Kind::Generic => &["yi", "vi"],
            Kind::TwoByTwo(_) => &["ai", "bi", "ci", "di"],
        }
    }
}

/// The result's fields: `rema batch`'s statistics columns, in its order.
pub fn result_fields() -> Fields {
    let f = |n: &str| Field::new(n, DataType::Float64, true);
    Fields::from(vec![
        Field::new("k", DataType::Int64, false),
        f("estimate"),
        f("se"),
        f("ci_lower"),
        f("ci_upper"),
        f("zval"),
        f("pval"),
        f("tau2"),
        f("i2"),
        f("h2"),
        f("q"),
        f("q_pval"),
        f("pi_lower"),
        f("pi_upper"),
        Field::new("iterations", DataType::Int64, false),
        Field::new("converged", DataType::Boolean, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("notes", DataType::Utf8, false),
    ])
}

/// The partial state's fields: per group the list of study keys, one list
/// per value column, and the number of rows left out for a missing value.
pub fn state_fields(name: &str, kind: &Kind) -> Vec<FieldRef> {
    let item = |t: DataType| Arc::new(Field::new_list_field(t, false));
    let mut out = vec![Arc::new(Field::new(
        format!("{name}[study]"),
        DataType::List(item(DataType::Int64)),
        true,
    ))];
    for c in kind.names() {
        out.push(Arc::new(Field::new(
            format!("{name}[{c}]"),
            DataType::List(item(DataType::Float64)),
            true,
        )));
    }
    out.push(Arc::new(Field::new(
        format!("{name}[dropped]"),
        DataType::Int64,
        true,
    )));
    out
}

/// The accumulated studies of every group, as flat columns.
#[derive(Debug)]
pub struct RmaGroups {
    kind: Kind,
    opts: BatchOptions,
    /// Whether the call gave a study key (else every key is 0).
    has_study: bool,
    group: Vec<usize>,
    study: Vec<i64>,
    values: Vec<Vec<f64>>,
    /// Per group: rows left out because a value was null.
    dropped: Vec<i64>,
}

impl RmaGroups {
    /// An empty state.
    pub fn new(kind: Kind, opts: BatchOptions, has_study: bool) -> Self {
        let n = kind.columns();
        RmaGroups {
            kind,
            opts,
            has_study,
            group: Vec::new(),
            study: Vec::new(),
            values: vec![Vec::new(); n],
            dropped: Vec::new(),
        }
    }

    fn grow(&mut self, total: usize) {
        if self.dropped.len() < total {
            self.dropped.resize(total, 0);
        }
    }

    /// The value columns (and the study key, if given) of a call, as f64
    /// and i64 arrays.
    fn inputs(&self, values: &[ArrayRef]) -> Result<(Vec<Float64Array>, Option<Int64Array>)> {
        let n = self.kind.columns();
        if values.len() < n {
            return Err(DataFusionError::Internal(format!(
                "rma: {} arguments where {n} value columns were expected",
                values.len()
            )));
        }
        let mut cols = Vec::with_capacity(n);
        for (j, v) in values[..n].iter().enumerate() {
            let c = cast(v, &DataType::Float64).map_err(|e| {
                DataFusionError::Plan(format!(
                    "rma: argument `{}` ({}) is not a number: {e}",
                    self.kind.names()[j],
                    v.data_type()
                ))
            })?;
            cols.push(c.as_primitive::<Float64Type>().clone());
        }
        let study = if self.has_study {
            let v = values.last().expect("study argument");
            let c = cast(v, &DataType::Int64).map_err(|e| {
                DataFusionError::Plan(format!(
                    "rma: the study key ({}) must be an integer column: {e}",
                    v.data_type()
                ))
            })?;
            Some(c.as_primitive::<Int64Type>().clone())
        } else {
            None
        };
        Ok((cols, study))
    }

    /// Emits the first groups (all, or n), sorted, and keeps the rest with
    /// their group indices shifted down: the studies of group g are
    /// `offsets[g]..offsets[g + 1]` of the returned columns.
    fn take(&mut self, emit_to: EmitTo) -> Taken {
        let groups = match emit_to {
            EmitTo::All => self.dropped.len(),
            EmitTo::First(n) => n.min(self.dropped.len()),
        };
        let dropped = emit_to.take_needed(&mut self.dropped);
        // Counting sort of the emitted rows by group.
        let mut offsets = vec![0usize; groups + 1];
        for &g in &self.group {
            if g < groups {
                offsets[g + 1] += 1;
            }
        }
        for g in 0..groups {
            offsets[g + 1] += offsets[g];
        }
        let total = offsets[groups];
        let mut order = vec![0usize; total];
        let mut next = offsets.clone();
        for (r, &g) in self.group.iter().enumerate() {
            if g < groups {
                order[next[g]] = r;
                next[g] += 1;
            }
        }
        // The canonical order within each group.
        let (study, values) = (&self.study, &self.values);
        for g in 0..groups {
            order[offsets[g]..offsets[g + 1]].sort_unstable_by(|&a, &b| {
                study[a].cmp(&study[b]).then_with(|| {
                    values
                        .iter()
                        .map(|c| c[a].total_cmp(&c[b]))
                        .find(|o| o.is_ne())
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
            });
        }
        let out_study: Vec<i64> = order.iter().map(|&r| study[r]).collect();
        let out_values: Vec<Vec<f64>> = values
            .iter()
            .map(|c| order.iter().map(|&r| c[r]).collect())
            .collect();
        if matches!(emit_to, EmitTo::All) {
            self.group.clear();
            self.study.clear();
            self.values.iter_mut().for_each(Vec::clear);
        } else {
            let mut w = 0;
            for r in 0..self.group.len() {
                let g = self.group[r];
                if g >= groups {
                    self.group[w] = g - groups;
                    self.study[w] = self.study[r];
                    for c in self.values.iter_mut() {
                        c[w] = c[r];
                    }
                    w += 1;
                }
            }
            self.group.truncate(w);
            self.study.truncate(w);
            self.values.iter_mut().for_each(|c| c.truncate(w));
        }
        Taken {
            offsets,
            study: out_study,
            values: out_values,
            dropped,
        }
    }

    /// Pools the taken groups into the result struct.
    fn pool(&self, t: Taken) -> Result<ArrayRef> {
        let groups = t.offsets.len() - 1;
        let mut notes: Vec<Vec<String>> = vec![Vec::new(); groups];
        let mut failed: Vec<Option<BatchStatus>> = vec![None; groups];
        let (offsets, yi, vi) = match &self.kind {
            Kind::Generic => {
                let (yi, vi) = (&t.values[0], &t.values[1]);
                for g in 0..groups {
                    let r = t.offsets[g]..t.offsets[g + 1];
                    let bad_y = yi[r.clone()].iter().filter(|y| !y.is_finite()).count();
                    let bad_v = vi[r]
                        .iter()
                        .filter(|v| !(v.is_finite() && **v > 0.0))
                        .count();
                    if bad_y > 0 {
                        notes[g].push(format!("nonfinite_yi={bad_y}"));
                    }
                    if bad_v > 0 {
                        notes[g].push(format!("nonpositive_vi={bad_v}"));
                    }
                }
                (t.offsets.clone(), t.values[0].clone(), t.values[1].clone())
            }
            Kind::TwoByTwo(measure) => {
                let mut offsets = Vec::with_capacity(groups + 1);
                offsets.push(0);
                let (mut yi, mut vi) = (Vec::new(), Vec::new());
                for g in 0..groups {
                    let r = t.offsets[g]..t.offsets[g + 1];
                    if !r.is_empty() {
                        let studies = StudyData::Binary(
                            r.map(|i| BinaryStudy {
                                ai: t.values[0][i],
                                bi: t.values[1][i],
                                ci: t.values[2][i],
                                di: t.values[3][i],
                            })
                            .collect(),
                        );
                        match rema_core::effect_sizes(*measure, &studies, &EffectOptions::default())
                        {
                            Ok(es) => {
                                yi.extend(es.yi);
                                vi.extend(es.vi);
                                notes[g].extend(es.notes);
                            }
                            Err(e) => {
                                failed[g] = Some(BatchStatus::InvalidInput);
                                notes[g].push(located(&e, &t.study[t.offsets[g]..]));
                            }
                        }
                    }
                    offsets.push(yi.len());
                }
                (offsets, yi, vi)
            }
        };
        let mut rows = vec![BatchRow::default(); groups];
        pool_batch(&offsets, &yi, &vi, &self.opts, &mut rows)
            .map_err(|e| DataFusionError::Execution(format!("rma: {e}")))?;
        for g in 0..groups {
            if let Some(status) = failed[g] {
                rows[g].status = status;
                rows[g].k = t.offsets[g + 1] - t.offsets[g];
            }
            if t.dropped[g] > 0 {
                notes[g].push(format!("dropped_missing={}", t.dropped[g]));
            }
        }
        result_array(&rows, &notes)
    }

    fn emit_state(&mut self, emit_to: EmitTo) -> Vec<ArrayRef> {
        let t = self.take(emit_to);
        let off = OffsetBuffer::from_lengths(t.offsets.windows(2).map(|w| w[1] - w[0]));
        let item = |t: DataType| Arc::new(Field::new_list_field(t, false));
        let mut out: Vec<ArrayRef> = vec![Arc::new(ListArray::new(
            item(DataType::Int64),
            off.clone(),
            Arc::new(Int64Array::from(t.study)),
            None,
        ))];
        for c in t.values {
            out.push(Arc::new(ListArray::new(
                item(DataType::Float64),
                off.clone(),
                Arc::new(Float64Array::from(c)),
                None,
            )));
        }
        out.push(Arc::new(Int64Array::from(t.dropped)));
        out
    }
}

/// rema-core's message for a group's studies, which names a study by its
/// position in the (sorted) group, with that study's key.
fn located(e: &rema_core::Error, keys: &[i64]) -> String {
    use rema_core::Error as E;
    let at = match e {
        E::InvalidValue { study, .. }
        | E::NonFiniteEffect { study, .. }
        | E::InvalidVariance { study, .. } => Some(*study),
        _ => None,
    };
    match at.and_then(|i| keys.get(i)) {
        Some(k) => format!("{e} (study key {k})"),
        None => e.to_string(),
    }
}

/// Groups taken out of the state, in canonical order.
struct Taken {
    offsets: Vec<usize>,
    study: Vec<i64>,
    values: Vec<Vec<f64>>,
    dropped: Vec<i64>,
}

/// The result struct of pooled rows, one per group.
fn result_array(rows: &[BatchRow], extra: &[Vec<String>]) -> Result<ArrayRef> {
    let f = |get: fn(&BatchRow) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(rows.iter().map(get)))
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|r| r.k as i64),
        )),
        f(|r| r.estimate),
        f(|r| r.se),
        f(|r| r.ci_lower),
        f(|r| r.ci_upper),
        f(|r| r.stat),
        f(|r| r.pval),
        f(|r| r.tau2),
        f(|r| r.i2),
        f(|r| r.h2),
        f(|r| r.q),
        f(|r| r.q_pval),
        f(|r| r.pi_lower),
        f(|r| r.pi_upper),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|r| i64::from(r.iterations)),
        )),
        Arc::new(BooleanArray::from_iter(
            rows.iter().map(|r| Some(r.status == BatchStatus::Ok)),
        )),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.status.name()),
        )),
        Arc::new(StringArray::from_iter_values(rows.iter().zip(extra).map(
            |(r, e)| {
                let mut n: Vec<&str> = r.notes.names().collect();
                n.extend(e.iter().map(String::as_str));
                n.join("; ")
            },
        ))),
    ];
    Ok(Arc::new(StructArray::try_new(
        result_fields(),
        columns,
        None,
    )?))
}

impl GroupsAccumulator for RmaGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let (cols, study) = self.inputs(values)?;
        for (r, &g) in group_indices.iter().enumerate() {
            if opt_filter.is_some_and(|f| !f.is_valid(r) || !f.value(r)) {
                continue;
            }
            let null =
                cols.iter().any(|c| c.is_null(r)) || study.as_ref().is_some_and(|s| s.is_null(r));
            if null {
                self.dropped[g] += 1;
                continue;
            }
            self.group.push(g);
            self.study.push(study.as_ref().map_or(0, |s| s.value(r)));
            for (dst, c) in self.values.iter_mut().zip(&cols) {
                dst.push(c.value(r));
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let t = self.take(emit_to);
        self.pool(t)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(self.emit_state(emit_to))
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let n = self.kind.columns();
        if values.len() != n + 2 {
            return Err(DataFusionError::Internal(format!(
                "rma: a partial state of {} columns where {} were expected",
                values.len(),
                n + 2
            )));
        }
        let study = values[0].as_list::<i32>();
        let cols: Vec<&ListArray> = values[1..=n].iter().map(|v| v.as_list::<i32>()).collect();
        let dropped = values[n + 1].as_primitive::<Int64Type>();
        let study_items = study.values().as_primitive::<Int64Type>();
        let col_items: Vec<&Float64Array> = cols
            .iter()
            .map(|c| c.values().as_primitive::<Float64Type>())
            .collect();
        for (r, &g) in group_indices.iter().enumerate() {
            if !dropped.is_null(r) {
                self.dropped[g] += dropped.value(r);
            }
            if study.is_null(r) {
                continue;
            }
            let (a, b) = (
                study.value_offsets()[r] as usize,
                study.value_offsets()[r + 1] as usize,
            );
            for i in a..b {
                self.group.push(g);
                self.study.push(study_items.value(i));
            }
            for ((dst, c), items) in self.values.iter_mut().zip(&cols).zip(&col_items) {
                let (a, b) = (
                    c.value_offsets()[r] as usize,
                    c.value_offsets()[r + 1] as usize,
                );
                if b - a != study.value_length(r) as usize {
                    return Err(DataFusionError::Internal(
                        "rma: partial state lists of different lengths".into(),
                    ));
                }
                dst.extend_from_slice(&items.values()[a..b]);
            }
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let rows = values.first().map_or(0, |v| v.len());
        let mut state = RmaGroups::new(self.kind.clone(), self.opts, self.has_study);
        let groups: Vec<usize> = (0..rows).collect();
        state.update_batch(values, &groups, opt_filter, rows)?;
        Ok(state.emit_state(EmitTo::All))
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.group.capacity() * std::mem::size_of::<usize>()
            + self.study.capacity() * 8
            + self.values.iter().map(|c| c.capacity() * 8).sum::<usize>()
            + self.dropped.capacity() * 8
    }
}

/// The one-group accumulator DataFusion asks for where it cannot use the
/// groups accumulator (e.g. an aggregate without GROUP BY): the same state
/// with a single group.
#[derive(Debug)]
pub struct RmaOne(pub RmaGroups);

impl Accumulator for RmaOne {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let n = values.first().map_or(0, |v| v.len());
        self.0.update_batch(values, &vec![0; n], None, 1)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.0.grow(1);
        let a = self.0.evaluate(EmitTo::All)?;
        ScalarValue::try_from_array(&a, 0)
    }

    fn size(&self) -> usize {
        self.0.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.0.grow(1);
        self.0
            .emit_state(EmitTo::All)
            .iter()
            .map(|a| ScalarValue::try_from_array(a, 0))
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let n = states.first().map_or(0, |v| v.len());
        self.0.merge_batch(states, &vec![0; n], 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rema_core::{FitOptions, Method};

    fn state() -> RmaGroups {
        let opts = BatchOptions {
            fit: FitOptions::new(Method::Dl),
            ..BatchOptions::default()
        };
        let mut s = RmaGroups::new(Kind::Generic, opts, true);
        let yi: ArrayRef = Arc::new(Float64Array::from(vec![0.1, 0.5, 0.3, -0.2, 0.4, 0.0, 0.9]));
        let vi: ArrayRef = Arc::new(Float64Array::from(vec![0.1, 0.2, 0.05, 0.1, 0.3, 0.2, 0.1]));
        let study: ArrayRef = Arc::new(Int64Array::from(vec![3, 1, 2, 1, 2, 1, 2]));
        let groups = [0, 0, 0, 1, 1, 2, 2];
        s.update_batch(&[yi, vi, study], &groups, None, 3).unwrap();
        s
    }

    /// EmitTo::First(n) must emit the first n groups as All would and
    /// keep the rest, renumbered from 0 (DataFusion's contract).
    #[test]
    fn emit_first_then_all_equals_all() {
        let all = state().evaluate(EmitTo::All).unwrap();
        let mut s = state();
        let first = s.evaluate(EmitTo::First(2)).unwrap();
        let rest = s.evaluate(EmitTo::All).unwrap();
        assert_eq!(first.len(), 2);
        assert_eq!(rest.len(), 1);
        assert_eq!(&all.slice(0, 2), &first);
        assert_eq!(&all.slice(2, 1), &rest);
    }

    /// state(First(n)) merged into a fresh accumulator gives the same rows.
    #[test]
    fn state_round_trip_merges_exactly() {
        let all = state().evaluate(EmitTo::All).unwrap();
        let mut s = state();
        let mut merged = RmaGroups::new(Kind::Generic, s.opts, true);
        let a = s.state(EmitTo::First(1)).unwrap();
        let b = s.state(EmitTo::All).unwrap();
        // The second state's groups were renumbered from 0: they are 1, 2.
        merged.merge_batch(&b, &[1, 2], 3).unwrap();
        merged.merge_batch(&a, &[0], 3).unwrap();
        assert_eq!(&merged.evaluate(EmitTo::All).unwrap(), &all);
    }
}
