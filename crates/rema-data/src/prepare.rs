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
