//! The model options shared by `rema analyze` and `rema bias`, parsed by
//! clap straight into rema-core's and rema-data's types (their `FromStr`),
//! with the possible values listed from the types themselves.

use std::ffi::OsStr;
use std::marker::PhantomData;
use std::path::Path;
use std::str::FromStr;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::Args;
use rema_core::convert::{MeanMethod, SdRangeMethod};
use rema_core::resample::bootstrap::BootstrapType;
use rema_core::robust::RobustType;
use rema_core::{AddTo, Measure, PermutationStat, PiDist, Test};
use rema_data::spec::{
    parse_permutation_stat, parse_to, permutation_stat_name, Level, Model, Permutations, Preset,
};
use rema_data::{AnalysisSpec, DataError, MissingAction, Table};

/// A value parser through `T::from_str`, whose help and completions list
/// `names` (the type's own names, never a copy of them).
#[derive(Clone)]
pub struct Choice<T> {
    names: Vec<&'static str>,
    parse: fn(&str) -> Result<T, String>,
    _t: PhantomData<T>,
}

impl<T: FromStr<Err = String>> Choice<T> {
    fn new(names: Vec<&'static str>) -> Choice<T> {
        Choice {
            names,
            parse: |s| s.parse(),
            _t: PhantomData,
        }
    }
}

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Choice<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let parse = self.parse;
        (move |s: &str| parse(s)).parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.names.iter().map(|n| PossibleValue::new(*n))))
    }
}

/// The measures, by metafor's names.
pub fn measures() -> Choice<Measure> {
    Choice::new(Measure::ALL.iter().map(|m| m.name()).collect())
}

/// The τ² estimators, FE and GLMM.
pub fn models() -> Choice<Model> {
    Choice::new(Model::names())
}

/// z, knha and adhoc.
pub fn tests() -> Choice<Test> {
    Choice::new(Test::ALL.iter().map(|t| t.name()).collect())
}

/// The prediction interval's distributions.
pub fn pi_dists() -> Choice<PiDist> {
    Choice::new(vec![PiDist::Test.name(), PiDist::T.name()])
}

/// The presets.
pub fn presets() -> Choice<Preset> {
    Choice::new(Preset::ALL.iter().map(|p| p.name()).collect())
}

/// metafor's `to` values.
pub fn add_to() -> Choice<AddTo> {
    Choice {
        names: vec!["only0", "all", "if0all", "none"],
        parse: parse_to,
        _t: PhantomData,
    }
}

/// The conversions of a mean from median and range.
pub fn mean_methods() -> Choice<MeanMethod> {
    Choice::new(vec![
        MeanMethod::Luo2018.name(),
        MeanMethod::Hozo2005.name(),
    ])
}

/// The conversions of an SD from a range.
pub fn sd_methods() -> Choice<SdRangeMethod> {
    Choice::new(vec![
        SdRangeMethod::Wan2014.name(),
        SdRangeMethod::Hozo2005.name(),
        SdRangeMethod::WalterYao2007.name(),
    ])
}

/// The bootstrap types.
pub fn bootstrap_types() -> Choice<BootstrapType> {
    Choice::new(vec![
        BootstrapType::Nonparametric.name(),
        BootstrapType::Parametric.name(),
    ])
}

/// The statistics of a permutation test, by metafor's names.
pub fn permutation_stats() -> Choice<PermutationStat> {
    Choice {
        names: vec![
            permutation_stat_name(PermutationStat::Test),
            permutation_stat_name(PermutationStat::Coef),
        ],
        parse: parse_permutation_stat,
        _t: PhantomData,
    }
}

/// The cluster-robust corrections.
pub fn robust_types() -> Choice<RobustType> {
    Choice::new(RobustType::ALL.iter().map(|t| t.name()).collect())
}

/// The variance structures of a `~ inner | outer` term.
pub fn var_structs() -> Choice<rema_core::mv::VarStruct> {
    Choice::new(
        rema_core::mv::VarStruct::ALL
            .iter()
            .map(|s| s.name())
            .collect(),
    )
}

/// The entries of a `--vcov` table, read when the flag is parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct VcovFile(pub Vec<rema_data::vcov::VcovEntry>);

/// Reads and checks a `--vcov` long table (columns row, col, cov); the
/// message names the file, line and column of a problem.
pub fn vcov_file(path: &str) -> Result<VcovFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: cannot read the file: {e}"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{path}: the file is not UTF-8 text; save it as a UTF-8 CSV"))?;
    rema_data::vcov::parse(&text, path)
        .map(VcovFile)
        .map_err(|e| e.to_string())
}

/// What to do with missing values.
pub fn missing_actions() -> Choice<MissingAction> {
    Choice::new(vec!["omit", "fail"])
}

/// A count of permutations or `exact`.
pub fn permutations(s: &str) -> Result<Permutations, String> {
    s.parse()
}

/// The `--mods` values as the spec holds them: a formula (starting with ~)
/// as given, else comma-separated column names.
pub fn mods_terms(mods: &[String]) -> Vec<String> {
    mods.iter()
        .flat_map(|m| {
            if rema_data::spec::is_formula(m) {
                vec![m.trim().to_string()]
            } else {
                m.split(',').map(|c| c.trim().to_string()).collect()
            }
        })
        .filter(|m| !m.is_empty())
        .collect()
}

/// A confidence level.
pub fn level(s: &str) -> Result<Level, String> {
    s.parse()
}

/// The measure, model, test, level and continuity correction of a fit.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Effect-size measure (metafor's names).
    #[arg(long, short = 'm', value_parser = measures())]
    pub measure: Measure,
    /// tau^2 estimator, FE (also EE, CE) for the common-effect model, GLMM
    /// for the binomial-normal model of proportions (with --measure PLO), MH
    /// (Mantel-Haenszel, with --measure OR, RR or RD) or PETO (Peto's odds
    /// ratio) for 2x2 tables pooled from their counts (`rema analyze` only
    /// for GLMM, MH and PETO). Default: REML, or the preset's.
    #[arg(long, value_parser = models())]
    pub method: Option<Model>,
    /// Test of the pooled effect: z, knha (Hartung-Knapp-Sidik-Jonkman) or
    /// adhoc (knha with its variance factor truncated at 1). Default: z, or
    /// the preset's.
    #[arg(long, value_parser = tests())]
    pub test: Option<Test>,
    /// Without a value: the random-effects model with --method MH, RevMan
    /// 5's "M-H, Random" (DerSimonian-Laird from Q about the Mantel-Haenszel
    /// estimate); with --preset revman5, its random-effects analysis.
    /// With a formula (repeatable): a random term of a multilevel model, as
    /// metafor rma.mv's `random`: --random "~ 1 | study" --random "~ 1 | es_id",
    /// or nested --random "~ 1 | district/school" (REML or ML).
    #[arg(long, value_name = "FORMULA", num_args = 0..=1, default_missing_value = "")]
    pub random: Vec<String>,
    /// Distribution of the prediction interval: test (the test's, as metafor)
    /// or t (t with k - 1 df, as the Cochrane Handbook). Default: test, or
    /// the preset's.
    #[arg(long, value_parser = pi_dists())]
    pub pi_dist: Option<PiDist>,
    /// Defaults of a source for --method, --test and --pi-dist: cochrane
    /// (REML, z, t), revman5 (MH for OR/RR/RD, else FE; with --random, M-H
    /// random or DL; z) or metafor (REML, z, test). Options given override it.
    #[arg(long, value_parser = presets())]
    pub preset: Option<Preset>,
    /// Confidence level in percent (a value below 1 is a proportion, as in metafor).
    #[arg(long, default_value = "95", value_parser = level)]
    pub level: Level,
    /// Continuity correction added to zero cells (default: metafor's, 0.5 for RR, OR, RD, YUQ, YUY, OR2DN, OR2DL, PR, PLN, PLO, IRR, IRD, IR, IRLN; 0 for the others).
    #[arg(long)]
    pub add: Option<f64>,
    /// Which studies get the correction: only0 (with a zero cell), all, if0all, none.
    #[arg(long, default_value = "only0", value_parser = add_to())]
    pub to: AddTo,
    /// With --measure SMD: false leaves out Hedges' small-sample correction,
    /// so the effect is Cohen's d (metafor 4.x escalc(measure = "SMD",
    /// correct = FALSE)); the notes say so. Refused with other measures.
    #[arg(long, value_name = "true|false", default_value_t = true, action = clap::ArgAction::Set)]
    pub smd_correct: bool,
    /// A study with a blank or NA cell that the analysis needs: omit (leave
    /// it out, named in the notes, as metafor's na.action) or fail (refuse,
    /// listing every missing cell).
    #[arg(long, default_value = "omit", value_parser = missing_actions())]
    pub missing: MissingAction,
    /// The sheet of an Excel workbook (.xlsx) to read; default the first.
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
}

impl ModelArgs {
    /// A spec with these options and every other at its default (or the
    /// preset's, where the option was not given).
    pub fn spec(&self) -> AnalysisSpec {
        let new = AnalysisSpec::new(self.measure);
        let mut spec = AnalysisSpec {
            method: self.method.unwrap_or(new.method),
            test: self.test.unwrap_or(new.test),
            level: self.level,
            add: self.add,
            to: self.to,
            smd_correct: self.smd_correct,
            random: self.random.iter().any(|r| r.trim().is_empty()),
            random_terms: self
                .random
                .iter()
                .filter(|r| !r.trim().is_empty())
                .cloned()
                .collect(),
            pi_dist: self.pi_dist,
            preset: self.preset,
            missing: self.missing,
            sheet: self.sheet.clone(),
            ..new
        };
        spec.apply_preset(self.method.is_some(), self.test.is_some());
        spec
    }

    /// Reads `path`, a CSV file or an Excel workbook (the sheet of
    /// `--sheet`), with the SHA-256 of its bytes (for the result's
    /// provenance).
    pub fn read_table(&self, path: &Path) -> Result<(Table, String), DataError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| DataError::Io {
            path: name.clone(),
            source,
        })?;
        let table = rema_data::xlsx::read_any(&bytes, &name, self.sheet.as_deref())?;
        Ok((table, rema_data::sha256_hex(&bytes)))
    }
}
