//! Shared by the figure tests: the example figures (BCG with subgroups by
//! allocation, the BKP selection flow, risk of bias and characteristics, a
//! 300-study synthetic set) and an SVG inspector that recovers every text's
//! box from the bundled font's metrics.
#![allow(dead_code)]

use std::path::PathBuf;

use rema_core::{fit, FitOptions, Method};
use rema_data::{analyze, AnalysisResult, AnalysisSpec, Table};
use rema_plot::{
    adapt, EffectTest, FlowCount, FlowCounts, ForestData, Heterogeneity, Judgement, RiskOfBias,
    SubgroupTest, TableData,
};
use statrs::distribution::{ChiSquared, ContinuousCDF};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn table(rel: &str) -> Table {
    Table::read_path(&repo().join(rel)).expect("example table reads")
}

pub fn col(t: &Table, name: &str) -> Vec<String> {
    let j = t.column(name).unwrap_or_else(|| panic!("column {name}"));
    t.rows.iter().map(|r| r.cells[j].clone()).collect()
}

/// The BCG trials pooled as RR by REML (metafor's dat.bcg).
pub fn bcg_result() -> AnalysisResult {
    let bytes = std::fs::read(repo().join("examples/bcg/bcg.csv")).unwrap();
    let t = Table::from_bytes(&bytes, "examples/bcg/bcg.csv").unwrap();
    analyze(
        &t,
        &AnalysisSpec::new(rema_core::Measure::Rr),
        &rema_data::sha256_hex(&bytes),
    )
    .expect("BCG analyses")
}

/// metafor 3.8-1, `rma(yi, vi, method = "REML")` on `escalc("RR", ...)` of
/// dat.bcg, and the same per `alloc` subset: (estimate, ci.lb, ci.ub) on the
/// log scale (Rscript, tests/golden-free: printed with 12 decimals).
pub const METAFOR_BCG: (f64, f64, f64) = (-0.714532348365, -1.066897675740, -0.362167020990);
/// metafor: `rma(b, sei = se, method = "FE")` over the three subgroup fits: QE, QEp.
pub const METAFOR_BCG_QBETWEEN: (f64, f64) = (1.8614461412, 0.3942685233);
pub const METAFOR_BCG_PI: (f64, f64) = (-1.866692346607, 0.437627649877);
pub const METAFOR_BCG_ALLOC: [(&str, f64, f64, f64); 3] = [
    ("random", -0.970964475758, -1.511827712045, -0.430101239472),
    (
        "alternate",
        -0.540792961849,
        -1.092721981521,
        0.011136057823,
    ),
    (
        "systematic",
        -0.424207342954,
        -1.129295345802,
        0.280880659893,
    ),
];

/// BCG as a RevMan-style forest with subgroups by allocation, each level
/// fitted by REML with rema_core::fit (the `--by` feature lives elsewhere).
pub fn bcg_forest_by_alloc() -> ForestData {
    let res = bcg_result();
    let t = table("examples/bcg/bcg.csv");
    let alloc = col(&t, "alloc");
    let (ai, bi, ci, di) = (col(&t, "ai"), col(&t, "bi"), col(&t, "ci"), col(&t, "di"));
    let n = |a: &str, b: &str| a.parse::<u64>().unwrap() + b.parse::<u64>().unwrap();
    let mut d = ForestData::from(&res);
    for (i, row) in d.rows.iter_mut().enumerate() {
        row.data = vec![
            format!("{}/{}", ai[i], n(&ai[i], &bi[i])),
            format!("{}/{}", ci[i], n(&ci[i], &di[i])),
        ];
    }
    d.data_headers = vec![
        "Vaccinated\nevents/total".into(),
        "Control\nevents/total".into(),
    ];
    let tr = adapt::DisplayTransform::for_result(&res);
    let labels: Vec<String> = res.studies.iter().map(|s| s.study.clone()).collect();
    let level_of = |label: &str| alloc[labels.iter().position(|l| l == label).unwrap()].clone();
    let mut groups = adapt::group_rows(std::mem::take(&mut d.rows), level_of);
    let opts = FitOptions::new(Method::Reml);
    let mut ests = Vec::new();
    for g in &mut groups {
        let idx: Vec<usize> = g
            .rows
            .iter()
            .map(|r| labels.iter().position(|l| *l == r.label).unwrap())
            .collect();
        let yi: Vec<f64> = idx.iter().map(|&i| res.studies[i].yi).collect();
        let vi: Vec<f64> = idx.iter().map(|&i| res.studies[i].vi).collect();
        let f = fit(&yi, &vi, &opts).expect("subgroup fits");
        let e = f.estimate();
        let p = f.prediction();
        let w: f64 = g.rows.iter().filter_map(|r| r.weight).sum();
        g.subtotal = Some(tr.pooled(
            "Subtotal (95% CI)",
            e.estimate,
            e.ci_lower,
            e.ci_upper,
            Some(w),
            Some((p.pi_lower, p.pi_upper)),
        ));
        g.heterogeneity = Some(Heterogeneity {
            tau2: Some(f.tau2),
            q: f.q,
            df: f.q_df,
            pval: f.q_pval,
            i2: f.i2,
        });
        g.test = Some(EffectTest {
            statistic: "z".into(),
            value: e.stat,
            df: None,
            pval: e.pval,
        });
        ests.push((e.estimate, e.se));
    }
    // Test for subgroup differences: Q between the subgroup estimates.
    let w: Vec<f64> = ests.iter().map(|(_, se)| 1.0 / (se * se)).collect();
    let mean = ests.iter().zip(&w).map(|((e, _), w)| e * w).sum::<f64>() / w.iter().sum::<f64>();
    let q: f64 = ests
        .iter()
        .zip(&w)
        .map(|((e, _), w)| w * (e - mean).powi(2))
        .sum();
    let df = (ests.len() - 1) as f64;
    d.footer.subgroup_test = Some(SubgroupTest {
        q,
        df,
        pval: 1.0 - ChiSquared::new(df).unwrap().cdf(q),
    });
    d.subgroups = groups;
    d.title = Some("BCG vaccine and tuberculosis: risk ratio by allocation".into());
    d.favours = Some(("Favours vaccine".into(), "Favours control".into()));
    d
}

/// The BKP selection flow (examples/bkp/flow.csv, the paper's Figure 1).
pub fn bkp_flow() -> FlowCounts {
    let t = table("examples/bkp/flow.csv");
    let step = col(&t, "step");
    let count = col(&t, "count");
    let note = col(&t, "note");
    let get = |prefix: &str| {
        let i = step.iter().position(|s| s.starts_with(prefix)).unwrap();
        (count[i].parse::<u64>().unwrap(), note[i].clone())
    };
    let (identified, sources) = get("records identified");
    let (meeting, refs) = get("publications meeting");
    let (dup, dup_note) = get("excluded for data duplication");
    let (hand, _) = get("additional studies");
    let (included, inc_note) = get("studies included");
    let mut c = FlowCounts {
        identified: Some(FlowCount::with_note(identified, &format!("{sources}; after removing references without abstract and duplicates across databases"))),
        other_sources: Some(FlowCount::new(hand)),
        screened: Some(FlowCount::new(identified)),
        assessed: Some(FlowCount::with_note(meeting, &format!("publications meeting the inclusion criteria ({refs})"))),
        excluded_reasons: vec![(format!("data duplication: {dup_note}"), dup)],
        included: Some(FlowCount::with_note(included, &inc_note)),
        ..FlowCounts::default()
    };
    c.labels.push((
        "other_sources".into(),
        "Additional studies from hand searching".into(),
    ));
    c.labels
        .push(("assessed".into(), "Publications assessed".into()));
    c
}

fn humanise(s: &str) -> String {
    let s = s
        .replace("pct", "%")
        .replace("followup", "follow-up")
        .replace("bkp", "BKP")
        .replace('_', " ");
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn bkp_study_names() -> Vec<(String, String)> {
    let t = table("examples/bkp/studies.csv");
    let refs = col(&t, "ref");
    let a = col(&t, "first_author");
    let y = col(&t, "year");
    refs.iter()
        .zip(a.iter().zip(&y))
        .map(|(r, (a, y))| (r.clone(), format!("{a} {y} [{r}]")))
        .collect()
}

/// The BKP quality items (examples/bkp/quality.csv, the paper's Table 2).
pub fn bkp_rob() -> RiskOfBias {
    let t = table("examples/bkp/quality.csv");
    let names = bkp_study_names();
    let domains: Vec<String> = t.headers[1..].iter().map(|h| humanise(h)).collect();
    RiskOfBias {
        title: Some("Balloon kyphoplasty: methodological quality (Table 2)".into()),
        studies: t
            .rows
            .iter()
            .map(|r| {
                names
                    .iter()
                    .find(|(k, _)| *k == r.cells[0])
                    .map(|(_, n)| n.clone())
                    .unwrap_or_else(|| r.cells[0].clone())
            })
            .collect(),
        domains,
        judgements: t
            .rows
            .iter()
            .map(|r| r.cells[1..].iter().map(|c| Judgement::parse(c)).collect())
            .collect(),
    }
}

/// The BKP study characteristics (examples/bkp/studies.csv, Table 1).
pub fn bkp_characteristics() -> TableData {
    let t = table("examples/bkp/studies.csv");
    let keep = [
        "first_author",
        "year",
        "country",
        "design",
        "etiology",
        "bkp_patients",
        "bkp_levels",
        "followup_months",
        "inclusion",
    ];
    let idx: Vec<usize> = keep.iter().map(|k| t.column(k).unwrap()).collect();
    let mut td = TableData::new(
        keep.iter().map(|k| humanise(k)).collect(),
        t.rows
            .iter()
            .map(|r| idx.iter().map(|&j| r.cells[j].clone()).collect())
            .collect(),
    );
    td.title = Some("Characteristics of the included studies".into());
    td
}

/// A deterministic synthetic data set of `k` studies with long labels.
pub fn synthetic(k: usize) -> AnalysisResult {
    let mut state: u64 = 0x9e3779b97f4a7c15;
    let mut u = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64)
    };
    let mut csv = String::from("study,yi,vi\n");
    for i in 0..k {
        let vi = 0.01 + 0.2 * u();
        // Box-Muller normals: true effects N(0.3, 0.2^2), sampling error N(0, vi).
        let mut normal =
            || (-2.0 * (1.0 - u()).ln()).sqrt() * (2.0 * std::f64::consts::PI * u()).cos();
        let yi = 0.3 + 0.2 * normal() + vi.sqrt() * normal();
        let label = if i % 37 == 5 {
            format!("Study {:03}: a deliberately very long label from a multicentre trial that must be cut", i + 1)
        } else {
            format!("Study {:03} et al.", i + 1)
        };
        csv += &format!("\"{label}\",{yi:.5},{vi:.5}\n");
    }
    let t = Table::from_str(&csv, "synthetic").unwrap();
    analyze(&t, &AnalysisSpec::new(rema_core::Measure::Gen), "synthetic")
        .expect("synthetic analyses")
}

/// One `<text>` of an SVG with its box.
#[derive(Debug, Clone)]
pub struct TextBox {
    pub text: String,
    pub class: String,
    pub title: Option<String>,
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
    pub x: f64,
    pub y: f64,
}

fn attr(n: roxmltree::Node<'_, '_>, name: &str) -> f64 {
    n.attribute(name)
        .unwrap_or_else(|| panic!("<{}> lacks {name}", n.tag_name().name()))
        .parse()
        .unwrap()
}

/// Every text of `svg` with its box from the bundled font's metrics.
pub fn texts(doc: &roxmltree::Document<'_>) -> Vec<TextBox> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let text: String = n.text().unwrap_or("").to_string();
            let size = attr(n, "font-size");
            let bold = n.attribute("font-weight") == Some("bold");
            let w = rema_plot::font::text_width(&text, size, bold);
            let x = attr(n, "x");
            let y = attr(n, "y");
            let x0 = match n.attribute("text-anchor").expect("anchor") {
                "middle" => x - w / 2.0,
                "end" => x - w,
                _ => x,
            };
            let title = n
                .parent()
                .and_then(|p| p.children().find(|c| c.has_tag_name("title")))
                .and_then(|t| t.text())
                .map(str::to_string);
            TextBox {
                text,
                class: n.attribute("class").unwrap_or("").to_string(),
                title,
                x0,
                y0: y - rema_plot::font::ascent(size),
                x1: x0 + w,
                y1: y + rema_plot::font::descent(size),
                x,
                y,
            }
        })
        .collect()
}

/// Pairs of texts whose boxes overlap (by more than 0.5 px each way).
pub fn overlaps(boxes: &[TextBox]) -> Vec<(String, String)> {
    let mut sorted: Vec<&TextBox> = boxes.iter().collect();
    sorted.sort_by(|a, b| a.y0.total_cmp(&b.y0));
    let mut out = Vec::new();
    for (i, a) in sorted.iter().enumerate() {
        for b in &sorted[i + 1..] {
            if b.y0 >= a.y1 - 0.5 {
                break;
            }
            let dx = a.x1.min(b.x1) - a.x0.max(b.x0);
            let dy = a.y1.min(b.y1) - a.y0.max(b.y0);
            if dx > 0.5 && dy > 0.5 {
                out.push((a.text.clone(), b.text.clone()));
            }
        }
    }
    out
}

/// Texts that stick out of the SVG's width.
pub fn outside(doc: &roxmltree::Document<'_>, boxes: &[TextBox]) -> Vec<String> {
    let w: f64 = doc
        .root_element()
        .attribute("width")
        .unwrap()
        .parse()
        .unwrap();
    let h: f64 = doc
        .root_element()
        .attribute("height")
        .unwrap()
        .parse()
        .unwrap();
    boxes
        .iter()
        .filter(|b| b.x0 < -0.5 || b.x1 > w + 0.5 || b.y0 < -0.5 || b.y1 > h + 0.5)
        .map(|b| b.text.clone())
        .collect()
}

pub fn out_dir() -> PathBuf {
    if std::env::var_os("REMA_WRITE_FIGURES").is_some() {
        repo().join("docs/figures")
    } else {
        let d = std::env::temp_dir().join(format!("rema-plot-figures-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
