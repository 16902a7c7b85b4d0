//! Every pair of analysis options is either honoured (the result carries
//! what each asked for) or refused with `DataError::Option` naming one of
//! them and saying why; never answered with one of them silently dropped.
//!
//! The options are the fields of `AnalysisSpec` (`SPEC_FIELDS`), each given a
//! non-default setting below (a setting also sets what it needs: `order`
//! turns on `cumulative`, `method = GLMM` takes measure PLO). The refused
//! pairs are read from the code, by running each pair, and must be exactly
//! the table of docs/ERRORS.md ("Options that do not combine"), so the doc
//! cannot go stale: a pair that becomes computed fails this test until its
//! row leaves the doc.

use std::collections::BTreeSet;

use rema_core::{Measure, PermutationStat, PiDist};
use rema_data::spec::{Model, Permutations, Preset, SPEC_FIELDS};
use rema_data::{analyze, AnalysisResult, AnalysisSpec, DataError, MissingAction, Table};

/// Options of how the file is read, not of the analysis: `sheet` picks the
/// sheet of a workbook before there is a table (tested with the workbooks
/// in crates/rema-data/tests/files.rs and crates/rema-cli/tests/files.rs).
const SOURCE_FIELDS: [&str; 1] = ["sheet"];

/// Whether a result carries an option, given the whole spec that ran.
type Honoured = Box<dyn Fn(&AnalysisResult, &AnalysisSpec) -> bool>;

/// One non-default setting of one option, and what its result must carry.
struct Setting {
    /// How the docs name it: `mods`, `method = GLMM`, ...
    label: &'static str,
    /// The fields of `AnalysisSpec` it sets; the first is the option itself.
    fields: &'static [&'static str],
    apply: Box<dyn Fn(&mut AnalysisSpec)>,
    /// The result carries the option (given the whole spec that ran).
    honoured: Honoured,
}

/// A setting from closures.
fn setting(
    label: &'static str,
    fields: &'static [&'static str],
    apply: impl Fn(&mut AnalysisSpec) + 'static,
    honoured: impl Fn(&AnalysisResult, &AnalysisSpec) -> bool + 'static,
) -> Setting {
    Setting {
        label,
        fields,
        apply: Box::new(apply),
        honoured: Box::new(honoured),
    }
}

/// `measure = m`, honoured when the result is of that measure.
fn measure(label: &'static str, m: Measure) -> Setting {
    setting(
        label,
        &["measure"],
        move |s| s.measure = m,
        move |r, _| r.measure == m.name(),
    )
}

fn settings() -> Vec<Setting> {
    vec![
        measure("measure = SMD", Measure::Smd),
        measure("measure = SMCR", Measure::Smcr),
        measure("measure = PLO", Measure::Plo),
        measure("measure = GEN", Measure::Gen),
        setting(
            "method = DL",
            &["method"],
            |s| s.method = "DL".parse().unwrap(),
            |r, _| r.method == "DL",
        ),
        setting(
            "method = FE",
            &["method"],
            |s| s.method = "FE".parse().unwrap(),
            |r, _| r.method == "FE" && r.tau2 == 0.0,
        ),
        setting(
            "method = GLMM",
            &["method", "measure"],
            |s| {
                s.method = Model::Glmm;
                needs_measure(s, Measure::Plo);
            },
            |r, _| r.method == "GLMM" && r.glmm.is_some(),
        ),
        setting(
            "method = MH",
            &["method"],
            |s| s.method = Model::MantelHaenszel,
            |r, _| r.method == "MH" && r.pooling.is_some(),
        ),
        setting(
            "method = PETO",
            &["method", "measure"],
            |s| {
                s.method = Model::Peto;
                needs_measure(s, Measure::Or);
            },
            |r, _| r.method == "PETO" && r.pooling.is_some(),
        ),
        setting(
            "random",
            &["random"],
            |s| s.random = true,
            // RevMan's "M-H, Random" with MH; a random-effects tau^2 method
            // is random already.
            |r, _| match &r.pooling {
                Some(p) => p.model == "random",
                None => r.method != "FE",
            },
        ),
        setting(
            "pi_dist = t",
            &["pi_dist"],
            |s| s.pi_dist = Some(PiDist::T),
            // The prediction interval's half-width in SDs of a new study's
            // effect is a t quantile of 6 or 7 df, at least 15% above z's
            // (2.36 and 2.45 against 1.96 at 95%; 1.89 and 1.94 against 1.64 at 90%).
            |r, _| {
                let z = if r.level == 90.0 { 1.6449 } else { 1.9600 };
                let sd = (r.tau2 + r.se * r.se).sqrt();
                r.pi_upper.is_finite() && (r.pi_upper - r.estimate) / sd > 1.15 * z
            },
        ),
        setting(
            "preset = cochrane",
            &["preset"],
            // As the faces do: options given explicitly win over the preset.
            |s| {
                s.preset = Some(Preset::Cochrane);
                let method_given = s.method != AnalysisSpec::new(s.measure).method;
                let test_given = s.test != rema_core::Test::Z;
                s.apply_preset(method_given, test_given);
            },
            |r, _| r.notes.iter().any(|n| n.starts_with("preset cochrane")),
        ),
        setting(
            "test = adhoc",
            &["test"],
            |s| s.test = rema_core::Test::Adhoc,
            |r, _| r.test == "adhoc" && r.df.is_some(),
        ),
        setting(
            "test = t",
            &["test"],
            |s| s.test = rema_core::Test::T,
            |r, _| r.test == "t" && r.df.is_some(),
        ),
        setting(
            "test = knha",
            &["test"],
            |s| s.test = rema_core::Test::Knha,
            |r, _| r.test == "knha" && r.df.is_some(),
        ),
        setting(
            "level = 90",
            &["level"],
            |s| s.level = rema_data::Level::new(0.9).unwrap(),
            |r, s| {
                r.level == 90.0
                    && r.bootstrap.as_ref().is_none_or(|b| b.level == 90.0)
                    && s.level.percent() == 90.0
            },
        ),
        setting(
            "tau2_ci",
            &["tau2_ci"],
            |s| s.tau2_ci = true,
            // Under FE tau^2 is 0 by definition: no interval, and a note says so.
            // A multilevel model has a profile-likelihood interval per component.
            |r, _| {
                (r.tau2_ci_lower.is_some() && r.i2_ci_upper.is_some())
                    || r.multilevel.as_ref().is_some_and(|m| {
                        m.components
                            .iter()
                            .all(|c| c.ci_lower.is_some() || c.ci_upper.is_some())
                    }) || (r.method == "FE" && r.notes.iter().any(|n| {
                    n == "tau2_ci: no confidence interval for tau^2 under the common-effect model"
                }))
            },
        ),
        setting(
            "add = 1",
            &["add"],
            |s| s.add = Some(1.0),
            // The zero cell of the first study is corrected by 1, not 0.5.,
            |r, _| r.studies[0].corrected && r.notes.iter().any(|n| n.contains("1 added")),
        ),
        setting(
            "to = all",
            &["to"],
            |s| s.to = rema_core::AddTo::All,
            |r, _| r.studies.iter().all(|st| st.corrected),
        ),
        setting(
            "ri = 0.3",
            &["ri", "measure"],
            |s| {
                s.ri = Some(0.3);
                needs_measure(s, Measure::Smcr);
            },
            |r, _| converted(r, "ri", "assumed") && r.conversions.iter().any(|c| c.value == 0.3),
        ),
        setting(
            "mean_method = hozo2005",
            &["mean_method", "measure"],
            |s| {
                s.mean_method = Some("hozo2005".parse().unwrap());
                needs_measure(s, Measure::Smd);
            },
            |r, _| converted(r, "m", "Hozo"),
        ),
        setting(
            "sd_method = walter_yao2007",
            &["sd_method", "measure"],
            |s| {
                s.sd_method = Some("walter_yao2007".parse().unwrap());
                needs_measure(s, Measure::Smd);
            },
            |r, _| converted(r, "sd", "Walter"),
        ),
        setting(
            "smd_correct = false",
            &["smd_correct", "measure"],
            |s| {
                s.smd_correct = false;
                needs_measure(s, Measure::Smd);
            },
            |r, _| r.notes.iter().any(|n| n.contains("correction not applied")),
        ),
        setting(
            "leave_one_out",
            &["leave_one_out"],
            |s| s.leave_one_out = true,
            |r, s| {
                r.leave_one_out.as_ref().is_some_and(|rows| {
                    rows.len() == r.k
                        && rows.iter().all(|x| {
                            moderated(s, x.fit.coefficients.is_some(), x.fit.error.is_some())
                        })
                })
            },
        ),
        setting(
            "influence",
            &["influence"],
            |s| s.influence = true,
            |r, s| {
                r.influence.as_ref().is_some_and(|rows| {
                    rows.len() == r.k
                        && rows
                            .iter()
                            .all(|x| moderated(s, x.dfbetas_all.is_some(), false))
                })
            },
        ),
        setting(
            "cumulative",
            &["cumulative"],
            |s| s.cumulative = true,
            cumulative_honoured,
        ),
        setting(
            "order",
            &["order", "cumulative"],
            |s| {
                s.cumulative = true;
                s.order = Some("year".into());
            },
            |r, s| {
                cumulative_honoured(r, s)
                    && r.cumulative.as_ref().is_some_and(|rows| {
                        rows[0].added == "S5" && rows.iter().all(|x| x.order_value.is_some())
                    })
            },
        ),
        setting(
            "by",
            &["by"],
            |s| s.by = Some("g".into()),
            |r, s| {
                r.subgroups.as_ref().is_some_and(|g| g.len() == 2)
                    && (s.permutations.is_none()
                        || r.permutation
                            .as_ref()
                            .is_some_and(|p| p.q_between.is_some()))
            },
        ),
        setting(
            "tau2_common",
            &["tau2_common", "by"],
            |s| {
                s.by = Some("g".into());
                s.tau2_common = true;
            },
            |r, _| r.subgroups.is_some() && r.tau2_common.is_some(),
        ),
        setting(
            "mods",
            &["mods"],
            |s| s.mods = vec!["x".into()],
            |r, s| {
                r.coefficients.as_ref().is_some_and(|c| {
                    c.len() == 2
                        && c[1].name == "x"
                        && (s.permutations.is_none() || c.iter().all(|c| c.pval_perm.is_some()))
                }) && r
                    .bootstrap
                    .as_ref()
                    .is_none_or(|b| b.coefficients.as_ref().is_some_and(|c| c.len() == 2))
            },
        ),
        setting(
            "newmods",
            &["newmods", "mods"],
            |s| {
                s.mods = vec!["x".into()];
                s.newmods = Some("x=1,2".into());
            },
            |r, _| {
                r.model
                    .as_ref()
                    .and_then(|m| m.newmods.as_ref())
                    .or_else(|| r.multilevel.as_ref().and_then(|m| m.newmods.as_ref()))
                    .is_some_and(|n| n.len() == 2)
            },
        ),
        // 50 permutations: enough for permci to reject at the 95% level.
        setting(
            "permutations",
            &["permutations"],
            |s| s.permutations = Some(Permutations::Random(50)),
            |r, _| r.permutation.as_ref().is_some_and(|p| p.iterations == 50),
        ),
        setting(
            "permutation_stat = coef",
            &["permutation_stat", "permutations"],
            |s| {
                s.permutations = Some(Permutations::Random(50));
                s.permutation_stat = PermutationStat::Coef;
            },
            |r, _| r.permutation.as_ref().is_some_and(|p| p.stat == "coef"),
        ),
        setting(
            "permci",
            &["permci", "permutations"],
            |s| {
                s.permutations = Some(Permutations::Random(50));
                s.permci = true;
            },
            |r, _| r.permutation.as_ref().is_some_and(|p| p.ci.is_some()),
        ),
        setting(
            "missing = fail",
            &["missing"],
            |s| s.missing = MissingAction::Fail,
            // The table has no missing value: nothing to refuse, and the
            // result records the rule it ran under.
            |r, _| r.provenance.options.missing == MissingAction::Fail,
        ),
        setting(
            "tau2_test",
            &["tau2_test"],
            |s| s.tau2_test = Some(20),
            |r, _| r.tau2_test.is_some(),
        ),
        setting(
            "bootstrap",
            &["bootstrap"],
            |s| s.bootstrap = Some(20),
            |r, _| r.bootstrap.as_ref().is_some_and(|b| b.replicates == 20),
        ),
        setting(
            "bootstrap_type = parametric",
            &["bootstrap_type", "bootstrap"],
            |s| {
                s.bootstrap = Some(20);
                s.bootstrap_type = "parametric".parse().unwrap();
            },
            |r, _| r.bootstrap.as_ref().is_some_and(|b| b.kind == "parametric"),
        ),
        setting(
            "seed",
            &["seed", "permutations"],
            |s| {
                s.permutations = Some(Permutations::Random(50));
                s.seed = Some(7);
            },
            |r, _| r.permutation.as_ref().is_some_and(|p| p.seed == 7),
        ),
        setting(
            "random_terms",
            &["random_terms"],
            |s| {
                if !s.random_terms.iter().any(|t| t == "~ 1 | c/study") {
                    s.random_terms.insert(0, "~ 1 | c/study".into());
                }
            },
            |r, _| {
                r.multilevel
                    .as_ref()
                    .is_some_and(|m| m.components.len() == 2 && m.components[0].n_levels == 4)
            },
        ),
        setting(
            "cluster",
            &["cluster", "rho", "random_terms"],
            constructed_covariance,
            constructed,
        ),
        setting(
            "rho",
            &["rho", "cluster", "random_terms"],
            constructed_covariance,
            constructed,
        ),
        setting(
            "struct = DIAG",
            &["struct", "random_terms"],
            |s| {
                s.var_struct = Some(rema_core::mv::VarStruct::Diag);
                if !s.random_terms.iter().any(|t| t == "~ g | c") {
                    s.random_terms.push("~ g | c".into());
                }
            },
            |r, _| {
                r.multilevel
                    .as_ref()
                    .and_then(|m| m.structure.as_ref())
                    .is_some_and(|g| g.var_struct == "DIAG" && g.tau2.len() == 2)
            },
        ),
        setting(
            "vcov",
            &["vcov", "random_terms"],
            |s| {
                s.vcov = vec![rema_data::vcov::VcovEntry {
                    row: 1,
                    col: 2,
                    cov: 1e-4,
                }];
                if s.random_terms.is_empty() {
                    s.random_terms = vec!["~ 1 | c/study".into()];
                }
            },
            |r, _| {
                r.multilevel
                    .as_ref()
                    .is_some_and(|m| m.sampling_covariance.starts_with("vcov"))
            },
        ),
        setting(
            "robust",
            &["robust"],
            |s| s.robust = Some("c".into()),
            |r, _| r.robust.as_ref().is_some_and(|x| x.n_clusters == 4),
        ),
        setting(
            "robust_type = CR1",
            &["robust_type", "robust"],
            |s| {
                s.robust = Some("c".into());
                s.robust_type = Some(rema_core::robust::RobustType::Cr1);
            },
            |r, _| r.robust.as_ref().is_some_and(|x| x.kind == "CR1"),
        ),
        setting(
            "wild_bootstrap",
            &["wild_bootstrap", "robust", "mods", "random_terms"],
            |s| {
                s.wild_bootstrap = Some(19);
                s.robust = Some("c".into());
                if s.mods.is_empty() {
                    s.mods = vec!["x".into()];
                }
                if s.random_terms.is_empty() {
                    s.random_terms = vec!["~ 1 | c/study".into()];
                }
            },
            |r, _| {
                r.robust
                    .as_ref()
                    .and_then(|x| x.wild_bootstrap.as_ref())
                    .is_some_and(|w| w.len() >= 3 && w.iter().all(|t| t.iterations == 19))
            },
        ),
    ]
}

/// The sampling covariance within clusters `c` at rho 0.5, which needs a
/// multilevel model (a random term by `c`, unless the pair gave one).
fn constructed_covariance(s: &mut AnalysisSpec) {
    s.cluster = Some("c".into());
    s.rho = Some(0.5);
    if s.random_terms.is_empty() {
        s.random_terms = vec!["~ 1 | c/study".into()];
    }
}

fn constructed(r: &AnalysisResult, _: &AnalysisSpec) -> bool {
    r.multilevel
        .as_ref()
        .is_some_and(|m| m.sampling_covariance.starts_with("cluster c"))
}

/// A value of a column starting with `column` was estimated by a method
/// whose name contains `method`.
fn converted(r: &AnalysisResult, column: &str, method: &str) -> bool {
    r.conversions
        .iter()
        .any(|c| c.column.starts_with(column) && c.method.contains(method))
}

/// A setting that needs data of another kind than the default measure's
/// (RR) takes `m`, unless the other option of the pair chose a measure.
fn needs_measure(s: &mut AnalysisSpec, m: Measure) {
    if s.measure == Measure::Rr {
        s.measure = m;
    }
}

/// A refit of a meta-regression carries its coefficients (or says why it
/// failed); a refit without moderators has none.
fn moderated(s: &AnalysisSpec, has_coefficients: bool, failed: bool) -> bool {
    if s.mods.is_empty() {
        !has_coefficients
    } else {
        has_coefficients || failed
    }
}

fn cumulative_honoured(r: &AnalysisResult, s: &AnalysisSpec) -> bool {
    r.cumulative.as_ref().is_some_and(|rows| {
        rows.len() == r.k
            && rows.iter().enumerate().all(|(j, x)| {
                x.fit.k == j + 1
                    && moderated(s, x.fit.coefficients.is_some(), x.fit.error.is_some())
            })
    })
}

/// Eight studies in two groups `g`, with a numeric moderator `x` and a
/// `year` whose order starts with S5, in the columns `measure` reads. The
/// first study has a zero cell (binary, proportion), reports a median and
/// range instead of a mean and SD (continuous) and no correlation (pre/post,
/// whose second study reports a median and range before).
fn table(measure: Measure) -> Table {
    use rema_core::DataKind;
    let head = "study,x,g,year,c";
    let mut rows: Vec<String> = Vec::new();
    let years = [2004, 2001, 2007, 2003, 1999, 2006, 2002, 2005];
    for i in 0..8 {
        let f = i as f64;
        let common = format!(
            "S{},{},{},{},{}",
            i + 1,
            [1.0, 3.0, 2.0, 5.0, 4.0, 7.0, 6.0, 8.0][i],
            if i < 4 { "a" } else { "b" },
            years[i],
            i / 2 + 1
        );
        let data = match measure.data_kind() {
            DataKind::TwoGroupBinary => format!(
                "{},{},{},{}",
                if i == 0 { 0 } else { 3 + i },
                40 - i,
                6 + 2 * (i % 3),
                38 + i
            ),
            DataKind::TwoGroupContinuous if i == 0 => ",,30,10.2,2.3,30,9,4,15".to_string(),
            DataKind::TwoGroupContinuous => format!(
                "{},{},{},{},{},{},,,",
                10.0 + 0.3 * f,
                2.0 + 0.1 * f,
                25 + i,
                9.5 + 0.1 * (f % 3.0),
                2.2,
                26 + i
            ),
            DataKind::PrePost if i == 1 => "16.5,4.2,22,0.45,,,21,12,30".to_string(),
            DataKind::PrePost => format!(
                "{},{},{},{},{},{},,,",
                16.0 + 0.7 * f,
                4.2,
                20 + 2 * i,
                if i == 0 {
                    String::new()
                } else {
                    format!("{}", 0.4 + 0.05 * f)
                },
                20.0 + f,
                4.0,
            ),
            DataKind::Proportion => format!("{},{}", if i == 0 { 0 } else { 2 + i }, 30 + 3 * i),
            DataKind::Generic => {
                format!("{},{}", 0.1 + 0.08 * f - 0.2 * (f % 2.0), 0.02 + 0.005 * f)
            }
            DataKind::Correlation => format!("{},{}", 0.1 + 0.07 * f, 20 + 5 * i),
            DataKind::PartialCorrelation => {
                format!("{},{},3,{}", 1.0 + 0.4 * f, 60 + 5 * i, 0.2 + 0.05 * f)
            }
            DataKind::TwoGroupRate => format!("{},{},{},{}", i, 100 + 10 * i, 3 + i, 120),
            DataKind::Rate => format!("{},{}", i, 100 + 10 * i),
            DataKind::SingleGroup => format!("{},{},{}", 10.0 + f, 2.0 + 0.1 * f, 20 + 5 * i),
        };
        rows.push(format!("{common},{data}"));
    }
    let cols = match measure.data_kind() {
        DataKind::TwoGroupBinary => "ai,bi,ci,di",
        DataKind::TwoGroupContinuous => "m1i,sd1i,n1i,m2i,sd2i,n2i,median1i,min1i,max1i",
        DataKind::PrePost => "m_post,sd_post,ni,ri,m_pre,sd_pre,median_pre,min_pre,max_pre",
        DataKind::Proportion => "xi,ni",
        DataKind::Generic => "yi,vi",
        DataKind::Correlation => "ri,ni",
        DataKind::PartialCorrelation => "ti,ni,mi,r2i",
        DataKind::TwoGroupRate => "x1i,t1i,x2i,t2i",
        DataKind::Rate => "xi,ti",
        DataKind::SingleGroup => "mi,sdi,ni",
    };
    let text = format!("{head},{cols}\n{}\n", rows.join("\n"));
    Table::from_str(&text, "pairs.csv").unwrap()
}

/// What a spec gave: honoured, or refused naming `option`.
enum Outcome {
    Honoured,
    Refused(&'static str),
}

fn run(spec: &AnalysisSpec, parts: &[&Setting]) -> Result<Outcome, String> {
    let what = parts
        .iter()
        .map(|p| p.label)
        .collect::<Vec<_>>()
        .join(" + ");
    match analyze(&table(spec.measure), spec, "0") {
        Ok(r) => {
            let dropped: Vec<&str> = parts
                .iter()
                .filter(|p| !(p.honoured)(&r, spec))
                .map(|p| p.label)
                .collect();
            if dropped.is_empty() {
                Ok(Outcome::Honoured)
            } else {
                Err(format!("{what}: Ok, but without {}", dropped.join(", ")))
            }
        }
        Err(DataError::Option { option, message }) => {
            let named = parts.iter().any(|p| p.fields.contains(&option));
            if !named {
                Err(format!(
                    "{what}: refused naming `{option}`, which neither sets: {message}"
                ))
            } else if message.split_whitespace().count() < 5 {
                Err(format!("{what}: refused without a reason: {message}"))
            } else {
                Ok(Outcome::Refused(option))
            }
        }
        Err(e) => Err(format!("{what}: failed with another error: {e}")),
    }
}

/// The rows of the table of refused pairs in docs/ERRORS.md, as
/// (first, second, refused option), the settings in `settings()` order.
fn documented() -> BTreeSet<(String, String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ERRORS.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let start = doc
        .find("<!-- option-pairs:begin -->")
        .expect("docs/ERRORS.md has the table of refused option pairs");
    let end = doc.find("<!-- option-pairs:end -->").unwrap();
    let cell = |c: &str| c.trim().trim_matches('`').to_string();
    doc[start..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let c: Vec<&str> = l.trim_matches('|').split('|').collect();
            (cell(c[0]), cell(c[1]), cell(c[2]))
        })
        .collect()
}

#[test]
fn every_option_has_a_setting() {
    let covered: BTreeSet<&str> = settings().iter().map(|s| s.fields[0]).collect();
    let missing: Vec<&&str> = SPEC_FIELDS
        .iter()
        .filter(|f| !covered.contains(**f) && !SOURCE_FIELDS.contains(f))
        .collect();
    assert!(
        missing.is_empty(),
        "give these options a setting in option_pairs.rs: {missing:?}"
    );
}

#[test]
fn every_pair_of_options_is_honoured_or_refused_as_documented() {
    let all = settings();
    let mut failures = Vec::new();
    for s in &all {
        let mut spec = AnalysisSpec::new(Measure::Rr);
        (s.apply)(&mut spec);
        match run(&spec, &[s]) {
            Ok(Outcome::Honoured) => {}
            Ok(Outcome::Refused(option)) => {
                failures.push(format!("{} alone: refused naming {option}", s.label))
            }
            Err(e) => failures.push(e),
        }
    }
    let mut refused = BTreeSet::new();
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            // Two settings of one option are not a pair.
            if a.fields[0] == b.fields[0] {
                continue;
            }
            // Either order gives the same spec: a setting's own field is
            // its own, what it needs is taken only where still default.
            let mut spec = AnalysisSpec::new(Measure::Rr);
            (a.apply)(&mut spec);
            (b.apply)(&mut spec);
            (a.apply)(&mut spec);
            match run(&spec, &[a, b]) {
                Ok(Outcome::Honoured) => {}
                Ok(Outcome::Refused(option)) => {
                    refused.insert((a.label.to_string(), b.label.to_string(), option.to_string()));
                }
                Err(e) => failures.push(e),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let doc = documented();
    let undocumented: Vec<_> = refused.difference(&doc).collect();
    let stale: Vec<_> = doc.difference(&refused).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "docs/ERRORS.md must list exactly the refused pairs (first | second | refused option):\nrefused but not listed: {undocumented:#?}\nlisted but not refused: {stale:#?}"
    );
}
