//! Structural tests of the diagnostic plots, the GOSH plot and the funnel
//! plot's axes and legend (no pixel snapshots): each SVG parses, every study
//! is present (as a point with its name as tooltip), no two texts overlap and
//! none leaves the figure, and points sit where their formula puts them.
//! The PNGs are rendered and, with `REMA_WRITE_FIGURES=1`, written to
//! docs/figures/.

mod common;

use common::*;
use rema_data::{analyze, AnalysisSpec, Table};
use rema_plot::adapt::diagnostic;
use rema_plot::{funnel_svg, gosh_svg, scatter_svg, FunnelData, GoshBins, GoshData, ScatterData};

fn parse(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).expect("SVG is well-formed XML")
}

/// Parses `svg`, asserts a clean layout and that every study of `labels`
/// has a point whose tooltip is its label; returns the points' centres.
fn check(name: &str, svg: &str, labels: &[String]) -> Vec<(String, f64, f64)> {
    let doc = parse(svg);
    let boxes = texts(&doc);
    let ov = overlaps(&boxes);
    assert!(ov.is_empty(), "{name}: overlapping texts: {ov:?}");
    let out = outside(&doc, &boxes);
    assert!(out.is_empty(), "{name}: texts outside the figure: {out:?}");
    let points: Vec<(String, f64, f64)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle") && n.attribute("class") == Some("study-point"))
        .map(|n| {
            let tip = n
                .children()
                .find(|c| c.has_tag_name("title"))
                .and_then(|t| t.text())
                .unwrap_or("")
                .to_string();
            let f = |a| n.attribute(a).unwrap().parse::<f64>().unwrap();
            (tip, f("cx"), f("cy"))
        })
        .collect();
    for l in labels {
        assert!(
            points.iter().any(|p| &p.0 == l),
            "{name}: study {l} missing"
        );
    }
    assert_eq!(points.len(), labels.len(), "{name}");
    // Every label drawn beside a point names a study.
    for b in boxes.iter().filter(|b| b.class == "point-label") {
        assert!(labels.contains(&b.text), "{name}: stray label {}", b.text);
    }
    points
}

fn analysed(spec: impl Fn(&mut AnalysisSpec)) -> (Table, rema_data::AnalysisResult) {
    let bytes = std::fs::read(repo().join("examples/bcg/bcg.csv")).unwrap();
    let t = Table::from_bytes(&bytes, "examples/bcg/bcg.csv").unwrap();
    let mut s = AnalysisSpec::new(rema_core::Measure::Rr);
    spec(&mut s);
    let r = analyze(&t, &s, "x").unwrap();
    (t, r)
}

fn labels(r: &rema_data::AnalysisResult) -> Vec<String> {
    r.studies.iter().map(|s| s.study.clone()).collect()
}

/// Writes the PNG of `svg` when asked (REMA_WRITE_FIGURES) and checks it
/// renders.
fn render(name: &str, svg: &str) {
    let png = rema_plot::svg_to_png(svg, 1.0).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}");
    if std::env::var_os("REMA_WRITE_FIGURES").is_some() {
        std::fs::write(out_dir().join(format!("{name}.png")), &png).unwrap();
    }
}

/// The x of a value on the chart's axis, from the first and last tick label
/// under the panel (linear axes).
fn x_axis(svg: &str) -> impl Fn(f64) -> f64 {
    let doc = parse(svg);
    let boxes = texts(&doc);
    let bottom = boxes
        .iter()
        .filter(|b| b.class == "tick-label")
        .map(|b| b.y)
        .fold(f64::MIN, f64::max);
    let ticks: Vec<(f64, f64)> = boxes
        .iter()
        .filter(|b| b.class == "tick-label" && (b.y - bottom).abs() < 1e-9)
        .map(|b| (b.x, b.text.parse::<f64>().unwrap()))
        .collect();
    let (a, b) = (ticks[0], ticks[ticks.len() - 1]);
    move |v| a.0 + (v - a.1) * (b.0 - a.0) / (b.1 - a.1)
}

#[test]
fn baujat_points_are_residual_and_shift() {
    let (_, r) = analysed(|s| s.leave_one_out = true);
    let d = diagnostic::baujat(&r).unwrap();
    let svg = scatter_svg(&d.chart());
    let pts = check("baujat", &svg, &labels(&r));
    let x = x_axis(&svg);
    let (xs, ys) = d.coordinates();
    for ((_, cx, _), want) in pts.iter().zip(&xs) {
        assert!((cx - x(*want)).abs() < 0.05);
    }
    assert!(ys.iter().all(|y| *y >= 0.0));
    // Aronson 1948: (y - b)^2 / (v + tau2), from metafor 3.8-1's REML fit.
    let want =
        (-0.889311333920205f64 - -0.714532348365).powi(2) / (0.325584765003961 + 0.3132433260);
    assert!((xs[0] - want).abs() < 1e-6, "{} vs {want}", xs[0]);
    render("baujat-bcg", &svg);
    // Without the leave-one-out section the adapter says what it needs.
    let (_, plain) = analysed(|_| {});
    assert!(diagnostic::baujat(&plain)
        .unwrap_err()
        .contains("leave_one_out"));
}

#[test]
fn radial_qq_labbe_bubble_lay_out_cleanly() {
    let (t, r) = analysed(|s| s.influence = true);
    let radial = diagnostic::radial(&r);
    let svg = scatter_svg(&radial.chart());
    let pts = check("radial", &svg, &labels(&r));
    let x = x_axis(&svg);
    let (xs, _) = radial.coordinates();
    for ((_, cx, _), want) in pts.iter().zip(&xs) {
        assert!((cx - x(*want)).abs() < 0.05);
    }
    render("radial-bcg", &svg);

    let profile = diagnostic::profile(&r).unwrap();
    // The REML profile peaks at the estimate (metafor 3.8-1: logLik of
    // rma(yi, vi, tau2 = 0.3132433260) = -12.202371415494).
    let best = profile
        .points
        .iter()
        .copied()
        .fold(
            (0.0, f64::NEG_INFINITY),
            |a, p| if p.1 > a.1 { p } else { a },
        );
    assert!((best.0 - r.tau2).abs() <= 0.02 * r.tau2, "{best:?}");
    assert!((profile.points[50].1 - -12.202371415494).abs() < 1e-6);
    let svg = scatter_svg(&profile.chart());
    assert!(overlaps(&texts(&parse(&svg))).is_empty());
    render("profile-bcg", &svg);

    let qq = diagnostic::qq(&r).unwrap();
    let svg = scatter_svg(&qq.chart());
    check("qq", &svg, &labels(&r));
    render("qq-bcg", &svg);

    let labbe = diagnostic::labbe(&t, &r).unwrap();
    // Aronson 1948: 4/123 vaccinated, 11/139 controls.
    assert!((labbe.treatment[0] - 4.0 / 123.0).abs() < 1e-15);
    assert!((labbe.control[0] - 11.0 / 139.0).abs() < 1e-15);
    let svg = scatter_svg(&labbe.chart());
    check("labbe", &svg, &labels(&r));
    render("labbe-bcg", &svg);

    let (t, r) = analysed(|s| s.mods = vec!["ablat".into()]);
    let bubble = diagnostic::bubble(&t, &r, "ablat").unwrap();
    // The fitted line at ablat = 13 is metafor 3.8-1's
    // predict(rma(yi, vi, mods = ~ ablat), newmods = 13) (REML).
    let f0 = bubble.line[0];
    assert_eq!(f0.x, 13.0);
    for (got, want) in [
        (f0.pred, -0.1268572977),
        (f0.ci_lower, -0.4587525050),
        (f0.ci_upper, 0.2050379096),
    ] {
        assert!((got - want).abs() < 1e-4 * want.abs(), "{f0:?}");
    }
    assert!(bubble
        .line
        .iter()
        .all(|f| f.ci_lower < f.pred && f.pred < f.ci_upper));
    let svg = scatter_svg(&bubble.chart());
    check("bubble", &svg, &labels(&r));
    render("bubble-bcg", &svg);
}

#[test]
fn refit_forests_have_a_row_per_step() {
    let (_, r) = analysed(|s| {
        s.leave_one_out = true;
        s.cumulative = true;
    });
    for (name, d) in [
        (
            "leave-one-out",
            diagnostic::refits_forest(&r, diagnostic::Refits::LeaveOneOut).unwrap(),
        ),
        (
            "cumulative",
            diagnostic::refits_forest(&r, diagnostic::Refits::Cumulative).unwrap(),
        ),
    ] {
        assert_eq!(d.rows.len(), 13, "{name}");
        let svg = rema_plot::forest_svg(&d);
        let doc = parse(&svg);
        let boxes = texts(&doc);
        assert!(overlaps(&boxes).is_empty(), "{name}");
        for l in labels(&r) {
            assert!(
                boxes
                    .iter()
                    .any(|b| b.text.ends_with(&l)
                        || b.title.as_deref().is_some_and(|t| t.ends_with(&l))),
                "{name}: {l} missing"
            );
        }
        render(&format!("{name}-bcg"), &svg);
    }
}

#[test]
fn gosh_cells_count_every_subset() {
    let (_, r) = analysed(|_| {});
    let yi: Vec<f64> = r.studies.iter().map(|s| s.yi).collect();
    let lo = yi.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = yi.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut bins = GoshBins::new(3, (lo, hi));
    // Every subset of the first three studies, their estimate a fixed mix.
    for mask in 1u32..8 {
        let members: Vec<usize> = (0..3).filter(|j| mask >> j & 1 == 1).collect();
        let e = members.iter().map(|j| yi[*j]).sum::<f64>() / members.len() as f64;
        bins.add(e, 20.0 * members.len() as f64, &members);
    }
    bins.add(f64::NAN, f64::NAN, &[0]);
    assert_eq!(bins.count, 7);
    assert_eq!(bins.all.iter().sum::<u32>(), 7);
    assert_eq!(bins.with[1].iter().sum::<u32>(), 4);
    let mut d = GoshData::new(bins, labels(&r)[..3].to_vec());
    d.highlight = Some(1);
    d.ratio = true;
    let svg = gosh_svg(&d);
    let doc = parse(&svg);
    assert!(overlaps(&texts(&doc)).is_empty());
    let cells = |c: &str| {
        doc.descendants()
            .filter(|n| n.attribute("class") == Some(c))
            .count()
    };
    assert!(cells("gosh-with") >= 1 && cells("gosh-without") >= 1);
    assert!(cells("gosh-with") + cells("gosh-without") <= 7);
    let legend: Vec<String> = texts(&doc)
        .into_iter()
        .filter(|b| b.class == "legend")
        .map(|b| b.text)
        .collect();
    let name = &labels(&r)[1];
    assert!(
        legend.contains(&format!("subsets with {name} (4)")),
        "{legend:?}"
    );
    assert!(
        legend.contains(&format!("subsets without {name} (3)")),
        "{legend:?}"
    );
    render("gosh-small", &svg);
}

#[test]
fn funnel_se_axis_ends_at_the_tick_above_the_largest_se() {
    let mut f = FunnelData::new(vec![-0.5, 0.1, 0.4], vec![0.3, 1.98, 0.7], 0.0);
    let doc_text = funnel_svg(&f);
    let doc = parse(&doc_text);
    let y_ticks: Vec<f64> = texts(&doc)
        .iter()
        .filter(|b| b.class == "tick-label" && b.x < 60.0)
        .filter_map(|b| b.text.parse().ok())
        .collect();
    assert_eq!(
        y_ticks.iter().copied().fold(0.0, f64::max),
        2.0,
        "{y_ticks:?}"
    );
    // Trim and fill: both lines in the legend; contours on the adjusted estimate.
    f.filled = vec![(0.9, 0.5)];
    f.adjusted_estimate = Some(0.2);
    f.contours_on_adjusted = true;
    let svg = funnel_svg(&f);
    let doc = parse(&svg);
    let boxes = texts(&doc);
    assert!(overlaps(&boxes).is_empty());
    let legend: Vec<&str> = boxes
        .iter()
        .filter(|b| b.class == "legend")
        .map(|b| b.text.as_str())
        .collect();
    assert!(legend.contains(&"estimate") && legend.contains(&"adjusted estimate (trim and fill)"));
    let adjusted_x = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("adjusted-line"))
        .and_then(|n| n.attribute("x1"))
        .unwrap()
        .parse::<f64>()
        .unwrap();
    let apex_x = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("contour"))
        .and_then(|n| n.attribute("points"))
        .and_then(|p| p.split(' ').nth(1))
        .and_then(|p| p.split(',').next())
        .unwrap()
        .parse::<f64>()
        .unwrap();
    assert!(
        (adjusted_x - apex_x).abs() < 0.02,
        "{adjusted_x} vs {apex_x}"
    );
}

#[test]
fn scatter_drops_labels_that_would_overlap() {
    let mut d = ScatterData::new("x", "y");
    let points = (0..40)
        .map(|i| {
            rema_plot::scatter::Point::new(f64::from(i % 4) * 0.01, f64::from(i) * 0.001)
                .label(&format!("study number {i}"))
        })
        .collect();
    d.layers.push(rema_plot::scatter::Layer::points(
        "study-point",
        "#000",
        points,
    ));
    let names: Vec<String> = (0..40).map(|i| format!("study number {i}")).collect();
    let svg = scatter_svg(&d);
    check("crowded", &svg, &names);
    let shown = texts(&parse(&svg))
        .iter()
        .filter(|b| b.class == "point-label")
        .count();
    assert!((1..40).contains(&shown), "{shown}");
}
