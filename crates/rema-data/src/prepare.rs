//! The first stage of an analysis: from a table and a checked [`Analysis`]
//! to the studies, their effect sizes, the design and the main fit, computed
//! once for every section that follows.

use rema_core::{effect_sizes, fit_with_moderators, Design, EffectSizes, Fit, FitOptions};

use crate::columns::StudyTable;
use crate::convert::Conversion;
use crate::error::Result;
use crate::moderators::{Grouping, ModeratorDesign};
use crate::spec::Analysis;
use crate::table::Table;

/// Everything the sections of an rma.uni analysis are built from.
pub(crate) struct Prepared {
    /// The table after conversions (estimated means, SDs, correlations).
    pub table: Table,
    /// The validated studies, with labels and lines.
    pub studies: StudyTable,
    /// Effect sizes on the analysis scale.
    pub es: EffectSizes,
    /// The meta-regression design when the analysis has moderators.
    pub mods: Option<ModeratorDesign>,
    /// The design of the main fit (intercept-only without moderators).
    pub design: Design,
    /// The subgroups, when the analysis has `by`.
    pub grouping: Option<Grouping>,
    /// The options of every fit.
    pub opts: FitOptions,
    /// The main fit.
    pub fit: Fit,
    /// The values estimated by conversions, one per study and column.
    pub conversions: Vec<Conversion>,
    /// Notes of the conversions, the effect sizes and the main fit, in order.
    pub notes: Vec<String>,
}

/// Converts, reads and validates the studies, builds the design and the
/// grouping, computes the effect sizes and fits the model.
pub(crate) fn prepare(table: &Table, a: &Analysis, opts: FitOptions) -> Result<Prepared> {
    let measure = a.measure();
    let spec = &a.spec;
    let conv = crate::convert::apply(table, measure, &a.conversion)?;
    let (selected, studies) = a.select_studies(&conv.table)?;
    let table = selected.table;
    let mods = a
        .mods
        .as_ref()
        .map(|f| crate::moderators::design(&table, &studies, f))
        .transpose()?;
    let grouping = spec
        .by
        .as_deref()
        .map(|c| crate::moderators::grouping(&table, &studies, c))
        .transpose()?;
    let es = effect_sizes(measure, &studies.data, &a.effect).map_err(|e| studies.core_error(e))?;
    let design = mods
        .as_ref()
        .map(|m| m.design.clone())
        .unwrap_or_else(|| Design::intercept(es.yi.len()));
    let fit =
        fit_with_moderators(&es.yi, &es.vi, &design, &opts).map_err(|e| studies.core_error(e))?;
    let mut notes = selected.notes;
    notes.extend(conv.notes);
    notes.extend(es.notes.iter().cloned());
    notes.extend(fit.notes.iter().cloned());
    Ok(Prepared {
        table,
        studies,
        es,
        mods,
        design,
        grouping,
        opts,
        fit,
        conversions: conv.conversions,
        notes,
    })
}

/// The studies and the design of the rma.uni model of a spec, as
/// `analyze` prepares them (conversions, missing cells, effect
/// sizes, the `mods` columns or formula): what a command that refits the
/// model itself (`rema gosh`) starts from.
#[derive(Debug, Clone)]
pub struct ModelInputs {
    /// The label of each study.
    pub labels: Vec<String>,
    /// The effects on the analysis scale.
    pub yi: Vec<f64>,
    /// Their sampling variances.
    pub vi: Vec<f64>,
    /// The coefficients' names (metafor's: `intrcpt`, `ablat`,
    /// `factor(alloc)random`, ...); `["intrcpt"]` without moderators.
    pub names: Vec<String>,
    /// The design (the intercept alone without moderators).
    pub design: Design,
    /// The fit options of the spec.
    pub options: FitOptions,
}

/// [`ModelInputs`] of `spec` on `table`; the errors of `analyze`
/// (and an error naming `method` for a model that is not rma.uni's).
pub fn model_inputs(table: &Table, spec: &crate::spec::AnalysisSpec) -> Result<ModelInputs> {
    let a = spec.check()?;
    let opts = a.fit_options().ok_or_else(|| {
        crate::error::DataError::option(
            "method",
            format!(
                "{} is not an inverse-variance (rma.uni) model; give one of FE, DL, HE, HS, SJ, ML, REML, EB, PM",
                a.spec.method.name()
            ),
        )
    })?;
    let p = prepare(table, &a, opts)?;
    let names = p
        .mods
        .as_ref()
        .map(|m| m.names.clone())
        .unwrap_or_else(|| vec!["intrcpt".to_string()]);
    Ok(ModelInputs {
        labels: p.studies.labels.clone(),
        yi: p.es.yi.clone(),
        vi: p.es.vi.clone(),
        names,
        design: p.design,
        options: p.opts,
    })
}
