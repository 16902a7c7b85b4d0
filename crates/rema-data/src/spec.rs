//! The options of one analysis, shared by the CLI, the server and plans.
//!
//! Options are parsed once, at the edge, into rema-core's enums: serde reads
//! each choice through its `FromStr` (module [`via_str`]), so a bad value is
//! an error at its field (`spec.method`), and the JSON keeps metafor's names
//! (`"REML"`, `"knha"`, `"only0"`). [`AnalysisSpec::check`] then applies the
//! rules that tie options together and returns an [`Analysis`].

use std::fmt;
use std::str::FromStr;

use rema_core::convert::{MeanMethod, SdRangeMethod};
use rema_core::resample::bootstrap::{BootstrapOptions, BootstrapType};
use rema_core::resample::Iterations;
use rema_core::robust::RobustType;
use rema_core::{
    AddTo, Control, EffectOptions, FitOptions, Measure, Method, PermutationStat, PiDist,
    SmdCorrection, Test,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::columns::{select_studies, MissingAction, Selected, StudyTable};
use crate::convert::ConversionOptions;
use crate::error::{DataError, Result};
use crate::formula::{parse_mods, ModsFormula};
use crate::table::Table;

/// The seed of resampling when the spec gives none (the CLI draws one and
/// records it; plans and the server use this one).
pub const DEFAULT_SEED: u64 = 0;

/// The model: one of rma.uni's estimators (`Rma`), the binomial-normal
/// GLMM of proportions (metafor `rma.glmm`), or a pooling of 2×2 tables from
/// their counts (metafor `rma.mh`, `rma.peto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    /// `rma.uni` with this τ² estimator (or the common-effect model, `FE`).
    Rma(Method),
    /// The binomial-normal model of logit proportions (`GLMM`).
    Glmm,
    /// The Mantel–Haenszel method for OR, RR and RD (`MH`, metafor
    /// `rma.mh`); with `random`, RevMan 5's "M-H, Random".
    MantelHaenszel,
    /// Peto's one-step odds ratio (`PETO`, metafor `rma.peto`).
    Peto,
}

impl Default for Model {
    /// metafor's default, REML.
    fn default() -> Model {
        Model::Rma(Method::Reml)
    }
}

impl Model {
    /// metafor's name: `REML`, `DL`, ..., or `GLMM`.
    pub fn name(self) -> &'static str {
        match self {
            Model::Rma(m) => m.name(),
            Model::Glmm => "GLMM",
            Model::MantelHaenszel => "MH",
            Model::Peto => "PETO",
        }
    }

    /// Every name a user may give, canonical names first (for help texts).
    pub fn names() -> Vec<&'static str> {
        let mut v: Vec<&'static str> = Method::ALL.iter().map(|m| m.name()).collect();
        v.extend(["GLMM", "MH", "PETO"]);
        v
    }

    /// Whether the model pools 2×2 tables from their counts (MH, PETO).
    ///
    /// ```
    /// use rema_data::spec::Model;
    /// assert!("mh".parse::<Model>().unwrap().pools_tables());
    /// assert!(!"REML".parse::<Model>().unwrap().pools_tables());
    /// ```
    pub fn pools_tables(self) -> bool {
        matches!(self, Model::MantelHaenszel | Model::Peto)
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Model {
    type Err = String;
    /// `GLMM`, `MH` (or `M-H`), `PETO` (any case) or a [`Method`] name
    /// (rema-core's message, with these added to its list).
    fn from_str(s: &str) -> std::result::Result<Model, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "GLMM" => Ok(Model::Glmm),
            "MH" | "M-H" => Ok(Model::MantelHaenszel),
            "PETO" => Ok(Model::Peto),
            _ => s
                .parse()
                .map(Model::Rma)
                .map_err(|e: String| format!("{e}, GLMM, MH or PETO")),
        }
    }
}

/// A confidence level in percent, strictly between 0 and 100.
///
/// As metafor's `level`, a value below 1 is read as a proportion: 0.95 and 95
/// are the same level, and a value of at most 0.5 is read as α (0.05 is 95%).
///
/// ```
/// use rema_data::spec::Level;
/// assert_eq!(Level::new(0.95).unwrap().percent(), 95.0);
/// assert_eq!(Level::new(90.0).unwrap().percent(), 90.0);
/// assert!(Level::new(150.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Level(f64);

impl Level {
    /// metafor's default, 95%.
    pub const DEFAULT: Level = Level(95.0);

    /// Checks a level given in percent or, below 1, as a proportion.
    pub fn new(value: f64) -> std::result::Result<Level, String> {
        let percent = if value > 0.5 && value < 1.0 {
            100.0 * value
        } else if value > 0.0 && value <= 0.5 {
            100.0 * (1.0 - value)
        } else {
            value
        };
        if percent > 0.0 && percent < 100.0 {
            Ok(Level(percent))
        } else {
            Err(format!(
                "level {value} must lie strictly between 0 and 100, e.g. 95"
            ))
        }
    }

    /// The level in percent.
    pub fn percent(self) -> f64 {
        self.0
    }
}

impl Default for Level {
    fn default() -> Level {
        Level::DEFAULT
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Level, String> {
        let v: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("level `{s}` is not a number; write e.g. 95"))?;
        Level::new(v)
    }
}

impl Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Level, D::Error> {
        Level::new(f64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// How many permutations: a count of at least 2 (counting the observed
/// arrangement, as metafor), or `exact` for complete enumeration.
///
/// In JSON either `1000`, `"1000"` or `"exact"`; written back as a string.
///
/// ```
/// use rema_data::spec::Permutations;
/// assert_eq!("exact".parse::<Permutations>().unwrap(), Permutations::Exact);
/// assert_eq!("999".parse::<Permutations>().unwrap(), Permutations::Random(999));
/// assert!("1".parse::<Permutations>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permutations {
    /// At most this many; an exact test is run when it needs no more.
    Random(u64),
    /// Every distinct arrangement.
    Exact,
}

impl Permutations {
    /// Checks a count (at least 2).
    pub fn count(n: u64) -> std::result::Result<Permutations, String> {
        if n >= 2 {
            Ok(Permutations::Random(n))
        } else {
            Err(format!(
                "permutations `{n}`: give a whole number of at least 2, or `exact`"
            ))
        }
    }

    /// rema-core's form.
    pub fn iterations(self) -> Iterations {
        match self {
            Permutations::Random(n) => Iterations::Random(n),
            Permutations::Exact => Iterations::Exact,
        }
    }
}

impl fmt::Display for Permutations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Permutations::Random(n) => write!(f, "{n}"),
            Permutations::Exact => f.write_str("exact"),
        }
    }
}

impl FromStr for Permutations {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Permutations, String> {
        let p = s.trim();
        if p.eq_ignore_ascii_case("exact") {
            return Ok(Permutations::Exact);
        }
        match p.parse::<u64>() {
            Ok(n) => Permutations::count(n),
            Err(_) => Err(format!(
                "permutations `{p}`: give a whole number of at least 2, or `exact`"
            )),
        }
    }
}

impl Serialize for Permutations {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Permutations {
    fn deserialize<D: serde::Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Permutations, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Permutations;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number of at least 2, or \"exact\"")
            }
            fn visit_u64<E: serde::de::Error>(
                self,
                n: u64,
            ) -> std::result::Result<Permutations, E> {
                Permutations::count(n).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(
                self,
                n: i64,
            ) -> std::result::Result<Permutations, E> {
                u64::try_from(n)
                    .map_err(|_| {
                        E::custom(format!(
                            "permutations `{n}`: give a whole number of at least 2, or `exact`"
                        ))
                    })
                    .and_then(|n| self.visit_u64(n))
            }
            fn visit_f64<E: serde::de::Error>(
                self,
                x: f64,
            ) -> std::result::Result<Permutations, E> {
                if x.fract() == 0.0 && x >= 0.0 && x <= u64::MAX as f64 {
                    self.visit_u64(x as u64)
                } else {
                    Err(E::custom(format!(
                        "permutations `{x}`: give a whole number of at least 2, or `exact`"
                    )))
                }
            }
            fn visit_str<E: serde::de::Error>(
                self,
                s: &str,
            ) -> std::result::Result<Permutations, E> {
                s.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Where the continuity correction goes (metafor `to`): `only0`, `all`,
/// `if0all` or `none`.
pub fn parse_to(s: &str) -> std::result::Result<AddTo, String> {
    match s.trim() {
        "only0" => Ok(AddTo::OnlyZero),
        "all" => Ok(AddTo::All),
        "if0all" => Ok(AddTo::IfAnyZero),
        "none" => Ok(AddTo::None),
        other => Err(format!(
            "unknown `to` value `{other}`; expected only0, all, if0all or none"
        )),
    }
}

/// metafor's name of an [`AddTo`].
pub fn to_name(to: AddTo) -> &'static str {
    to.name()
}

/// The statistic of a permutation test, by metafor's name (`permutest(res,
/// control = list(stat = ))`): `test` or `coef`.
///
/// ```
/// use rema_core::PermutationStat;
/// use rema_data::spec::{parse_permutation_stat, permutation_stat_name};
/// assert_eq!(parse_permutation_stat("coef"), Ok(PermutationStat::Coef));
/// assert_eq!(permutation_stat_name(PermutationStat::Test), "test");
/// ```
pub fn parse_permutation_stat(s: &str) -> std::result::Result<PermutationStat, String> {
    match s.trim() {
        "test" => Ok(PermutationStat::Test),
        "coef" => Ok(PermutationStat::Coef),
        other => Err(format!(
            "unknown permutation_stat `{other}`; expected test (the z or t statistic, metafor's default) or coef (the coefficient itself)"
        )),
    }
}

/// metafor's name of a [`PermutationStat`]: `test` or `coef`.
pub fn permutation_stat_name(stat: PermutationStat) -> &'static str {
    match stat {
        PermutationStat::Test => "test",
        PermutationStat::Coef => "coef",
    }
}

/// (De)serialises a choice through its text: `Display` out, `FromStr` in,
/// so the JSON holds metafor's names and a bad name is an error at its field.
pub mod via_str {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `v` as its `Display` text.
    pub fn serialize<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    /// Reads a string and parses it with `FromStr`.
    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }

    /// The same for an optional value (`null` or absent is `None`).
    pub mod option {
        use std::fmt::Display;
        use std::str::FromStr;

        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes `Some(v)` as its text, `None` as null.
        pub fn serialize<T: Display, S: Serializer>(
            v: &Option<T>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => s.collect_str(v),
                None => s.serialize_none(),
            }
        }

        /// Reads an optional string and parses it.
        pub fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
        where
            T: FromStr,
            T::Err: Display,
            D: Deserializer<'de>,
        {
            Option::<String>::deserialize(d)?
                .map(|s| s.parse().map_err(serde::de::Error::custom))
                .transpose()
        }
    }

    /// [`AddTo`](rema_core::AddTo), which has no `FromStr` in rema-core.
    pub mod add_to {
        use rema_core::AddTo;
        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes metafor's name (`only0`, ...).
        pub fn serialize<S: Serializer>(v: &AddTo, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(super::super::to_name(*v))
        }

        /// Reads metafor's name.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<AddTo, D::Error> {
            let s = String::deserialize(d)?;
            super::super::parse_to(&s).map_err(serde::de::Error::custom)
        }
    }

    /// [`PermutationStat`](rema_core::PermutationStat), which has no
    /// `FromStr` in rema-core.
    pub mod permutation_stat {
        use rema_core::PermutationStat;
        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes metafor's name (`test`, `coef`).
        pub fn serialize<S: Serializer>(v: &PermutationStat, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(super::super::permutation_stat_name(*v))
        }

        /// Reads metafor's name.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PermutationStat, D::Error> {
            let s = String::deserialize(d)?;
            super::super::parse_permutation_stat(&s).map_err(serde::de::Error::custom)
        }
    }
}

/// What to compute, in metafor's names. Every choice is typed; the JSON
/// holds the names (`"measure": "RR"`, `"method": "REML"`, `"test": "z"`).
///
/// ```
/// use rema_data::AnalysisSpec;
/// let spec: AnalysisSpec =
///     serde_json::from_str(r#"{"measure": "RR", "method": "DL", "permutations": 1000}"#).unwrap();
/// assert_eq!(spec.method.name(), "DL");
/// let analysis = spec.check().unwrap();
/// assert_eq!(analysis.seed, rema_data::spec::DEFAULT_SEED);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct AnalysisSpec {
    /// Effect-size measure (metafor `escalc` names: RR, OR, SMD, PLO, GEN, ...).
    #[serde(with = "via_str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub measure: Measure,
    /// τ² estimator (FE, DL, REML, ...), GLMM, MH or PETO; default REML
    /// (or the preset's).
    #[serde(default = "absent::method", with = "via_str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub method: Model,
    /// Test of the coefficients: `z` (default, or the preset's), `knha`,
    /// `adhoc` (Knapp–Hartung truncated at 1) or `t` (t tests on k − p df
    /// without the Knapp–Hartung scaling, metafor `test = "t"`; the one
    /// besides `z` for a multilevel model).
    #[serde(default = "absent::test", with = "via_str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub test: Test,
    /// Confidence level in percent (a value below 1 is a proportion).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub level: Level,
    /// Add the Q-profile confidence intervals of tau^2, I^2 and H^2.
    #[serde(default)]
    pub tau2_ci: bool,
    /// Continuity correction (metafor `add`); `None` for metafor's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add: Option<f64>,
    /// Where the correction goes (metafor `to`): only0, all, if0all, none.
    #[serde(default, with = "via_str::add_to")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub to: AddTo,
    /// The pre/post correlation assumed where a study reports none (and no
    /// paired p or t): default 0.5. Flagged per study in the notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ri: Option<f64>,
    /// Mean from median and range: `luo2018` (default) or `hozo2005`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "via_str::option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub mean_method: Option<MeanMethod>,
    /// SD from a range: `wan2014` (default), `hozo2005` or `walter_yao2007`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "via_str::option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub sd_method: Option<SdRangeMethod>,
    /// Hedges' small-sample correction of measure SMD (metafor 4.x
    /// `escalc(correct = )`): `true` (default) gives Hedges' g, `false`
    /// Cohen's d; refused with other measures.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub smd_correct: bool,
    /// Leave-one-out analysis (metafor `leave1out`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub leave_one_out: bool,
    /// Influence diagnostics (metafor `influence`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub influence: bool,
    /// Cumulative meta-analysis (metafor `cumul`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub cumulative: bool,
    /// Column whose ascending values order the cumulative analysis; input
    /// order when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// Subgroup analysis by the levels of this column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Subgroups share one tau^2.
    #[serde(default, skip_serializing_if = "is_false")]
    pub tau2_common: bool,
    /// The moderators of a meta-regression: a list of columns
    /// (`["ablat", "alloc"]`, or the string `"ablat,alloc"`), or one R
    /// formula (`"~ ablat + factor(alloc)"`, kept here as a single entry
    /// starting with `~`; serialised as the string).
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "mods_field")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub mods: Vec<String>,
    /// Predictions at new moderator values (metafor `predict(res, newmods
    /// = ...)`), by column: `"ablat=10,30,50"`, several columns separated
    /// by `;` (`"ablat=10,30; alloc=random,random"`), one value given for a
    /// column serving every prediction. Needs `mods`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newmods: Option<String>,
    /// Permutation tests: a number of iterations (`1000` or `"1000"`) or
    /// `"exact"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub permutations: Option<Permutations>,
    /// The statistic the permutation test compares per coefficient: `test`
    /// (the z or t statistic, metafor's default) or `coef` (the coefficient
    /// itself, Follmann & Proschan 1999). Needs `permutations`.
    #[serde(
        default,
        skip_serializing_if = "is_test_stat",
        with = "via_str::permutation_stat"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub permutation_stat: PermutationStat,
    /// Confidence intervals of the coefficients by inverting the permutation
    /// test (metafor `permutest(permci = TRUE)`). Needs `permutations`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub permci: bool,
    /// The Monte Carlo test of tau^2 = 0 with this many draws from the
    /// fitted null model (the observed data counted), at least 2; needs a
    /// random-effects method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau2_test: Option<u64>,
    /// Bootstrap replicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<u64>,
    /// `nonparametric` (default) or `parametric`.
    #[serde(default, with = "via_str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub bootstrap_type: BootstrapType,
    /// Seed of the permutation tests and the bootstrap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The random-effects model for method MH: RevMan 5's "M-H, Random"
    /// (DerSimonian–Laird with Q about the Mantel–Haenszel estimate); with
    /// preset `revman5`, its random-effects analysis.
    #[serde(default, skip_serializing_if = "is_false")]
    pub random: bool,
    /// The prediction interval's distribution: `test` (the test's, as
    /// metafor's `predict`) or `t` (t(k − 1), as the Cochrane Handbook);
    /// absent: the preset's, else `test`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "via_str::option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub pi_dist: Option<PiDist>,
    /// Defaults as a source prescribes: `cochrane`, `revman5` or `metafor`
    /// (see [`Preset`]); the options given explicitly override it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "via_str::option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub preset: Option<Preset>,
    /// A study lacking a value the analysis needs: `omit` (default, left out
    /// with a note, as metafor's `na.action`) or `fail` (refused, every
    /// missing cell listed).
    #[serde(default, with = "via_str", skip_serializing_if = "is_omit")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub missing: MissingAction,
    /// The sheet of an Excel workbook to read (the first when absent);
    /// refused for data that are not a workbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The random effects of a multilevel model (metafor `rma.mv`'s
    /// `random`), one formula per term: `~ 1 | study`, or nested
    /// `~ 1 | district/school` (one term per level); methods REML and ML.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub random_terms: Vec<String>,
    /// The column whose levels share correlated sampling errors: the
    /// sampling covariance of two effects with the same level is
    /// `rho`·√(vᵢvⱼ) (metafor `vcalc`, clubSandwich
    /// `impute_covariance_matrix`); needs `rho` and `random_terms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The correlation of sampling errors within a `cluster`, in [-1, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rho: Option<f64>,
    /// Cluster-robust tests of the coefficients by the levels of this
    /// column (metafor `robust()`, clubSandwich `coef_test`/`Wald_test`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robust: Option<String>,
    /// The cluster-robust correction: `CR2` (default; Satterthwaite df and
    /// the HTZ test) or `CR1` (metafor's `robust()`); needs `robust`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "via_str::option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub robust_type: Option<RobustType>,
    /// The cluster wild bootstrap test of the moderators (omnibus) and of
    /// each coefficient with this many replicates, Rademacher weights by the
    /// clusters of `robust` (Joshi, Pustejovsky & Beretvas 2022; wildmeta
    /// `Wald_test_cwb`); needs `robust`, `random_terms` and `mods`; seeded
    /// by `seed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wild_bootstrap: Option<u64>,
    /// The variance structure of a `random_terms` term `~ inner | outer`
    /// (metafor `struct`): `CS` (metafor's default, used when absent),
    /// `HCS`, `UN`, `DIAG` or `ID`; needs such a term.
    #[serde(
        default,
        rename = "struct",
        skip_serializing_if = "Option::is_none",
        with = "via_str::option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub var_struct: Option<rema_core::mv::VarStruct>,
    /// Known sampling covariances of a multilevel model (metafor's `V`),
    /// entry by entry: `row` and `col` are 1-based study rows of the data
    /// (`rema analyze --vcov FILE` reads them from a long table); pairs not
    /// given are 0. Needs `random_terms`; refused with `cluster`/`rho`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vcov: Vec<crate::vcov::VcovEntry>,
}

/// Which of `method` and `test` a spec being read left out, so that a preset
/// fills only those: serde calls these defaults for absent fields only, and
/// [`AnalysisSpec`]'s `Deserialize` reads the marks right after (one spec at
/// a time on a thread; the marks are cleared before each).
mod absent {
    use std::cell::Cell;

    use rema_core::Test;

    use super::Model;

    thread_local! {
        static MARKS: Cell<(bool, bool)> = const { Cell::new((false, false)) };
    }

    pub(super) fn method() -> Model {
        MARKS.with(|m| m.set((true, m.get().1)));
        Model::default()
    }

    pub(super) fn test() -> Test {
        MARKS.with(|m| m.set((m.get().0, true)));
        Test::Z
    }

    /// Clears the marks and returns them: (method absent, test absent).
    pub(super) fn take() -> (bool, bool) {
        MARKS.with(|m| m.replace((false, false)))
    }
}

impl Serialize for AnalysisSpec {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        AnalysisSpec::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for AnalysisSpec {
    /// The fields as given; then the preset, if any, fills `method`, `test`
    /// and `pi_dist` where they were left out.
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<AnalysisSpec, D::Error> {
        absent::take();
        let spec = AnalysisSpec::deserialize(d);
        let (method_absent, test_absent) = absent::take();
        let mut spec = spec?;
        spec.apply_preset(!method_absent, !test_absent);
        Ok(spec)
    }
}

/// Defaults for the model, the test and the prediction interval as a source
/// prescribes them (docs/METHODS.md gives each setting's source).
///
/// | preset | method | test | pi_dist |
/// |---|---|---|---|
/// | `cochrane` | REML | z | t |
/// | `revman5` | MH for OR, RR, RD; else FE; with `random`, MH random or DL | z | test |
/// | `metafor` | REML | z | test |
///
/// ```
/// use rema_data::spec::{Model, Preset};
/// use rema_core::{Measure, PiDist, Test};
/// let s = Preset::Revman5.settings(Measure::Or, false);
/// assert_eq!((s.method, s.test, s.pi_dist), (Model::MantelHaenszel, Test::Z, PiDist::Test));
/// assert_eq!(Preset::Revman5.settings(Measure::Smd, true).method.name(), "DL");
/// assert_eq!("Cochrane".parse::<Preset>().unwrap().settings(Measure::Or, false).pi_dist, PiDist::T);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// Cochrane's current random-effects methods (Cochrane Handbook
    /// chapter 10; RevMan since January 2025): REML, the Wald z test
    /// (Hartung–Knapp–Sidik–Jonkman is an option, `test knha`), the
    /// prediction interval from t(k − 1).
    Cochrane,
    /// RevMan 5's defaults: Mantel–Haenszel fixed effect for a dichotomous
    /// outcome (OR, RR, RD), inverse variance fixed effect otherwise; with
    /// `random`, "M-H, Random" (or DerSimonian–Laird); z tests.
    Revman5,
    /// metafor's defaults: REML, z, the prediction interval from the test.
    Metafor,
}

/// What a [`Preset`] sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresetSettings {
    /// The model.
    pub method: Model,
    /// The test.
    pub test: Test,
    /// The prediction interval's distribution.
    pub pi_dist: PiDist,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 3] = [Preset::Cochrane, Preset::Revman5, Preset::Metafor];

    /// The option's name: `cochrane`, `revman5` or `metafor`.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Cochrane => "cochrane",
            Preset::Revman5 => "revman5",
            Preset::Metafor => "metafor",
        }
    }

    /// The source it follows, for notes.
    pub fn source(self) -> &'static str {
        match self {
            Preset::Cochrane => {
                "Cochrane Handbook chapter 10 and RevMan's current random-effects methods"
            }
            Preset::Revman5 => "RevMan 5's defaults",
            Preset::Metafor => "metafor's defaults",
        }
    }

    /// The settings for `measure`, with or without `random`.
    pub fn settings(self, measure: Measure, random: bool) -> PresetSettings {
        let method = match self {
            Preset::Cochrane | Preset::Metafor => Model::Rma(Method::Reml),
            Preset::Revman5 if matches!(measure, Measure::Or | Measure::Rr | Measure::Rd) => {
                Model::MantelHaenszel
            }
            Preset::Revman5 if random => Model::Rma(Method::Dl),
            Preset::Revman5 => Model::Rma(Method::Fe),
        };
        PresetSettings {
            method,
            test: Test::Z,
            pi_dist: if self == Preset::Cochrane {
                PiDist::T
            } else {
                PiDist::Test
            },
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Preset, String> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown preset `{s}`; expected cochrane, revman5 or metafor"))
    }
}

fn is_omit(m: &MissingAction) -> bool {
    *m == MissingAction::Omit
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_true(b: &bool) -> bool {
    *b
}

fn yes() -> bool {
    true
}

fn is_test_stat(s: &PermutationStat) -> bool {
    *s == PermutationStat::Test
}

/// `mods` on the wire: a list of columns, a comma-separated string of
/// columns, or a formula string (`"~ ablat + factor(alloc)"`).
pub mod mods_field {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// A formula as its string, columns as a list.
    pub fn serialize<S: Serializer>(mods: &[String], s: S) -> Result<S::Ok, S::Error> {
        match mods {
            [f] if super::is_formula(f) => s.serialize_str(f),
            _ => mods.serialize(s),
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        One(String),
        Many(Vec<String>),
    }

    /// A list as it is; a string as a formula when it starts with `~`, as
    /// comma-separated columns otherwise.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match Wire::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "invalid type: expected a list of columns or a formula string (\"~ ablat + factor(alloc)\")",
            )
        })? {
            Wire::One(f) if super::is_formula(&f) => vec![f.trim().to_string()],
            Wire::One(cols) => cols
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect(),
            Wire::Many(v) => v,
        })
    }
}

/// Whether a `mods` entry is a formula (starts with `~`).
pub fn is_formula(m: &str) -> bool {
    m.trim_start().starts_with('~')
}

/// The fields of [`AnalysisSpec`], in order (for messages about unknown fields).
pub const SPEC_FIELDS: &[&str] = &[
    "measure",
    "method",
    "test",
    "level",
    "tau2_ci",
    "add",
    "to",
    "ri",
    "mean_method",
    "sd_method",
    "smd_correct",
    "leave_one_out",
    "influence",
    "cumulative",
    "order",
    "by",
    "tau2_common",
    "mods",
    "newmods",
    "permutations",
    "permutation_stat",
    "permci",
    "tau2_test",
    "bootstrap",
    "bootstrap_type",
    "seed",
    "random",
    "pi_dist",
    "preset",
    "missing",
    "sheet",
    "random_terms",
    "cluster",
    "rho",
    "robust",
    "robust_type",
    "wild_bootstrap",
    "struct",
    "vcov",
];

/// The field of [`AnalysisSpec`] named `name`, as a static string.
pub fn spec_field(name: &str) -> Option<&'static str> {
    SPEC_FIELDS.iter().copied().find(|f| *f == name)
}

/// True for serde's messages about the shape of the input (a wrong JSON or
/// TOML type, a missing or unknown field), false for a value that has the
/// right type but is not allowed (an unknown method, a level of 150).
pub fn is_shape_error(message: &str) -> bool {
    [
        "invalid type",
        "missing field",
        "unknown field",
        "invalid length",
        "duplicate field",
    ]
    .iter()
    .any(|p| message.starts_with(p))
}

/// An analysis whose options have been checked together: what the pipeline
/// consumes. Built by [`AnalysisSpec::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The options as given (recorded in the result's provenance).
    pub spec: AnalysisSpec,
    /// Effect sizes: measure, continuity correction.
    pub effect: EffectOptions,
    /// How missing means, SDs and correlations are estimated.
    pub conversion: ConversionOptions,
    /// The permutation tests asked for.
    pub permutations: Option<Iterations>,
    /// The bootstrap asked for, with its seed.
    pub bootstrap: Option<BootstrapOptions>,
    /// The seed of every resampling run.
    pub seed: u64,
    /// What the preset set, and what explicit options overrode, in words.
    pub notes: Vec<String>,
    /// The moderators as a formula (a list of columns is `~ a + b`);
    /// `None` without moderators.
    pub mods: Option<ModsFormula>,
    /// The `newmods` values by column, each with one value per prediction.
    pub newmods: Option<NewMods>,
}

/// The values of `newmods`: each column the moderators read, with one
/// value (as text, a cell of the table) per prediction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMods {
    /// (column, values), in the order given.
    pub columns: Vec<(String, Vec<String>)>,
    /// The number of predictions.
    pub n: usize,
}

impl NewMods {
    /// Reads `ablat=10,30,50; alloc=random,random,random`; a column with one
    /// value serves every prediction.
    ///
    /// ```
    /// use rema_data::spec::NewMods;
    /// let n = NewMods::parse("ablat=10,30,50; alloc=random").unwrap();
    /// assert_eq!(n.n, 3);
    /// assert_eq!(n.columns[1].1, ["random", "random", "random"]);
    /// assert!(NewMods::parse("ablat=1,2; year=1,2,3").is_err());
    /// ```
    pub fn parse(text: &str) -> std::result::Result<NewMods, String> {
        let mut columns: Vec<(String, Vec<String>)> = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, values)) = part.split_once('=') else {
                return Err(format!(
                    "`{part}` is not column=values; write e.g. ablat=10,30,50"
                ));
            };
            let name = name.trim().to_string();
            let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
            if name.is_empty() || values.iter().any(String::is_empty) {
                return Err(format!(
                    "`{part}` needs a column name and values separated by commas, e.g. ablat=10,30,50"
                ));
            }
            if columns.iter().any(|(c, _)| *c == name) {
                return Err(format!("the column `{name}` is given twice"));
            }
            columns.push((name, values));
        }
        let n = columns.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
        if n == 0 {
            return Err("no values; write e.g. ablat=10,30,50".to_string());
        }
        for (c, v) in &mut columns {
            if v.len() == 1 {
                *v = vec![v[0].clone(); n];
            } else if v.len() != n {
                return Err(format!(
                    "the column `{c}` has {} values but another has {n}; give each column {n} values, or one",
                    v.len()
                ));
            }
        }
        Ok(NewMods { columns, n })
    }
}

impl Analysis {
    /// The columns the moderators read (empty without moderators).
    pub fn mods_columns(&self) -> Vec<String> {
        self.mods
            .as_ref()
            .map(ModsFormula::columns)
            .unwrap_or_default()
    }

    /// The measure.
    pub fn measure(&self) -> Measure {
        self.spec.measure
    }

    /// The studies of `table` for a model fitted to the counts (methods
    /// GLMM, MH, PETO): the sheet checked and the rows with the values the
    /// measure, `mods` and `by` need selected (see [`select_studies`]).
    pub(crate) fn select_studies(&self, table: &Table) -> Result<(Selected, StudyTable)> {
        self.select_studies_with(table, &[])
    }

    /// [`Analysis::select_studies`] for any model: the rows with every
    /// column the analysis reads (`mods`, `by`, `robust`, `cluster`) and the
    /// `more` columns its model reads (a multilevel model's grouping factors).
    pub(crate) fn select_studies_with(
        &self,
        table: &Table,
        more: &[String],
    ) -> Result<(Selected, StudyTable)> {
        let mut extra = self.mods_columns();
        extra.extend(self.spec.by.iter().cloned());
        extra.extend(more.iter().cloned());
        extra.extend(self.spec.cluster.iter().cloned());
        extra.extend(self.spec.robust.iter().cloned());
        select_studies(
            table,
            self.measure(),
            &extra,
            self.spec.missing,
            self.spec.sheet.as_deref(),
        )
    }

    /// The options of an rma.uni fit; `None` for the GLMM.
    pub fn fit_options(&self) -> Option<FitOptions> {
        self.spec.fit_options()
    }
}

impl AnalysisSpec {
    /// The defaults of metafor (`REML`, `z`, 95%, `only0`) for `measure`.
    pub fn new(measure: Measure) -> AnalysisSpec {
        AnalysisSpec {
            measure,
            method: Model::default(),
            test: Test::Z,
            level: Level::DEFAULT,
            tau2_ci: false,
            add: None,
            to: AddTo::OnlyZero,
            ri: None,
            mean_method: None,
            sd_method: None,
            smd_correct: true,
            leave_one_out: false,
            influence: false,
            cumulative: false,
            order: None,
            by: None,
            tau2_common: false,
            mods: Vec::new(),
            newmods: None,
            permutations: None,
            permutation_stat: PermutationStat::Test,
            permci: false,
            tau2_test: None,
            bootstrap: None,
            bootstrap_type: BootstrapType::Nonparametric,
            seed: None,
            random: false,
            pi_dist: None,
            preset: None,
            missing: MissingAction::Omit,
            sheet: None,
            random_terms: Vec::new(),
            cluster: None,
            rho: None,
            robust: None,
            robust_type: None,
            wild_bootstrap: None,
            var_struct: None,
            vcov: Vec::new(),
        }
    }

    /// Fills what the preset sets (`method`, `test`, `pi_dist`) where the
    /// options were not given: `method_given` and `test_given` say whether
    /// `method` and `test` were (an absent `pi_dist` is `None`). Reading a
    /// spec from JSON or TOML calls it; a face that builds a spec calls it
    /// once, after setting the options it was given. Without a preset,
    /// nothing changes.
    ///
    /// ```
    /// use rema_core::{Measure, PiDist};
    /// use rema_data::spec::{Model, Preset};
    /// use rema_data::AnalysisSpec;
    /// let mut spec = AnalysisSpec::new(Measure::Rr);
    /// spec.preset = Some(Preset::Revman5);
    /// spec.apply_preset(false, false);
    /// assert_eq!(spec.method, Model::MantelHaenszel);
    /// let given: AnalysisSpec =
    ///     serde_json::from_str(r#"{"measure": "RR", "preset": "cochrane", "method": "DL"}"#).unwrap();
    /// assert_eq!((given.method.name(), given.pi_dist), ("DL", Some(PiDist::T)));
    /// ```
    pub fn apply_preset(&mut self, method_given: bool, test_given: bool) {
        let Some(p) = self.preset else { return };
        let set = p.settings(self.measure, self.random);
        if !method_given {
            self.method = set.method;
        }
        if !test_given {
            self.test = set.test;
        }
        // The GLMM's prediction interval is rma.glmm's (z); the notes say so.
        if self.method != Model::Glmm {
            self.pi_dist.get_or_insert(set.pi_dist);
        }
    }

    /// The notes of the preset: what it sets, and each option given
    /// explicitly that differs from it.
    fn preset_notes(&self) -> Vec<String> {
        let Some(p) = self.preset else {
            return Vec::new();
        };
        let set = p.settings(self.measure, self.random);
        let mut notes = vec![format!(
            "preset {p} ({}): method {}, test {}, pi_dist {}",
            p.source(),
            set.method,
            set.test,
            set.pi_dist
        )];
        let pi = self.pi_dist.unwrap_or_default();
        if self.method == Model::Glmm && self.pi_dist.is_none() && set.pi_dist != pi {
            notes.push(format!(
                "preset {p}: pi_dist {} does not apply to method GLMM, whose prediction interval takes the z quantile (metafor rma.glmm)",
                set.pi_dist
            ));
        }
        for (option, given, preset) in [
            ("method", self.method.name(), set.method.name()),
            ("test", self.test.name(), set.test.name()),
            ("pi_dist", pi.name(), set.pi_dist.name()),
        ] {
            let glmm_pi =
                option == "pi_dist" && self.method == Model::Glmm && self.pi_dist.is_none();
            if given != preset && !glmm_pi {
                notes.push(format!(
                    "preset {p}: {option} {given}, given explicitly, overrides the preset's {preset}"
                ));
            }
        }
        notes
    }

    /// The options of an rma.uni fit (method, test, level, metafor's
    /// control settings); `None` for the GLMM, MH and PETO.
    pub fn fit_options(&self) -> Option<FitOptions> {
        match self.method {
            Model::Rma(method) => Some(FitOptions {
                method,
                test: self.test,
                level: self.level.percent(),
                control: Control::default(),
            }),
            Model::Glmm | Model::MantelHaenszel | Model::Peto => None,
        }
    }

    /// The options of an rma.uni fit; an error naming `method` for the GLMM,
    /// MH and PETO, whose use is `what` (e.g. "the small-study tests").
    pub fn rma_options(&self, what: &str) -> Result<FitOptions> {
        self.fit_options().ok_or_else(|| {
            DataError::option(
                "method",
                format!(
                    "method {}: {what} refit rma.uni models; choose a tau^2 method such as REML",
                    self.method
                ),
            )
        })
    }

    /// The effect-size options, with `add` checked and `smd_correct =
    /// false` refused for a measure other than SMD.
    pub fn effect_options(&self) -> Result<EffectOptions> {
        if !self.smd_correct && self.measure != Measure::Smd {
            return Err(DataError::option(
                "smd_correct",
                format!("smd_correct = false leaves out Hedges' small-sample correction of measure SMD (Cohen's d, metafor correct = FALSE); measure {} has none: leave out smd_correct", self.measure.name()),
            ));
        }
        if let Some(a) = self.add {
            if !(a.is_finite() && a >= 0.0) {
                return Err(DataError::option(
                    "add",
                    format!("add = {a} must be a finite number >= 0"),
                ));
            }
        }
        Ok(EffectOptions {
            add: self.add,
            to: self.to,
            smd: if self.smd_correct {
                SmdCorrection::Hedges
            } else {
                SmdCorrection::None
            },
        })
    }

    /// How missing means, SDs and correlations are estimated, with `ri` checked.
    pub fn conversion_options(&self) -> Result<ConversionOptions> {
        let mut o = ConversionOptions::default();
        if let Some(r) = self.ri {
            if !(-1.0..=1.0).contains(&r) {
                return Err(DataError::option(
                    "ri",
                    format!("ri = {r}: an assumed correlation must lie in [-1, 1], e.g. 0.5"),
                ));
            }
            o.assumed_r = r;
        }
        if let Some(m) = self.mean_method {
            o.mean_method = m;
        }
        if let Some(m) = self.sd_method {
            o.sd_range_method = m;
        }
        Ok(o)
    }

    /// Applies the rules that tie options together (`order` needs
    /// `cumulative`; `add`, `ri`, `mean_method`, `tau2_common`, ... need
    /// something to act on; the GLMM takes measure PLO, the z test, `mods` and
    /// none of the rma.uni sections; MH and PETO take their measures and none
    /// of the rma.uni sections) and returns the checked [`Analysis`]. The
    /// pairs of options refused are listed in docs/ERRORS.md.
    pub fn check(&self) -> Result<Analysis> {
        let effect = self.effect_options()?;
        let conversion = self.conversion_options()?;
        if self.order.is_some() && !self.cumulative {
            return Err(DataError::option(
                "order",
                "`order` sets the order of the cumulative analysis; add `cumulative`".to_string(),
            ));
        }
        self.check_applies()?;
        self.check_resampling()?;
        match self.method {
            Model::Glmm => self.check_glmm()?,
            Model::MantelHaenszel | Model::Peto => self.check_tables()?,
            Model::Rma(_) => {}
        }
        self.check_random()?;
        self.check_multilevel()?;
        self.check_robust()?;
        let mods = self.mods_formula()?;
        let newmods = self.newmods_values(mods.as_ref())?;
        let seed = self.seed.unwrap_or(DEFAULT_SEED);
        Ok(Analysis {
            mods,
            newmods,
            spec: self.clone(),
            effect,
            conversion,
            permutations: self.permutations.map(Permutations::iterations),
            bootstrap: self.bootstrap.map(|replicates| BootstrapOptions {
                replicates,
                seed,
                kind: self.bootstrap_type,
            }),
            seed,
            notes: self.preset_notes(),
        })
    }

    /// `permutation_stat` and `permci` qualify the permutation test, so they
    /// need `permutations`; `tau2_test` needs at least 2 draws and a
    /// random-effects method.
    /// `mods` as a formula: one formula parsed, or a list of columns.
    fn mods_formula(&self) -> Result<Option<ModsFormula>> {
        let formulas: Vec<&String> = self.mods.iter().filter(|m| is_formula(m)).collect();
        let f = match (formulas.as_slice(), self.mods.len()) {
            (_, 0) => return Ok(None),
            ([], _) => ModsFormula::from_columns(&self.mods),
            ([text], 1) => parse_mods(text).map_err(|e| {
                DataError::option("mods", format!("{e} (in mods `{}`)", text.trim()))
            })?,
            _ => {
                return Err(DataError::option(
                    "mods",
                    "mods is either a list of columns or one formula (\"~ ablat + factor(alloc)\"), not both; write the columns into the formula".to_string(),
                ))
            }
        };
        if f.terms.is_empty() {
            return Err(DataError::option(
                "mods",
                format!(
                    "the formula `{}` has no moderators; leave out mods for the model without moderators",
                    self.mods[0].trim()
                ),
            ));
        }
        Ok(Some(f))
    }

    /// `newmods` read, given the moderators: every column they read needs
    /// values, and no other column may be given.
    fn newmods_values(&self, mods: Option<&ModsFormula>) -> Result<Option<NewMods>> {
        let Some(text) = &self.newmods else {
            return Ok(None);
        };
        let Some(f) = mods else {
            return Err(DataError::option(
                "newmods",
                "`newmods` gives moderator values to predict at; add `mods`".to_string(),
            ));
        };
        if !matches!(self.method, Model::Rma(_)) {
            return Err(DataError::option(
                "newmods",
                format!(
                    "newmods is available for the rma.uni methods (FE, DL, REML, ...) and multilevel models, not for method {}",
                    self.method
                ),
            ));
        }
        let n = NewMods::parse(text)
            .map_err(|m| DataError::option("newmods", format!("newmods: {m}")))?;
        let needed = f.columns();
        let missing: Vec<&String> = needed
            .iter()
            .filter(|c| !n.columns.iter().any(|(g, _)| g == *c))
            .collect();
        let extra: Vec<&String> = n
            .columns
            .iter()
            .map(|(c, _)| c)
            .filter(|c| !needed.contains(c))
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            let names = |v: &[&String]| {
                v.iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(DataError::option(
                "newmods",
                format!(
                    "newmods needs a value for each column the moderators read ({}){}{}",
                    names(&needed.iter().collect::<Vec<_>>()),
                    if missing.is_empty() {
                        String::new()
                    } else {
                        format!("; missing: {}", names(&missing))
                    },
                    if extra.is_empty() {
                        String::new()
                    } else {
                        format!("; not a moderator: {}", names(&extra))
                    },
                ),
            ));
        }
        Ok(Some(n))
    }

    fn check_resampling(&self) -> Result<()> {
        if self.permutations.is_none() {
            if self.permutation_stat != PermutationStat::Test {
                return Err(DataError::option(
                    "permutation_stat",
                    "`permutation_stat` chooses the statistic of the permutation test; add `permutations`".to_string(),
                ));
            }
            if self.permci {
                return Err(DataError::option(
                    "permci",
                    "`permci` inverts the permutation test; add `permutations`".to_string(),
                ));
            }
        }
        if let Some(n) = self.tau2_test {
            if n < 2 {
                return Err(DataError::option(
                    "tau2_test",
                    format!("tau2_test = {n}: give a number of draws of at least 2 (the observed data count as one), e.g. 1000"),
                ));
            }
            if self.method == Model::Rma(Method::Fe) {
                return Err(DataError::option(
                    "tau2_test",
                    "the test of tau^2 = 0 needs a random-effects method (REML, DL, ...), not FE, which assumes tau^2 = 0".to_string(),
                ));
            }
        }
        Ok(())
    }

    /// MH pools OR, RR or RD and PETO the OR, from 2×2 counts, with a z
    /// test and none of the rma.uni sections.
    fn check_tables(&self) -> Result<()> {
        let measures: &[Measure] = match self.method {
            Model::Peto => &[Measure::Or],
            _ => &[Measure::Or, Measure::Rr, Measure::Rd],
        };
        if !measures.contains(&self.measure) {
            let names: Vec<&str> = measures.iter().map(|m| m.name()).collect();
            return Err(DataError::option(
                "measure",
                format!(
                    "method {} pools 2x2 tables from their counts and takes measure {}, not {}; use an inverse-variance method (FE, DL, REML, ...) for {}",
                    self.method,
                    names.join(", "),
                    self.measure.name(),
                    self.measure.name()
                ),
            ));
        }
        if !self.mods.is_empty() {
            return Err(DataError::option(
                "mods",
                format!(
                    "mods is available for the rma.uni methods (FE, DL, REML, ...) and GLMM, not for method {}; meta-regression needs one of them",
                    self.method
                ),
            ));
        }
        self.check_not_rma()
    }

    /// `random` asks for the random-effects model: RevMan's for MH, the
    /// preset's, or nothing new for a random-effects τ² method. It is refused
    /// where there is none.
    fn check_random(&self) -> Result<()> {
        let refuse = match self.method {
            _ if !self.random => None,
            Model::Peto => Some(
                "method PETO is a fixed-effect method (RevMan offers no random-effects Peto analysis); use method MH, or an inverse-variance tau^2 method such as DL",
            ),
            Model::Rma(Method::Fe) => Some(
                "method FE is the common-effect model; leave out `random`, or choose a random-effects tau^2 method such as DL or REML",
            ),
            _ => None,
        };
        match refuse {
            Some(why) => Err(DataError::option(
                "random",
                format!("`random` asks for a random-effects model, but {why}"),
            )),
            None => Ok(()),
        }
    }

    /// The z test and none of the sections that refit rma.uni models, for a
    /// method that is not rma.uni (GLMM, MH, PETO).
    fn check_not_rma(&self) -> Result<()> {
        let method = self.method;
        if self.tau2_ci {
            return Err(DataError::option(
                "tau2_ci",
                format!(
                    "tau2_ci: the Q-profile interval of tau^2 is defined for the rma.uni methods, not for method {method}; choose DL or REML for it"
                ),
            ));
        }
        if self.test != Test::Z {
            return Err(DataError::option(
                "test",
                format!(
                    "method {method} uses the Wald z test; test {} is not available with it",
                    self.test
                ),
            ));
        }
        // MH and PETO pool any subset of the tables: their subgroups,
        // leave-one-out and cumulative refits are their own.
        let tables = method.pools_tables();
        let rma_only = [
            ("leave_one_out", self.leave_one_out && !tables),
            ("influence", self.influence),
            ("cumulative", self.cumulative && !tables),
            ("by", self.by.is_some() && !tables),
            ("tau2_common", self.tau2_common && tables),
            ("permutations", self.permutations.is_some()),
            ("tau2_test", self.tau2_test.is_some()),
            ("bootstrap", self.bootstrap.is_some()),
        ];
        let needing = if tables {
            "influence, tau2_common, permutations, tau2_test and bootstrap"
        } else {
            "leave_one_out, influence, cumulative, by, permutations, tau2_test and bootstrap"
        };
        if let Some((option, _)) = rma_only.iter().find(|(_, on)| *on) {
            return Err(DataError::option(
                option,
                format!(
                    "{option} is available for the rma.uni methods (FE, DL, REML, ...), not for method {method}; {needing} need one of them"
                ),
            ));
        }
        Ok(())
    }

    /// Refuses an option that has nothing to act on with the other options
    /// (a correction of counts for a measure without counts, `tau2_common`
    /// without subgroups, ...), rather than ignore it.
    fn check_applies(&self) -> Result<()> {
        use rema_core::DataKind;
        let kind = self.measure.data_kind();
        let measure = self.measure.name();
        let counts = matches!(
            kind,
            DataKind::TwoGroupBinary
                | DataKind::Proportion
                | DataKind::TwoGroupRate
                | DataKind::Rate
        );
        let means = matches!(kind, DataKind::TwoGroupContinuous | DataKind::PrePost);
        let refuse =
            |option: &'static str, message: String| Err(DataError::option(option, message));
        if !counts && self.add.is_some() {
            return refuse(
                "add",
                format!("add is the continuity correction of counts (2x2 tables and proportions); measure {measure} has no counts: leave out add"),
            );
        }
        if !counts && self.to != AddTo::OnlyZero {
            return refuse(
                "to",
                format!("to says which studies get the continuity correction of counts (2x2 tables and proportions); measure {measure} has no counts: leave out to"),
            );
        }
        if kind != DataKind::PrePost && self.ri.is_some() {
            return refuse(
                "ri",
                format!("ri is the pre/post correlation of measures MC, SMCC and SMCR; measure {measure} has none: leave out ri"),
            );
        }
        for (option, given) in [
            ("mean_method", self.mean_method.is_some()),
            ("sd_method", self.sd_method.is_some()),
        ] {
            if given && !means {
                return refuse(
                    option,
                    format!("{option} estimates means and SDs of continuous data (two groups' or pre/post means); measure {measure} has none: leave out {option}"),
                );
            }
        }
        if self.tau2_common && self.by.is_none() {
            return refuse(
                "tau2_common",
                "tau2_common makes the subgroups of `by` share one tau^2; add by, or leave out tau2_common".to_string(),
            );
        }
        if self.bootstrap_type != BootstrapType::Nonparametric && self.bootstrap.is_none() {
            return refuse(
                "bootstrap_type",
                format!("bootstrap_type {} says how the bootstrap draws its replicates; add bootstrap (a number of replicates), or leave out bootstrap_type", self.bootstrap_type),
            );
        }
        Ok(())
    }

    /// A multilevel model (`random_terms`) is fitted by REML or ML with the
    /// z or t test, and has none of the sections that refit rma.uni models;
    /// `cluster` and `rho` construct its sampling covariance, so they need
    /// each other and `random_terms`.
    fn check_multilevel(&self) -> Result<()> {
        match (&self.cluster, self.rho) {
            (Some(_), None) => {
                return Err(DataError::option(
                    "cluster",
                    "`cluster` groups effects with correlated sampling errors; add `rho`, their correlation (e.g. 0.6)".to_string(),
                ))
            }
            (None, Some(_)) => {
                return Err(DataError::option(
                    "rho",
                    "`rho` is the correlation of sampling errors within a cluster; add `cluster`, the column of the clusters".to_string(),
                ))
            }
            (_, Some(r)) if !(-1.0..=1.0).contains(&r) => {
                return Err(DataError::option(
                    "rho",
                    format!("rho = {r}: a correlation must lie in [-1, 1], e.g. 0.6"),
                ))
            }
            _ => {}
        }
        if !self.vcov.is_empty() && (self.cluster.is_some() || self.rho.is_some()) {
            return Err(DataError::option(
                "vcov",
                "`vcov` gives the sampling covariances, and `cluster` with `rho` would construct them; give one of the two".to_string(),
            ));
        }
        if self.random_terms.is_empty() {
            if !self.vcov.is_empty() {
                return Err(DataError::option(
                    "vcov",
                    "`vcov` is the sampling covariance of a multilevel model; add `random_terms` (e.g. \"~ 1 | study\")".to_string(),
                ));
            }
            if let Some(s) = self.var_struct {
                return Err(DataError::option(
                    "struct",
                    format!("struct {s} is the variance structure of a random term `~ inner | outer`; add one to `random_terms` (e.g. \"~ outcome | study\")"),
                ));
            }
            if self.cluster.is_some() {
                return Err(DataError::option(
                    "cluster",
                    "`cluster` and `rho` build the sampling covariance of a multilevel model; add `random_terms` (e.g. \"~ 1 | study\")".to_string(),
                ));
            }
            return Ok(());
        }
        let refuse = |option: &'static str, why: String| {
            Err(DataError::option(
                option,
                format!("random_terms fits a multilevel model (metafor rma.mv): {why}"),
            ))
        };
        match self.method {
            Model::Rma(Method::Reml | Method::Ml) => {}
            m => {
                return refuse(
                    "method",
                    format!("it is estimated by REML or ML, not method {m}; choose REML or ML"),
                )
            }
        }
        if !matches!(self.test, Test::Z | Test::T) {
            return refuse(
                "test",
                format!(
                    "test {} is a Knapp-Hartung adjustment of rma.uni; use the z or t test (metafor rma.mv test = \"t\"), or `robust` for small-sample cluster-robust t tests",
                    self.test
                ),
            );
        }
        if let Some(option) = self.rma_section() {
            return refuse(
                option,
                format!("{option} refits rma.uni models and is not available for it; leave out {option}, or random_terms"),
            );
        }
        Ok(())
    }

    /// The first option asked for that refits rma.uni models (a section
    /// only an rma.uni fit has).
    fn rma_section(&self) -> Option<&'static str> {
        [
            ("leave_one_out", self.leave_one_out),
            ("influence", self.influence),
            ("cumulative", self.cumulative),
            ("by", self.by.is_some()),
            ("permutations", self.permutations.is_some()),
            ("tau2_test", self.tau2_test.is_some()),
            ("bootstrap", self.bootstrap.is_some()),
        ]
        .into_iter()
        .find_map(|(option, on)| on.then_some(option))
    }

    /// `robust_type` needs `robust`; cluster-robust tests need a fitted
    /// model with weights (rma.uni or rma.mv), not GLMM, MH or PETO; the
    /// wild bootstrap needs `robust`, a multilevel model and moderators.
    fn check_robust(&self) -> Result<()> {
        if let Some(n) = self.wild_bootstrap {
            let why = if self.robust.is_none() {
                Some("it resamples the clusters of `robust`; add `robust`, the column of the clusters".to_string())
            } else if self.random_terms.is_empty() {
                Some("it refits a multilevel model; add `random_terms` (e.g. \"~ 1 | study\" for one effect per study)".to_string())
            } else if self.mods.is_empty() {
                Some("it tests moderators against the model without them; add `mods`".to_string())
            } else if n == 0 {
                Some("it needs at least 1 replicate (e.g. 1999)".to_string())
            } else {
                None
            };
            if let Some(why) = why {
                return Err(DataError::option(
                    "wild_bootstrap",
                    format!("wild_bootstrap is the cluster wild bootstrap test: {why}"),
                ));
            }
        }
        if self.robust_type.is_some() && self.robust.is_none() {
            return Err(DataError::option(
                "robust_type",
                "`robust_type` chooses the correction of the cluster-robust tests; add `robust`, the column of the clusters".to_string(),
            ));
        }
        if self.robust.is_some() && !matches!(self.method, Model::Rma(_)) {
            return Err(DataError::option(
                "robust",
                format!(
                    "cluster-robust tests re-weigh an inverse-variance fit (rma.uni or rma.mv), not method {}; choose a tau^2 method such as REML",
                    self.method
                ),
            ));
        }
        Ok(())
    }

    fn check_glmm(&self) -> Result<()> {
        if self.measure != Measure::Plo {
            return Err(DataError::option(
                "measure",
                format!(
                    "method GLMM fits the binomial-normal model of logit proportions and needs measure PLO, not {}",
                    self.measure.name()
                ),
            ));
        }
        if self.pi_dist == Some(PiDist::T) {
            return Err(DataError::option(
                "pi_dist",
                "pi_dist t: the GLMM's prediction interval is metafor rma.glmm's, from the z quantile; leave out pi_dist".to_string(),
            ));
        }
        self.check_not_rma()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Specs written before subgroups, moderators and resampling still parse.
    #[test]
    fn older_specs_parse_with_defaults() {
        let s: AnalysisSpec = serde_json::from_str(
            r#"{"measure":"RR","method":"DL","test":"z","level":95.0,"tau2_ci":false,"to":"only0"}"#,
        )
        .unwrap();
        assert_eq!(s, {
            let mut n = AnalysisSpec::new(Measure::Rr);
            n.method = Model::Rma(Method::Dl);
            n
        });
    }

    /// The JSON of a spec is the same strings as when the fields were text.
    #[test]
    fn specs_serialise_to_metafor_names() {
        let mut s = AnalysisSpec::new(Measure::Smd);
        s.method = "glmm".parse().unwrap();
        s.permutations = Some(Permutations::Random(1000));
        s.mean_method = Some(MeanMethod::Hozo2005);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"measure": "SMD", "method": "GLMM", "test": "z", "level": 95.0,
                "tau2_ci": false, "to": "only0", "mean_method": "hozo2005",
                "permutations": "1000", "bootstrap_type": "nonparametric"})
        );
        let back: AnalysisSpec = serde_json::from_value(v).unwrap();
        assert_eq!(back, s);
        let keys: Vec<String> = serde_json::to_value({
            let mut f = AnalysisSpec::new(Measure::Rr);
            f.add = Some(0.5);
            f.ri = Some(0.5);
            f.sd_method = Some(SdRangeMethod::Wan2014);
            f.mean_method = Some(MeanMethod::Luo2018);
            f.smd_correct = false;
            f.leave_one_out = true;
            f.influence = true;
            f.cumulative = true;
            f.order = Some("year".into());
            f.by = Some("alloc".into());
            f.tau2_common = true;
            f.mods = vec!["x".into()];
            f.newmods = Some("x=1".into());
            f.permutations = Some(Permutations::Exact);
            f.permutation_stat = PermutationStat::Coef;
            f.permci = true;
            f.tau2_test = Some(100);
            f.bootstrap = Some(10);
            f.seed = Some(1);
            f.random = true;
            f.pi_dist = Some(PiDist::T);
            f.preset = Some(Preset::Cochrane);
            f.missing = MissingAction::Fail;
            f.sheet = Some("Studies".into());
            f.random_terms = vec!["~ 1 | study".into()];
            f.cluster = Some("study".into());
            f.rho = Some(0.6);
            f.robust = Some("study".into());
            f.robust_type = Some(RobustType::Cr1);
            f.wild_bootstrap = Some(99);
            f.var_struct = Some(rema_core::mv::VarStruct::Un);
            f.vcov = vec![crate::vcov::VcovEntry {
                row: 1,
                col: 2,
                cov: 0.1,
            }];
            f
        })
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
        let mut want: Vec<String> = SPEC_FIELDS.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(keys, want, "SPEC_FIELDS lists every field");
    }

    #[test]
    fn permutations_parse_numbers_strings_and_exact() {
        let p = |j: &str| serde_json::from_str::<Permutations>(j);
        assert_eq!(p("1000").unwrap(), Permutations::Random(1000));
        assert_eq!(p("\"1000\"").unwrap(), Permutations::Random(1000));
        assert_eq!(p("\"exact\"").unwrap(), Permutations::Exact);
        assert_eq!(p("50.0").unwrap(), Permutations::Random(50));
        for bad in ["1", "-3", "2.5", "\"many\"", "true"] {
            assert!(p(bad).is_err(), "{bad}");
        }
        let mut s = AnalysisSpec::new(Measure::Rr);
        s.permutations = Some(Permutations::Exact);
        assert_eq!(s.check().unwrap().permutations, Some(Iterations::Exact));
    }

    #[test]
    fn levels_below_one_are_proportions_as_metafor() {
        let l = |x: f64| Level::new(x).map(Level::percent);
        assert_eq!(l(0.95), Ok(95.0));
        assert_eq!(l(0.05), Ok(95.0));
        assert_eq!(l(90.0), Ok(90.0));
        for bad in [0.0, 100.0, 150.0, -1.0, f64::NAN] {
            assert!(l(bad).unwrap_err().contains("level"), "{bad}");
        }
        let e = serde_json::from_str::<AnalysisSpec>(r#"{"measure":"RR","level":150}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("level 150 must lie"), "{e}");
    }

    #[test]
    fn bad_choices_are_errors_at_their_field_with_rema_core_messages() {
        let e = serde_json::from_str::<AnalysisSpec>(r#"{"measure":"RR","method":"QUICK"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("unknown method `QUICK`"), "{e}");
        assert!(!is_shape_error(&e));
        let e = serde_json::from_str::<AnalysisSpec>(r#"{"measure":"RR","method":5}"#)
            .unwrap_err()
            .to_string();
        assert!(is_shape_error(&e), "{e}");
    }

    /// An option with nothing to act on is refused, not ignored.
    #[test]
    fn options_without_anything_to_act_on_are_refused() {
        let refused = |f: fn(&mut AnalysisSpec)| {
            let mut s = AnalysisSpec::new(Measure::Rr);
            f(&mut s);
            match s.check() {
                Err(DataError::Option { option, message }) => (option, message),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            refused(|s| s.tau2_common = true),
            (
                "tau2_common",
                "tau2_common makes the subgroups of `by` share one tau^2; add by, or leave out tau2_common".to_string()
            )
        );
        assert_eq!(
            refused(|s| s.bootstrap_type = BootstrapType::Parametric).0,
            "bootstrap_type"
        );
        assert_eq!(refused(|s| s.ri = Some(0.5)).1, "ri is the pre/post correlation of measures MC, SMCC and SMCR; measure RR has none: leave out ri");
        assert_eq!(
            refused(|s| {
                s.measure = Measure::Smd;
                s.add = Some(0.5);
            })
            .1,
            "add is the continuity correction of counts (2x2 tables and proportions); measure SMD has no counts: leave out add"
        );
    }

    #[test]
    fn cross_field_rules_name_the_option() {
        let mut s = AnalysisSpec::new(Measure::Rr);
        s.order = Some("year".into());
        assert!(matches!(
            s.check(),
            Err(DataError::Option {
                option: "order",
                ..
            })
        ));
        let mut s = AnalysisSpec::new(Measure::Plo);
        s.method = Model::Glmm;
        s.mods = vec!["x".into()];
        assert!(s.check().is_ok(), "GLMM fits meta-regressions");
        s.by = Some("x".into());
        assert!(matches!(
            s.check(),
            Err(DataError::Option { option: "by", .. })
        ));
        s.by = None;
        s.mods.clear();
        s.measure = Measure::Rr;
        assert!(matches!(
            s.check(),
            Err(DataError::Option {
                option: "measure",
                ..
            })
        ));
    }

    /// `mods` is a list of columns, a comma-separated string, or a formula
    /// string; a formula is written back as the string.
    #[test]
    fn mods_take_columns_or_a_formula() {
        let read = |mods: &str| -> AnalysisSpec {
            serde_json::from_str(&format!(r#"{{"measure":"RR","mods":{mods}}}"#)).unwrap()
        };
        assert_eq!(read(r#"["ablat","alloc"]"#).mods, ["ablat", "alloc"]);
        assert_eq!(read(r#""ablat, alloc""#).mods, ["ablat", "alloc"]);
        let f = read(r#"" ~ ablat + factor(alloc)""#);
        assert_eq!(f.mods, ["~ ablat + factor(alloc)"]);
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["mods"], "~ ablat + factor(alloc)");
        assert_eq!(
            serde_json::to_value(read(r#"["a"]"#)).unwrap()["mods"],
            serde_json::json!(["a"])
        );
        let a = f.check().unwrap();
        assert_eq!(a.mods_columns(), ["ablat", "alloc"]);
        assert!(serde_json::from_str::<AnalysisSpec>(r#"{"measure":"RR","mods":3}"#).is_err());
    }

    #[test]
    fn a_bad_mods_formula_is_an_error_of_mods_at_its_character() {
        let mut s = AnalysisSpec::new(Measure::Rr);
        s.mods = vec!["~ ablat + ".into()];
        match s.check() {
            Err(DataError::Option { option, message }) => {
                assert_eq!(option, "mods");
                assert!(
                    message
                        .starts_with("formula: at character 11, expected a column name after '+'"),
                    "{message}"
                );
            }
            other => panic!("expected an option error, got {other:?}"),
        }
        s.mods = vec!["~ a".into(), "b".into()];
        assert!(matches!(
            s.check(),
            Err(DataError::Option { option: "mods", .. })
        ));
        s.mods = vec!["~ 1".into()];
        assert!(matches!(
            s.check(),
            Err(DataError::Option { option: "mods", .. })
        ));
    }
}
