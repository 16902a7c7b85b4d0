//! The aggregate functions `rma` and `rma_2x2`.
//!
//! - `rma(yi, vi [, method [, study]])`: metafor's `rma(yi, vi, method)`
//!   followed by `predict()`, once per group, through rema-core's batch
//!   kernel ([`rema_core::batch::pool_batch`]); `method` is a constant
//!   string (`'REML'`, the default, `'DL'`, `'FE'`, ... as `rema batch
//!   --method`), `study` an integer key that orders the studies of a group.
//! - `rma_2x2(ai, bi, ci, di, measure [, method [, study]])`: the same after
//!   metafor's `escalc(measure, ai, bi, ci, di)` on each group's 2×2 tables
//!   (`'OR'`, `'RR'`, `'RD'`, ... with metafor's default continuity
//!   correction, as `rema batch --measure`).
//!
//! Both return a struct with `rema batch`'s columns (k, estimate, se,
//! ci_lower, ci_upper, zval, pval, tau2, i2, h2, q, q_pval, pi_lower,
//! pi_upper, iterations, converged, status, notes).

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, GroupsAccumulator, Signature, TypeSignature,
    Volatility,
};
use datafusion::physical_expr::expressions::Literal;
use datafusion::physical_expr::PhysicalExpr;
use rema_core::batch::BatchOptions;
use rema_core::{DataKind, FitOptions, Measure, Method};

use crate::accumulator::{result_fields, state_fields, Kind, RmaGroups, RmaOne};

/// Which of the two functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `rma(yi, vi [, method [, study]])`.
    Rma,
    /// `rma_2x2(ai, bi, ci, di, measure [, method [, study]])`.
    Rma2x2,
}

impl Function {
    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            Function::Rma => "rma",
            Function::Rma2x2 => "rma_2x2",
        }
    }

    /// The number of value columns before the constant arguments.
    fn values(self) -> usize {
        match self {
            Function::Rma => 2,
            Function::Rma2x2 => 4,
        }
    }

    /// The number of constant (string) arguments the call may give, the
    /// first ones required.
    fn constants(self) -> (usize, usize) {
        match self {
            Function::Rma => (0, 1),
            Function::Rma2x2 => (1, 2),
        }
    }
}

/// A rema aggregate function, ready for [`AggregateUDF::new_from_impl`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RmaUdaf {
    function: Function,
    signature: Signature,
}

impl RmaUdaf {
    /// The function `f`.
    pub fn new(function: Function) -> Self {
        let (lo, hi) = function.constants();
        let n = function.values();
        // Without, with the optional constants, and with the study key last.
        let mut arities: Vec<usize> = (n + lo..=n + hi).collect();
        arities.push(n + hi + 1);
        RmaUdaf {
            function,
            signature: Signature::one_of(
                arities.into_iter().map(TypeSignature::Any).collect(),
                Volatility::Immutable,
            ),
        }
    }

    /// What a call computes: the kind of values, the model, and whether a
    /// study key was given.
    fn parse(
        &self,
        exprs: &[std::sync::Arc<dyn PhysicalExpr>],
    ) -> Result<(Kind, BatchOptions, bool)> {
        let name = self.function.name();
        let n = self.function.values();
        let (_, hi) = self.function.constants();
        let has_study = exprs.len() == n + hi + 1;
        let constant = |i: usize, what: &str| -> Result<Option<String>> {
            let Some(e) = exprs.get(i) else {
                return Ok(None);
            };
            if has_study && i == exprs.len() - 1 {
                return Ok(None);
            }
            match e.as_ref().downcast_ref::<Literal>().map(Literal::value) {
                Some(
                    ScalarValue::Utf8(Some(s))
                    | ScalarValue::LargeUtf8(Some(s))
                    | ScalarValue::Utf8View(Some(s)),
                ) => Ok(Some(s.clone())),
                _ => Err(DataFusionError::Plan(format!(
                    "{name}: argument {} ({what}) must be a constant string, e.g. '{}'",
                    i + 1,
                    if what == "method" { "REML" } else { "OR" }
                ))),
            }
        };
        let (kind, method_at) = match self.function {
            Function::Rma => (Kind::Generic, n),
            Function::Rma2x2 => {
                let m = constant(n, "measure")?.unwrap_or_default();
                let measure: Measure = m
                    .parse()
                    .map_err(|e: String| DataFusionError::Plan(format!("{name}: {e}")))?;
                if measure.data_kind() != DataKind::TwoGroupBinary {
                    return Err(DataFusionError::Plan(format!(
                        "{name}: measure {} is not a measure of 2x2 tables (ai, bi, ci, di): give RR, \
                         OR, RD, AS, PHI, YUQ, YUY, OR2DN or OR2DL, or use rma(yi, vi)",
                        measure.name()
                    )));
                }
                (Kind::TwoByTwo(measure), n + 1)
            }
        };
        let method = match constant(method_at, "method")? {
            None => Method::Reml,
            Some(m) => m
                .parse::<Method>()
                .map_err(|e| DataFusionError::Plan(format!("{name}: {e}")))?,
        };
        let opts = BatchOptions {
            fit: FitOptions::new(method),
            ..BatchOptions::default()
        };
        Ok((kind, opts, has_study))
    }

    fn groups(&self, args: &AccumulatorArgs) -> Result<RmaGroups> {
        let (kind, opts, has_study) = self.parse(args.exprs)?;
        Ok(RmaGroups::new(kind, opts, has_study))
    }
}

impl AggregateUDFImpl for RmaUdaf {
    fn name(&self) -> &str {
        self.function.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(RmaOne(self.groups(&args)?)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let kind = match self.function {
            Function::Rma => Kind::Generic,
            Function::Rma2x2 => Kind::TwoByTwo(Measure::Or),
        };
        Ok(state_fields(args.name, &kind))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(self.groups(&args)?))
    }
}

/// `rma` as a DataFusion aggregate function.
pub fn rma() -> AggregateUDF {
    AggregateUDF::new_from_impl(RmaUdaf::new(Function::Rma))
}

/// `rma_2x2` as a DataFusion aggregate function.
pub fn rma_2x2() -> AggregateUDF {
    AggregateUDF::new_from_impl(RmaUdaf::new(Function::Rma2x2))
}
