//! The CSV of `rema analyze --format csv`: the one summary line of a plain
//! analysis, or, when the result has sections, one table with a line per
//! part, each saying what it is (columns `part`, `label`, `term`).

use crate::result::{AnalysisResult, SummaryFields};

use super::summary::csv_line;

/// The columns of the table, in order.
const COLUMNS: &[&str] = &[
    "part",
    "label",
    "term",
    "measure",
    "method",
    "test",
    "level",
    "k",
    "estimate",
    "se",
    "stat",
    "df",
    "ci_lower",
    "ci_upper",
    "pval",
    "pval_perm",
    "tau2",
    "i2",
    "h2",
    "q",
    "q_df",
    "q_pval",
    "qm",
    "qm_df",
    "qm_pval",
    "pi_lower",
    "pi_upper",
    "tau2_ci_lower",
    "tau2_ci_upper",
    "i2_ci_lower",
    "i2_ci_upper",
    "bca_lower",
    "bca_upper",
    "rstudent",
    "dffits",
    "cook_d",
    "cov_r",
    "tau2_del",
    "qe_del",
    "hat",
    "weight",
    "dfbetas",
    "influential",
    "error",
];

/// One line of the table, cells set by column name.
struct Line(Vec<String>);

impl Line {
    fn new(part: &str, label: &str, term: &str, r: &AnalysisResult) -> Line {
        let mut l = Line(vec![String::new(); COLUMNS.len()]);
        l.text("part", part);
        l.text("label", label);
        l.text("term", term);
        l.text("measure", &r.measure);
        l.text("method", &r.method);
        l.text("test", &r.test);
        l.num("level", r.level);
        l
    }

    fn text(&mut self, column: &str, value: &str) {
        let i = COLUMNS
            .iter()
            .position(|c| *c == column)
            .expect("a column of the table");
        self.0[i] = value.to_string();
    }

    /// A number; blank when it is missing (NaN, infinite).
    fn num(&mut self, column: &str, value: f64) {
        if value.is_finite() {
            self.text(column, &value.to_string());
        }
    }

    /// Numbers by column name.
    fn nums(&mut self, cells: &[(&str, f64)]) {
        for &(c, v) in cells {
            self.num(c, v);
        }
    }

    fn opt(&mut self, column: &str, value: Option<f64>) {
        if let Some(v) = value {
            self.num(column, v);
        }
    }

    /// The fields of a fit to a subset of the studies (estimate, interval,
    /// heterogeneity and, with moderators, QM).
    fn fields(&mut self, f: &SummaryFields) {
        self.num("k", f.k as f64);
        self.nums(&[
            ("estimate", f.estimate),
            ("se", f.se),
            ("stat", f.stat),
            ("pval", f.pval),
            ("ci_lower", f.ci_lower),
            ("ci_upper", f.ci_upper),
            ("tau2", f.tau2),
            ("i2", f.i2),
            ("h2", f.h2),
            ("q", f.q),
            ("q_pval", f.q_pval),
        ]);
        self.opt("qm", f.qm);
        self.opt("qm_pval", f.qm_pval);
        if let Some(e) = &f.error {
            self.text("error", e);
        }
    }
}

/// True when the result has a part the single summary line cannot hold.
fn has_sections(r: &AnalysisResult) -> bool {
    r.coefficients.is_some()
        || r.subgroups.is_some()
        || r.leave_one_out.is_some()
        || r.influence.is_some()
        || r.cumulative.is_some()
        || r.bootstrap.is_some()
}

/// `rema analyze --format csv`: the summary line of a plain analysis, or the
/// whole table of a result with sections (meta-regression coefficients,
/// subgroups, leave-one-out, influence, cumulative, bootstrap), one line per
/// part, never the overall line alone.
///
/// ```
/// use rema_data::{analyze, AnalysisSpec, Table};
/// let t = Table::from_str("study,yi,vi,x\nA,0.1,0.02,1\nB,0.3,0.03,2\nC,0.2,0.01,4\nD,0.5,0.02,5\n", "x.csv").unwrap();
/// let mut spec = AnalysisSpec::new(rema_core::Measure::Gen);
/// spec.mods = vec!["x".into()];
/// let csv = rema_data::render::csv(&analyze(&t, &spec, "0").unwrap());
/// assert!(csv.starts_with("part,label,term,"));
/// assert!(csv.lines().any(|l| l.starts_with("coefficient,,x,")));
/// ```
pub fn csv(r: &AnalysisResult) -> String {
    if !has_sections(r) {
        return csv_line(r);
    }
    let mut lines = vec![model_line(r)];
    for c in r.coefficients.iter().flatten() {
        let mut l = Line::new("coefficient", "", &c.name, r);
        l.num("k", r.k as f64);
        l.num("estimate", c.estimate);
        l.num("se", c.se);
        l.opt("stat", c.zval.or(c.tval));
        l.opt("df", r.df);
        l.num("ci_lower", c.ci_lower);
        l.num("ci_upper", c.ci_upper);
        l.num("pval", c.pval);
        l.opt("pval_perm", c.pval_perm);
        lines.push(l);
    }
    for g in r.subgroups.iter().flatten() {
        let mut l = Line::new("subgroup", &g.level, "", r);
        summary_cells(&mut l, &g.summary);
        lines.push(l);
    }
    if let (Some(q), Some(df), Some(p)) = (r.q_between, r.q_between_df, r.q_between_pval) {
        let mut l = Line::new("subgroup_difference", "", "Q_between", r);
        l.num("q", q);
        l.num("q_df", df);
        l.num("q_pval", p);
        l.opt(
            "pval_perm",
            r.permutation
                .as_ref()
                .and_then(|p| p.q_between.as_ref())
                .map(|t| t.pval),
        );
        lines.push(l);
    }
    let sections = [
        (
            "leave_one_out",
            r.leave_one_out.as_ref().map(|rows| {
                rows.iter()
                    .map(|x| (x.omitted.as_str(), &x.fit))
                    .collect::<Vec<_>>()
            }),
        ),
        (
            "cumulative",
            r.cumulative.as_ref().map(|rows| {
                rows.iter()
                    .map(|x| (x.added.as_str(), &x.fit))
                    .collect::<Vec<_>>()
            }),
        ),
    ];
    for (part, rows) in sections {
        for (label, f) in rows.into_iter().flatten() {
            lines.extend(refit_lines(part, label, f, r));
        }
    }
    for i in r.influence.iter().flatten() {
        let dfbetas = i.dfbetas_all.clone().unwrap_or_else(|| vec![i.dfbetas]);
        let names: Vec<String> = match &r.coefficients {
            Some(cs) => cs.iter().map(|c| c.name.clone()).collect(),
            None => vec!["intrcpt".to_string()],
        };
        for (name, d) in names.iter().zip(dfbetas) {
            let mut l = Line::new("influence", &i.study, name, r);
            l.nums(&[
                ("rstudent", i.rstudent),
                ("dffits", i.dffits),
                ("cook_d", i.cook_d),
                ("cov_r", i.cov_r),
                ("tau2_del", i.tau2_del),
                ("qe_del", i.qe_del),
                ("hat", i.hat),
                ("weight", i.weight),
            ]);
            // The DFBETAS of the coefficient named in `term`.
            l.num("dfbetas", d);
            l.text("influential", if i.influential { "true" } else { "false" });
            if let Some(e) = &i.error {
                l.text("error", e);
            }
            lines.push(l);
        }
    }
    if let Some(b) = &r.bootstrap {
        let mut stats: Vec<(String, &crate::result::BootStatResult)> = match &b.coefficients {
            Some(cs) => cs.iter().map(|c| (c.name.clone(), &c.stat)).collect(),
            None => vec![("estimate".to_string(), &b.estimate)],
        };
        stats.extend([
            ("tau2".to_string(), &b.tau2),
            ("i2".to_string(), &b.i2),
            ("h2".to_string(), &b.h2),
        ]);
        for (name, s) in stats {
            let mut l = Line::new("bootstrap", &b.kind, &name, r);
            l.num("estimate", s.observed);
            l.num("se", s.se);
            l.num("ci_lower", s.percentile.lower);
            l.num("ci_upper", s.percentile.upper);
            if let Some(bca) = &s.bca {
                l.num("bca_lower", bca.lower);
                l.num("bca_upper", bca.upper);
            }
            lines.push(l);
        }
    }
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS).expect("writing to memory");
    for l in lines {
        w.write_record(&l.0).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("csv writes UTF-8")
}

/// The model line: the pooled estimate of a model without moderators; with
/// moderators only what belongs to the whole model (residual
/// heterogeneity, the omnibus test), the estimates being the coefficients'.
fn model_line(r: &AnalysisResult) -> Line {
    let mut l = Line::new("model", "", "", r);
    summary_cells(&mut l, &r.summary);
    if r.coefficients.is_some() {
        for c in [
            "estimate", "se", "stat", "pval", "ci_lower", "ci_upper", "pi_lower", "pi_upper",
        ] {
            l.text(c, "");
        }
    }
    l.opt("pval_perm", r.pval_perm);
    l.opt("qm", r.qm);
    l.opt("qm_df", r.qm_df);
    l.opt("qm_pval", r.qm_pval);
    l.opt("tau2_ci_lower", r.tau2_ci_lower);
    l.opt("tau2_ci_upper", r.tau2_ci_upper);
    l.opt("i2_ci_lower", r.i2_ci_lower);
    l.opt("i2_ci_upper", r.i2_ci_upper);
    l
}

fn summary_cells(l: &mut Line, s: &crate::result::Summary) {
    l.num("k", s.k as f64);
    l.opt("df", s.df);
    l.nums(&[
        ("estimate", s.estimate),
        ("se", s.se),
        ("stat", s.stat),
        ("ci_lower", s.ci_lower),
        ("ci_upper", s.ci_upper),
        ("pval", s.pval),
        ("tau2", s.tau2),
        ("i2", s.i2),
        ("h2", s.h2),
        ("q", s.q),
        ("q_df", s.q_df),
        ("q_pval", s.q_pval),
        ("pi_lower", s.pi_lower),
        ("pi_upper", s.pi_upper),
    ]);
}

/// The lines of one refit (leave-one-out, cumulative): one line, or with
/// moderators one per coefficient, each with the refit's heterogeneity.
fn refit_lines(part: &str, label: &str, f: &SummaryFields, r: &AnalysisResult) -> Vec<Line> {
    let Some(names) = r.coefficients.as_ref() else {
        let mut l = Line::new(part, label, "", r);
        l.fields(f);
        return vec![l];
    };
    names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let mut l = Line::new(part, label, &name.name, r);
            l.fields(f);
            for c in ["estimate", "se", "stat", "pval", "ci_lower", "ci_upper"] {
                l.text(c, "");
            }
            if let Some(c) = f.coefficients.as_ref().and_then(|cs| cs.get(j)) {
                l.num("estimate", c.estimate);
                l.num("se", c.se);
                l.opt("stat", c.zval.or(c.tval));
                l.num("pval", c.pval);
                l.num("ci_lower", c.ci_lower);
                l.num("ci_upper", c.ci_upper);
            }
            l
        })
        .collect()
}
