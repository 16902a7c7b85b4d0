//! The report's prose beside the methods paragraph: a results paragraph per
//! analysis, written from what the analysis produced (k, the pooled
//! estimate with its CI on the analysis's level, p, τ² and I² with their
//! CIs when computed, the prediction interval, the test for subgroup
//! differences, the meta-regression's test of moderators and coefficients,
//! the resampling p-values and the small-study tests), and the reference
//! list of the methods those analyses used.
//!
//! Each method is cited (author, year) where the methods paragraph names
//! it ([`cited`], [`further_methods`], [`bias_methods`]); [`references`]
//! gives the full list. The results paragraphs cite nothing: they report.

use rema_core::{Method, Test};
use rema_data::bias::BiasResult;
use rema_data::spec::Model;
use rema_data::AnalysisResult;

use crate::display::DisplayTransform;
use crate::svg::num;

/// A method rema cites: its short citation and the full reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cite {
    Metafor,
    Cochran1954,
    DerSimonianLaird1986,
    Viechtbauer2005,
    PauleMandel1982,
    SidikJonkman2005,
    HedgesOlkin1985,
    HunterSchmidt2004,
    Morris1983,
    HartungKnapp2001,
    SidikJonkman2002,
    KnappHartung2003,
    HigginsThompson2002,
    Viechtbauer2007,
    Higgins2009,
    MantelHaenszel1959,
    Yusuf1985,
    Stijnen2010,
    ThompsonHiggins2002,
    HigginsThompson2004,
    DavisonHinkley1997,
    ViechtbauerCheung2010,
    Lau1992,
    Konstantopoulos2011,
    Hedges2010,
    PustejovskyTipton2018,
    Egger1997,
    BeggMazumdar1994,
    DuvalTweedie2000,
    StanleyDoucouliagos2014,
    Rosenthal1979,
    IoannidisTrikalinos2007,
    VeveaHedges1995,
    Peters2008,
    Deeks2023,
    GradeHandbook2013,
    Guyatt2011a,
    Guyatt2011b,
}

impl Cite {
    /// Author–year, as the text cites it.
    pub fn short(self) -> &'static str {
        self.both().0
    }

    /// The full reference.
    pub fn full(self) -> &'static str {
        self.both().1
    }

    fn both(self) -> (&'static str, &'static str) {
        use Cite::*;
        match self {
            Metafor => ("Viechtbauer 2010", "Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. Journal of Statistical Software 36(3):1–48."),
            Cochran1954 => ("Cochran 1954", "Cochran WG (1954). The combination of estimates from different experiments. Biometrics 10(1):101–129."),
            DerSimonianLaird1986 => ("DerSimonian and Laird 1986", "DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Controlled Clinical Trials 7(3):177–188."),
            Viechtbauer2005 => ("Viechtbauer 2005", "Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the random-effects model. Journal of Educational and Behavioral Statistics 30(3):261–293."),
            PauleMandel1982 => ("Paule and Mandel 1982", "Paule RC, Mandel J (1982). Consensus values and weighting factors. Journal of Research of the National Bureau of Standards 87(5):377–385."),
            SidikJonkman2005 => ("Sidik and Jonkman 2005", "Sidik K, Jonkman JN (2005). Simple heterogeneity variance estimation for meta-analysis. Journal of the Royal Statistical Society C 54(2):367–384."),
            HedgesOlkin1985 => ("Hedges and Olkin 1985", "Hedges LV, Olkin I (1985). Statistical Methods for Meta-Analysis. Academic Press."),
            HunterSchmidt2004 => ("Hunter and Schmidt 2004", "Hunter JE, Schmidt FL (2004). Methods of Meta-Analysis: Correcting Error and Bias in Research Findings, 2nd ed. Sage."),
            Morris1983 => ("Morris 1983", "Morris CN (1983). Parametric empirical Bayes inference: theory and applications. Journal of the American Statistical Association 78(381):47–55."),
            HartungKnapp2001 => ("Hartung and Knapp 2001", "Hartung J, Knapp G (2001). A refined method for the meta-analysis of controlled clinical trials with binary outcome. Statistics in Medicine 20(24):3875–3889."),
            SidikJonkman2002 => ("Sidik and Jonkman 2002", "Sidik K, Jonkman JN (2002). A simple confidence interval for meta-analysis. Statistics in Medicine 21(21):3153–3159."),
            KnappHartung2003 => ("Knapp and Hartung 2003", "Knapp G, Hartung J (2003). Improved tests for a random effects meta-regression with a single covariate. Statistics in Medicine 22(17):2693–2710."),
            HigginsThompson2002 => ("Higgins and Thompson 2002", "Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis. Statistics in Medicine 21(11):1539–1558."),
            Viechtbauer2007 => ("Viechtbauer 2007", "Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity in meta-analysis. Statistics in Medicine 26(1):37–52."),
            Higgins2009 => ("Higgins et al. 2009", "Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). A re-evaluation of random-effects meta-analysis. Journal of the Royal Statistical Society A 172(1):137–159."),
            MantelHaenszel1959 => ("Mantel and Haenszel 1959", "Mantel N, Haenszel W (1959). Statistical aspects of the analysis of data from retrospective studies of disease. Journal of the National Cancer Institute 22(4):719–748."),
            Yusuf1985 => ("Yusuf et al. 1985", "Yusuf S, Peto R, Lewis J, Collins R, Sleight P (1985). Beta blockade during and after myocardial infarction: an overview of the randomized trials. Progress in Cardiovascular Diseases 27(5):335–371."),
            Stijnen2010 => ("Stijnen et al. 2010", "Stijnen T, Hamza TH, Özdemir P (2010). Random effects meta-analysis of event outcome in the framework of the generalized linear mixed model with applications in sparse data. Statistics in Medicine 29(29):3046–3067."),
            ThompsonHiggins2002 => ("Thompson and Higgins 2002", "Thompson SG, Higgins JPT (2002). How should meta-regression analyses be undertaken and interpreted? Statistics in Medicine 21(11):1559–1573."),
            HigginsThompson2004 => ("Higgins and Thompson 2004", "Higgins JPT, Thompson SG (2004). Controlling the risk of spurious findings from meta-regression. Statistics in Medicine 23(11):1663–1682."),
            DavisonHinkley1997 => ("Davison and Hinkley 1997", "Davison AC, Hinkley DV (1997). Bootstrap Methods and Their Application. Cambridge University Press."),
            ViechtbauerCheung2010 => ("Viechtbauer and Cheung 2010", "Viechtbauer W, Cheung MW-L (2010). Outlier and influence diagnostics for meta-analysis. Research Synthesis Methods 1(2):112–125."),
            Lau1992 => ("Lau et al. 1992", "Lau J, Antman EM, Jimenez-Silva J, Kupelnick B, Mosteller F, Chalmers TC (1992). Cumulative meta-analysis of therapeutic trials for myocardial infarction. New England Journal of Medicine 327(4):248–254."),
            Konstantopoulos2011 => ("Konstantopoulos 2011", "Konstantopoulos S (2011). Fixed effects and variance components estimation in three-level meta-analysis. Research Synthesis Methods 2(1):61–76."),
            Hedges2010 => ("Hedges et al. 2010", "Hedges LV, Tipton E, Johnson MC (2010). Robust variance estimation in meta-regression with dependent effect size estimates. Research Synthesis Methods 1(1):39–65."),
            PustejovskyTipton2018 => ("Pustejovsky and Tipton 2018", "Pustejovsky JE, Tipton E (2018). Small-sample methods for cluster-robust variance estimation and hypothesis testing in fixed effects models. Journal of Business & Economic Statistics 36(4):672–683."),
            Egger1997 => ("Egger et al. 1997", "Egger M, Davey Smith G, Schneider M, Minder C (1997). Bias in meta-analysis detected by a simple, graphical test. BMJ 315(7109):629–634."),
            BeggMazumdar1994 => ("Begg and Mazumdar 1994", "Begg CB, Mazumdar M (1994). Operating characteristics of a rank correlation test for publication bias. Biometrics 50(4):1088–1101."),
            DuvalTweedie2000 => ("Duval and Tweedie 2000", "Duval S, Tweedie R (2000). Trim and fill: a simple funnel-plot-based method of testing and adjusting for publication bias in meta-analysis. Biometrics 56(2):455–463."),
            StanleyDoucouliagos2014 => ("Stanley and Doucouliagos 2014", "Stanley TD, Doucouliagos H (2014). Meta-regression approximations to reduce publication selection bias. Research Synthesis Methods 5(1):60–78."),
            Rosenthal1979 => ("Rosenthal 1979", "Rosenthal R (1979). The file drawer problem and tolerance for null results. Psychological Bulletin 86(3):638–641."),
            IoannidisTrikalinos2007 => ("Ioannidis and Trikalinos 2007", "Ioannidis JPA, Trikalinos TA (2007). An exploratory test for an excess of significant findings. Clinical Trials 4(3):245–253."),
            VeveaHedges1995 => ("Vevea and Hedges 1995", "Vevea JL, Hedges LV (1995). A general linear model for estimating effect size in the presence of publication bias. Psychometrika 60(3):419–435."),
            Peters2008 => ("Peters et al. 2008", "Peters JL, Sutton AJ, Jones DR, Abrams KR, Rushton L (2008). Contour-enhanced meta-analysis funnel plots help distinguish publication bias from other causes of asymmetry. Journal of Clinical Epidemiology 61(10):991–996."),
            Deeks2023 => ("Deeks et al. 2023", "Deeks JJ, Higgins JPT, Altman DG (2023). Chapter 10: Analysing data and undertaking meta-analyses. In: Higgins JPT et al. (eds), Cochrane Handbook for Systematic Reviews of Interventions, version 6.4. Cochrane."),
            GradeHandbook2013 => ("Schünemann et al. 2013", "Schünemann H, Brożek J, Guyatt G, Oxman A (eds) (2013). GRADE Handbook for Grading Quality of Evidence and Strength of Recommendations. The GRADE Working Group."),
            Guyatt2011a => ("Guyatt et al. 2011a", "Guyatt GH, Oxman AD, Kunz R, et al. (2011). GRADE guidelines 6. Rating the quality of evidence—imprecision. Journal of Clinical Epidemiology 64(12):1283–1293."),
            Guyatt2011b => ("Guyatt et al. 2011b", "Guyatt GH, Oxman AD, Kunz R, et al. (2011). GRADE guidelines 7. Rating the quality of evidence—inconsistency. Journal of Clinical Epidemiology 64(12):1294–1302."),
        }
    }
}

/// The references of the τ² estimator of a model.
pub fn method_cites(m: Model) -> Vec<Cite> {
    use Cite::*;
    match m {
        Model::Rma(Method::Fe) => vec![],
        Model::Rma(Method::Dl) => vec![DerSimonianLaird1986],
        Model::Rma(Method::Reml | Method::Ml) => vec![Viechtbauer2005],
        Model::Rma(Method::Pm) => vec![PauleMandel1982],
        Model::Rma(Method::Sj) => vec![SidikJonkman2005],
        Model::Rma(Method::He) => vec![HedgesOlkin1985],
        Model::Rma(Method::Hs) => vec![HunterSchmidt2004],
        Model::Rma(Method::Eb) => vec![Morris1983],
        Model::Glmm => vec![Stijnen2010],
        Model::MantelHaenszel => vec![MantelHaenszel1959],
        Model::Peto => vec![Yusuf1985],
    }
}

/// Every method an analysis (and its small-study tests) used, in the order
/// the text names them.
pub fn cites(r: &AnalysisResult, bias: Option<&BiasResult>) -> Vec<Cite> {
    use Cite::*;
    let o = &r.provenance.options;
    let mut v = method_cites(o.method);
    if o.method == Model::MantelHaenszel && o.random {
        v.push(DerSimonianLaird1986);
    }
    match o.test {
        Test::Knha => v.extend([HartungKnapp2001, SidikJonkman2002]),
        Test::Adhoc => v.push(KnappHartung2003),
        _ => {}
    }
    v.extend([Cochran1954, HigginsThompson2002]);
    if o.tau2_ci {
        v.push(Viechtbauer2007);
    }
    if r.pi_lower.is_finite() && r.tau2 > 0.0 {
        v.push(Higgins2009);
    }
    if r.subgroups.is_some() {
        v.push(Deeks2023);
    }
    if r.coefficients.is_some() {
        v.push(ThompsonHiggins2002);
    }
    if r.permutation.is_some() {
        v.push(HigginsThompson2004);
    }
    if r.bootstrap.is_some() {
        v.push(DavisonHinkley1997);
    }
    if r.leave_one_out.is_some() || r.influence.is_some() {
        v.push(ViechtbauerCheung2010);
    }
    if r.cumulative.is_some() {
        v.push(Lau1992);
    }
    if r.multilevel.is_some() {
        v.push(Konstantopoulos2011);
    }
    if let Some(rb) = &r.robust {
        v.push(Hedges2010);
        if rb.kind.contains("CR2") {
            v.push(PustejovskyTipton2018);
        }
    }
    if let Some(b) = bias {
        if b.egger.is_some() || b.regtest.is_some() {
            v.push(Egger1997);
        }
        if b.begg.is_some() {
            v.push(BeggMazumdar1994);
        }
        if b.trimfill.is_some() {
            v.push(DuvalTweedie2000);
        }
        if b.pet_peese.is_some() {
            v.push(StanleyDoucouliagos2014);
        }
        if b.fsn.is_some() {
            v.push(Rosenthal1979);
        }
        if b.tes.is_some() {
            v.push(IoannidisTrikalinos2007);
        }
        if b.selmodel.is_some() {
            v.push(VeveaHedges1995);
        }
        v.push(Peters2008);
    }
    v.push(Metafor);
    v
}

/// The reference list of a set of analyses (and of the GRADE table when
/// `grade`): each reference once, alphabetically.
pub fn references(analyses: &[(&AnalysisResult, Option<&BiasResult>)], grade: bool) -> Vec<String> {
    let mut all: Vec<Cite> = analyses.iter().flat_map(|(r, b)| cites(r, *b)).collect();
    if grade {
        all.extend([
            Cite::GradeHandbook2013,
            Cite::Guyatt2011a,
            Cite::Guyatt2011b,
        ]);
    }
    let mut refs: Vec<String> = all.into_iter().map(|c| c.full().to_string()).collect();
    refs.sort();
    refs.dedup();
    refs
}

fn p_text(p: f64) -> String {
    if !p.is_finite() {
        "p not available".to_string()
    } else if p < 0.001 {
        "p < 0.001".to_string()
    } else {
        format!("p = {}", num(p, 3))
    }
}

fn lvl(x: f64) -> String {
    crate::axis::tick_label(x)
}

/// ` (Author year; Author year)`, or nothing for no citation.
pub fn cited(c: &[Cite]) -> String {
    if c.is_empty() {
        String::new()
    } else {
        let v: Vec<&str> = c.iter().map(|c| c.short()).collect();
        format!(" ({})", v.join("; "))
    }
}

/// An effect's name inside a sentence: `risk ratio`, but `Yule's Q`.
fn lower(name: &str) -> String {
    let mut c = name.chars();
    match (c.next(), c.next()) {
        (Some(f), Some(s)) if f.is_uppercase() && s.is_lowercase() && !name.contains('\'') => {
            f.to_lowercase().collect::<String>() + &name[f.len_utf8()..]
        }
        _ => name.to_string(),
    }
}

/// The scale of a model's coefficients: `log RR` for the ratio measures.
fn coefficient_scale(r: &AnalysisResult) -> String {
    match r.measure.parse::<rema_core::Measure>() {
        Ok(m) if m.back_transform() == rema_core::BackTransform::Exp => {
            format!("log {}", r.measure)
        }
        _ => r.measure.clone(),
    }
}

/// The methods sentence of the analyses beyond the pooled estimate that a
/// spec asks for (subgroups, meta-regression, multilevel and cluster-robust
/// models, sensitivity analyses), each with its citation; empty for none.
pub fn further_methods(r: &AnalysisResult) -> String {
    use Cite::*;
    let o = &r.provenance.options;
    let mut v: Vec<String> = Vec::new();
    if let Some(by) = &o.by {
        v.push(format!(
            "subgroups by {by}, compared with the test for subgroup differences{}",
            cited(&[Deeks2023])
        ));
    }
    if !o.mods.is_empty() {
        v.push(format!(
            "a meta-regression on {}, with the omnibus test of moderators QM{}",
            o.mods.join(", "),
            cited(&[ThompsonHiggins2002])
        ));
    }
    if !o.random_terms.is_empty() {
        v.push(format!(
            "a multilevel model with the random effects {}{}",
            o.random_terms.join(", "),
            cited(&[Konstantopoulos2011])
        ));
    }
    if let Some(rb) = &r.robust {
        let mut c = vec![Hedges2010];
        if rb.kind.contains("CR2") {
            c.push(PustejovskyTipton2018);
        }
        v.push(format!(
            "cluster-robust tests ({}) by {}{}",
            rb.kind,
            rb.cluster,
            cited(&c)
        ));
    }
    if o.leave_one_out || o.influence {
        v.push(format!(
            "{}{}",
            match (o.leave_one_out, o.influence) {
                (true, true) => "leave-one-out analyses and influence diagnostics",
                (true, false) => "leave-one-out analyses",
                _ => "influence diagnostics",
            },
            cited(&[ViechtbauerCheung2010])
        ));
    }
    if o.cumulative {
        v.push(format!(
            "a cumulative meta-analysis{}{}",
            o.order
                .as_ref()
                .map(|c| format!(" ordered by {c}"))
                .unwrap_or_default(),
            cited(&[Lau1992])
        ));
    }
    if v.is_empty() {
        String::new()
    } else {
        format!(" The analyses included {}.", v.join("; "))
    }
}

/// The methods sentence of the small-study tests of one analysis, each
/// test with its citation.
pub fn bias_methods(name: &str, b: &BiasResult) -> String {
    use Cite::*;
    let mut v = Vec::new();
    if b.egger.is_some() {
        v.push(format!("Egger's regression test{}", cited(&[Egger1997])));
    }
    if let Some(_g) = &b.regtest {
        v.push(format!(
            "the regression test with predictor {} ({} model){}",
            b.options.predictor.name(),
            b.options.model.name(),
            cited(&[Egger1997])
        ));
    }
    if b.begg.is_some() {
        v.push(format!(
            "the rank correlation test{}",
            cited(&[BeggMazumdar1994])
        ));
    }
    if let Some(g) = &b.trimfill {
        v.push(format!(
            "trim and fill with the {} estimator{}",
            g.estimator,
            cited(&[DuvalTweedie2000])
        ));
    }
    if b.pet_peese.is_some() {
        v.push(format!("PET-PEESE{}", cited(&[StanleyDoucouliagos2014])));
    }
    if b.fsn.is_some() {
        v.push(format!(
            "Rosenthal's fail-safe N{}",
            cited(&[Rosenthal1979])
        ));
    }
    if b.tes.is_some() {
        v.push(format!(
            "the test of excess significance{}",
            cited(&[IoannidisTrikalinos2007])
        ));
    }
    if let Some(g) = &b.selmodel {
        v.push(format!(
            "a selection model of type {}{}",
            g.kind,
            cited(&[VeveaHedges1995])
        ));
    }
    format!(
        "For {name}, small-study effects were assessed on the {} studies with {}, and a contour-enhanced funnel plot{}; the tests are those of metafor 3.8-1's regtest, ranktest, trimfill, fsn, tes and selmodel.",
        b.k,
        v.join(", "),
        cited(&[Peters2008])
    )
}

/// One analysis's results paragraph: `name` is how the text calls it.
///
/// A meta-regression states its test of moderators and coefficients and
/// never calls the intercept the pooled effect.
pub fn results_paragraph(name: &str, r: &AnalysisResult, bias: Option<&BiasResult>) -> String {
    let t = DisplayTransform::for_result(r);
    let level = lvl(r.level);
    let e = |x: f64| num(t.apply(x), 2);
    let common = {
        let o = &r.provenance.options;
        o.method == Model::Rma(Method::Fe)
            || o.method == Model::Peto
            || (o.method == Model::MantelHaenszel && !o.random)
    };
    let mut s = vec![];
    if let Some(coefs) = &r.coefficients {
        let mut x = format!(
            "{name}: a meta-regression of the {} on {} over {} studies",
            r.measure,
            r.provenance.options.mods.join(", "),
            r.k
        );
        if let (Some(qm), Some(p)) = (r.qm, r.qm_pval) {
            x += &format!(
                " gave a test of moderators QM = {} (df = {}, {})",
                num(qm, 2),
                num(r.qm_df.unwrap_or(f64::NAN), 0),
                p_text(p)
            );
        }
        s.push(x);
        let cs: Vec<String> = coefs
            .iter()
            .filter(|c| c.name != "intrcpt")
            .map(|c| {
                format!(
                    "{} {} ({level}% CI {} to {}; {})",
                    c.name,
                    num(c.estimate, 4),
                    num(c.ci_lower, 4),
                    num(c.ci_upper, 4),
                    p_text(c.pval)
                )
            })
            .collect();
        if !cs.is_empty() {
            s.push(format!(
                "the coefficients (on the {} scale) were {}",
                coefficient_scale(r),
                cs.join(", ")
            ));
        }
        let mut resid = format!(
            "residual heterogeneity τ² = {}, I² = {}%",
            num(r.tau2, 4),
            num(r.i2, 0)
        );
        if let (Some(qe), Some(p)) = (r.qe, r.qe_pval) {
            resid += &format!(" (QE = {}, {})", num(qe, 2), p_text(p));
        }
        if let Some(r2) = r.r2 {
            resid += &format!(", R² = {}%", num(r2, 0));
        }
        s.push(resid);
    } else {
        s.push(format!(
            "{name}: {} studies; the pooled {} was {} ({level}% CI {} to {}; {})",
            r.k,
            lower(t.effect_name()),
            e(r.estimate),
            e(r.ci_lower),
            e(r.ci_upper),
            p_text(r.pval)
        ));
        let mut het = if common {
            format!("I² = {}%", num(r.i2, 0))
        } else {
            format!("τ² = {}", num(r.tau2, 4))
        };
        if !common {
            if let (Some(lo), Some(hi)) = (r.tau2_ci_lower, r.tau2_ci_upper) {
                het += &format!(" ({level}% CI {} to {})", num(lo, 4), num(hi, 4));
            }
            het += &format!(", I² = {}%", num(r.i2, 0));
        }
        if let (Some(lo), Some(hi)) = (r.i2_ci_lower, r.i2_ci_upper) {
            het += &format!(" ({level}% CI {} to {})", num(lo, 0), num(hi, 0));
        }
        het += &format!(
            ", Q = {} (df = {}, {})",
            num(r.q, 2),
            num(r.q_df, 0),
            p_text(r.q_pval)
        );
        s.push(het);
        if let Some(ml) = &r.multilevel {
            let comps: Vec<String> = ml
                .components
                .iter()
                .map(|c| {
                    format!(
                        "σ² = {} ({}, {} levels)",
                        num(c.sigma2, 4),
                        c.factor,
                        c.n_levels
                    )
                })
                .collect();
            s.push(format!("variance components {}", comps.join(", ")));
        }
        if !common && r.pi_lower.is_finite() && r.pi_upper.is_finite() {
            s.push(format!(
                "the {level}% prediction interval was {} to {}",
                e(r.pi_lower),
                e(r.pi_upper)
            ));
        }
    }
    if let (Some(q), Some(df), Some(p)) = (r.q_between, r.q_between_df, r.q_between_pval) {
        let i2 = if q > 0.0 {
            (100.0 * (q - df) / q).max(0.0)
        } else {
            0.0
        };
        let groups: Vec<String> = r
            .subgroups
            .iter()
            .flatten()
            .map(|g| {
                let (x, lo, hi) = match &g.transformed {
                    Some(x) => (x.estimate, x.ci_lower, x.ci_upper),
                    None => (g.summary.estimate, g.summary.ci_lower, g.summary.ci_upper),
                };
                format!(
                    "{} {} ({} to {}; k = {})",
                    g.level,
                    num(x, 2),
                    num(lo, 2),
                    num(hi, 2),
                    g.summary.k
                )
            })
            .collect();
        s.push(format!(
            "by subgroup: {}; the test for subgroup differences gave Q = {} (df = {}, {}), I² = {}%",
            groups.join(", "),
            num(q, 2),
            num(df, 0),
            p_text(p),
            num(i2, 0)
        ));
    }
    if let Some(p) = &r.permutation {
        s.push(format!(
            "the permutation test ({} {}, seed {}) gave {}",
            p.iterations,
            if p.exact {
                "arrangements, exact"
            } else {
                "permutations"
            },
            p.seed,
            p_text(p.qm_pval)
        ));
    }
    if let Some(l) = &r.leave_one_out {
        let ests: Vec<f64> = l
            .iter()
            .map(|x| t.apply(x.fit.estimate))
            .filter(|x| x.is_finite())
            .collect();
        if !ests.is_empty() {
            let lo = ests.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = ests.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            s.push(format!(
                "leaving out one study at a time, the pooled {} ranged from {} to {}",
                lower(t.effect_name()),
                num(lo, 2),
                num(hi, 2)
            ));
        }
    }
    if let Some(b) = bias {
        let mut x = Vec::new();
        if let Some(g) = &b.egger {
            x.push(format!("Egger's test {}", p_text(g.pval)));
        }
        if let Some(g) = &b.begg {
            x.push(format!(
                "Begg's rank correlation Kendall's τ = {}, {}",
                num(g.tau, 3),
                p_text(g.pval)
            ));
        }
        if let Some(g) = &b.trimfill {
            x.push(format!(
                "trim and fill imputed {} {} (adjusted estimate {}, {level}% CI {} to {})",
                g.k0,
                if g.k0 == 1 { "study" } else { "studies" },
                e(g.estimate),
                e(g.ci_lower),
                e(g.ci_upper)
            ));
        }
        if !x.is_empty() {
            s.push(format!("small-study effects: {}", x.join("; ")));
        }
    }
    let mut p = s.join("; ");
    p.push('.');
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_has_a_year_and_ends_with_a_full_stop() {
        use Cite::*;
        for c in [
            Metafor,
            DerSimonianLaird1986,
            GradeHandbook2013,
            Guyatt2011a,
            Guyatt2011b,
            Peters2008,
        ] {
            let (s, f) = c.both();
            let year: String = s.chars().filter(char::is_ascii_digit).collect();
            assert!(
                year.len() == 4 && f.contains(&format!("({year})")) && f.ends_with('.'),
                "{f}"
            );
        }
    }
}
