//! Structural tests of the figures (no pixel snapshots): each SVG parses as
//! XML, every study label is present, no two texts overlap (boxes from the
//! bundled font's metrics), texts stay inside the figure, and squares,
//! diamonds and points sit where the axis puts the known estimates (metafor
//! 3.8-1 values for BCG). Also renders the example PNGs; with
//! `REMA_WRITE_FIGURES=1` they are written to docs/figures/.

mod common;

use common::*;
use rema_plot::{
    flow_svg, forest_svg, funnel_svg, risk_of_bias_svg, svg_to_png, table_svg, ForestData,
    FunnelData, Judgement,
};

fn parse(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).expect("SVG is well-formed XML")
}

/// Asserts that no text of the figure overlaps another or leaves the figure;
/// returns the parsed document.
fn assert_clean_layout<'a>(name: &str, svg: &'a str) -> roxmltree::Document<'a> {
    let doc = parse(svg);
    let boxes = texts(&doc);
    let ov = overlaps(&boxes);
    assert!(
        ov.is_empty(),
        "{name}: overlapping texts: {:?}",
        &ov[..ov.len().min(10)]
    );
    let out = outside(&doc, &boxes);
    assert!(out.is_empty(), "{name}: texts outside the figure: {out:?}");
    doc
}

/// Every text of `doc`, joined by `sep`.
fn joined_texts(doc: &roxmltree::Document<'_>, sep: &str) -> String {
    texts(doc)
        .iter()
        .map(|b| b.text.clone())
        .collect::<Vec<_>>()
        .join(sep)
}

/// Every study of `res` has its label among the texts, shown or (when cut)
/// as the title.
fn assert_every_study_label(boxes: &[TextBox], res: &rema_data::AnalysisResult) {
    for s in &res.studies {
        assert!(
            boxes
                .iter()
                .any(|b| b.text == s.study || b.title.as_deref() == Some(&s.study)),
            "label {} missing",
            s.study
        );
    }
}

/// (x, value) of the tick labels; the axis map x = a + b·t(value).
fn axis_map(doc: &roxmltree::Document<'_>, log: bool) -> impl Fn(f64) -> f64 {
    let ticks: Vec<(f64, f64)> = texts(doc)
        .into_iter()
        .filter(|t| t.class == "tick-label")
        .map(|t| (t.x, t.text.parse::<f64>().unwrap()))
        .collect();
    assert!(ticks.len() >= 2, "need two tick labels, got {ticks:?}");
    let tr = move |v: f64| if log { v.ln() } else { v };
    let (x0, v0) = ticks[0];
    let (x1, v1) = ticks[ticks.len() - 1];
    let b = (x1 - x0) / (tr(v1) - tr(v0));
    move |v: f64| x0 + b * (tr(v) - tr(v0))
}

/// The elements of `doc` of class `class`, in document order.
fn by_class<'a, 'i>(doc: &'a roxmltree::Document<'i>, class: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .collect()
}

fn num_attr(n: roxmltree::Node<'_, '_>, a: &str) -> f64 {
    n.attribute(a).unwrap().parse().unwrap()
}

fn polygon_points(n: roxmltree::Node<'_, '_>) -> Vec<(f64, f64)> {
    n.attribute("points")
        .unwrap()
        .split(' ')
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

#[test]
fn bcg_forest_with_subgroups_is_where_metafor_puts_it() {
    let d = bcg_forest_by_alloc();
    let svg = forest_svg(&d);
    let doc = assert_clean_layout("BCG forest", &svg);
    let boxes = texts(&doc);
    // Every study label, every subgroup and the subgroup test are there.
    let res = bcg_result();
    assert_every_study_label(&boxes, &res);
    for (level, ..) in METAFOR_BCG_ALLOC {
        assert!(boxes
            .iter()
            .any(|b| b.class == "subgroup-label" && b.text == level));
    }
    assert!(boxes
        .iter()
        .any(|b| b.text == "Test for subgroup differences: Q = 1.86, df = 2 (p = 0.394)"));
    let qb = d.footer.subgroup_test.unwrap();
    assert!(
        (qb.q - METAFOR_BCG_QBETWEEN.0).abs() < 1e-4 * METAFOR_BCG_QBETWEEN.0,
        "Q between {}",
        qb.q
    );
    assert!((qb.pval - METAFOR_BCG_QBETWEEN.1).abs() < 1e-4 * METAFOR_BCG_QBETWEEN.1);
    assert_eq!(
        boxes
            .iter()
            .filter(|b| b.text.starts_with("Heterogeneity: τ² = "))
            .count(),
        4
    );
    assert!(boxes.iter().any(|b| b.text == "Favours vaccine"));
    // The x of a value, read off the tick labels (log axis for RR).
    let x_of = axis_map(&doc, true);
    // Squares at exp(yi), in study order within subgroups.
    let squares: Vec<_> = by_class(&doc, "study-square");
    assert_eq!(squares.len(), 13);
    let rows: Vec<_> = d.subgroups.iter().flat_map(|g| g.rows.iter()).collect();
    for (sq, row) in squares.iter().zip(&rows) {
        let cx = num_attr(*sq, "x") + num_attr(*sq, "width") / 2.0;
        assert!(
            (cx - x_of(row.estimate)).abs() < 0.05,
            "{}: square at {cx}, expected {}",
            row.label,
            x_of(row.estimate)
        );
    }
    // Bigger weight, bigger square.
    let (i_max, _) = rows
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.weight.partial_cmp(&b.1.weight).unwrap())
        .unwrap();
    let (i_min, _) = rows
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.weight.partial_cmp(&b.1.weight).unwrap())
        .unwrap();
    assert!(num_attr(squares[i_max], "width") > num_attr(squares[i_min], "width"));
    // Diamonds: three subtotals then the total, at metafor's estimates and CIs.
    let diamonds: Vec<_> = by_class(&doc, "diamond");
    assert_eq!(diamonds.len(), 4);
    let mut expected: Vec<(f64, f64, f64)> = METAFOR_BCG_ALLOC
        .iter()
        .map(|(_, e, l, u)| (*e, *l, *u))
        .collect();
    expected.push(METAFOR_BCG);
    for (dm, (e, l, u)) in diamonds.iter().zip(&expected) {
        let p = polygon_points(*dm);
        for (got, want) in [(p[0].0, *l), (p[1].0, *e), (p[2].0, *u), (p[3].0, *e)] {
            assert!(
                (got - x_of(want.exp())).abs() < 0.05,
                "diamond vertex at {got}, expected {}",
                x_of(want.exp())
            );
        }
    }
    // The prediction interval bar of the total spans metafor's PI.
    let bars: Vec<_> = by_class(&doc, "pi-bar");
    let total_bar = bars.last().unwrap();
    let x0 = num_attr(*total_bar, "x");
    let x1 = x0 + num_attr(*total_bar, "width");
    assert!((x0 - x_of(METAFOR_BCG_PI.0.exp())).abs() < 0.05);
    assert!((x1 - x_of(METAFOR_BCG_PI.1.exp())).abs() < 0.05);
    // The reference line is at RR = 1.
    let rl = by_class(&doc, "ref-line")[0];
    assert!((num_attr(rl, "x1") - x_of(1.0)).abs() < 0.05);
}

#[test]
fn forest_from_an_analysis_shows_the_pooled_result() {
    let res = bcg_result();
    let d = ForestData::from(&res);
    assert_eq!(d.rows.len(), 13);
    let overall = d.overall.as_ref().unwrap();
    assert!((overall.estimate - METAFOR_BCG.0.exp()).abs() < 1e-6 * METAFOR_BCG.0.exp());
    // Row values are ratios: exp of the log-scale effects.
    assert!((d.rows[0].estimate - res.studies[0].yi.exp()).abs() < 1e-12);
    let w: f64 = d.rows.iter().filter_map(|r| r.weight).sum();
    assert!((w - 100.0).abs() < 1e-6);
    let svg = forest_svg(&d);
    assert_clean_layout("BCG forest", &svg);
    assert!(svg.contains("Test for overall effect: z = "));
}

#[test]
fn forest_of_three_studies_and_of_300_lays_out_cleanly() {
    for k in [3usize, 300] {
        let res = synthetic(k);
        let mut d = ForestData::from(&res);
        d.title = Some(format!("Synthetic set of {k} studies"));
        d.favours = Some(("Favours treatment".into(), "Favours control".into()));
        let svg = forest_svg(&d);
        let doc = assert_clean_layout(&format!("{k} studies"), &svg);
        let boxes = texts(&doc);
        assert_every_study_label(&boxes, &res);
        // Long labels are cut visibly, with the full label kept as a title.
        if k == 300 {
            let cut: Vec<_> = boxes.iter().filter(|b| b.text.ends_with('…')).collect();
            assert!(!cut.is_empty());
            assert!(cut
                .iter()
                .all(|b| b.title.as_ref().is_some_and(|t| t.len() > b.text.len())));
        }
        let squares = by_class(&doc, "study-square").len();
        assert_eq!(squares, k);
        // Linear axis for a generic measure: squares at yi.
        let x_of = axis_map(&doc, false);
        let sq = by_class(&doc, "study-square")[0];
        let cx = num_attr(sq, "x") + num_attr(sq, "width") / 2.0;
        assert!((cx - x_of(res.studies[0].yi)).abs() < 0.05);
    }
}

#[test]
fn forest_honours_width_height_and_xlim() {
    let res = bcg_result();
    let mut d = ForestData::from(&res);
    d.options.width = Some(1000.0);
    d.options.height = Some(900.0);
    d.options.xlim = Some((0.2, 2.0));
    let svg = forest_svg(&d);
    let doc = assert_clean_layout("sized", &svg);
    assert_eq!(doc.root_element().attribute("width"), Some("1000"));
    assert_eq!(doc.root_element().attribute("height"), Some("900"));
    // Studies whose CI leaves the limits end in arrows.
    assert!(!by_class(&doc, "arrow").is_empty());
}

#[test]
fn funnel_points_sit_at_effect_and_standard_error() {
    let res = bcg_result();
    let mut f = FunnelData::from(&res);
    f.title = Some("BCG: funnel plot".into());
    let svg = funnel_svg(&f);
    let doc = assert_clean_layout("funnel", &svg);
    let points: Vec<_> = by_class(&doc, "study-point");
    assert_eq!(points.len(), 13);
    assert_eq!(by_class(&doc, "contour").len(), 3);
    // x tick labels show ratios; their positions are linear in log RR.
    let boxes = texts(&doc);
    let xt: Vec<(f64, f64)> = boxes
        .iter()
        .filter(|b| {
            b.class == "tick-label"
                && b.x.to_bits() != 0
                && (b.y
                    - boxes
                        .iter()
                        .filter(|c| c.class == "tick-label")
                        .map(|c| c.y)
                        .fold(f64::MIN, f64::max))
                .abs()
                    < 1e-9
        })
        .map(|b| (b.x, b.text.parse::<f64>().unwrap().ln()))
        .collect();
    assert!(xt.len() >= 2);
    let bx = (xt[1].0 - xt[0].0) / (xt[1].1 - xt[0].1);
    for (p, s) in points.iter().zip(&res.studies) {
        let want = xt[0].0 + bx * (s.yi - xt[0].1);
        assert!((num_attr(*p, "cx") - want).abs() < 0.05);
    }
    // SE grows downwards.
    let by_se = |i: usize| num_attr(points[i], "cy");
    let vi: Vec<f64> = res.studies.iter().map(|s| s.vi).collect();
    let imax = (0..vi.len())
        .max_by(|&a, &b| vi[a].total_cmp(&vi[b]))
        .unwrap();
    let imin = (0..vi.len())
        .min_by(|&a, &b| vi[a].total_cmp(&vi[b]))
        .unwrap();
    assert!(by_se(imax) > by_se(imin));
    // Filled studies are drawn hollow, and the shaded variant draws bands.
    f.filled = vec![(0.4, 0.3), (0.2, 0.5)];
    f.adjusted_estimate = Some(-0.6);
    f.contour_center = Some(0.0);
    let svg = funnel_svg(&f);
    let doc = assert_clean_layout("funnel (filled)", &svg);
    let hollow: Vec<_> = by_class(&doc, "filled-point");
    assert_eq!(hollow.len(), 2);
    assert!(hollow.iter().all(|n| n.attribute("fill") == Some("#fff")));
    assert!(!by_class(&doc, "adjusted-line").is_empty());
}

#[test]
fn bkp_flow_shows_the_papers_counts() {
    let svg = flow_svg(&bkp_flow(), Some("Selection of studies (PRISMA 2020)"));
    let doc = assert_clean_layout("flow", &svg);
    let all = joined_texts(&doc, " ");
    for needle in [
        "(n\u{a0}=\u{a0}208)",
        "(n\u{a0}=\u{a0}11)",
        "(n\u{a0}=\u{a0}4)",
        "(n\u{a0}=\u{a0}7)",
        "(n\u{a0}=\u{a0}0)",
    ] {
        assert!(all.contains(needle), "{needle} missing from {all}");
    }
    // Four main stages joined by three arrows, one side box with an arrow.
    let boxes: Vec<_> = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("rect") && n.attribute("class").is_some_and(|c| c.starts_with("box-"))
        })
        .collect();
    assert_eq!(boxes.len(), 5);
    assert_eq!(by_class(&doc, "flow-arrow").len(), 4);
    // Boxes do not overlap each other.
    let r: Vec<(f64, f64, f64, f64)> = boxes
        .iter()
        .map(|b| {
            let (x, y) = (num_attr(*b, "x"), num_attr(*b, "y"));
            (x, y, x + num_attr(*b, "width"), y + num_attr(*b, "height"))
        })
        .collect();
    for i in 0..r.len() {
        for j in i + 1..r.len() {
            let dx = r[i].2.min(r[j].2) - r[i].0.max(r[j].0);
            let dy = r[i].3.min(r[j].3) - r[i].1.max(r[j].1);
            assert!(!(dx > 0.0 && dy > 0.0), "boxes {i} and {j} overlap");
        }
    }
    // Every text sits inside a box or a phase band (none spills out).
    let texts_in = texts(&doc);
    for t in texts_in.iter().filter(|t| t.class == "box-text") {
        assert!(
            r.iter()
                .any(|b| t.x0 >= b.0 && t.x1 <= b.2 && t.y0 >= b.1 - 0.5 && t.y1 <= b.3 + 0.5),
            "{} spills",
            t.text
        );
    }
}

#[test]
fn bkp_risk_of_bias_has_every_judgement() {
    let rob = bkp_rob();
    assert_eq!(rob.studies.len(), 7);
    assert_eq!(rob.domains.len(), 7);
    let svg = risk_of_bias_svg(&rob);
    let doc = assert_clean_layout("risk of bias", &svg);
    let marks: Vec<_> = by_class(&doc, "judgement");
    // 49 cells and one key entry per judgement used (yes, no, not reported).
    assert_eq!(marks.len(), 49 + 3);
    let count = |j: Judgement| {
        marks
            .iter()
            .filter(|m| m.attribute("data-judgement") == Some(j.label()))
            .count()
    };
    let quality = table("examples/bkp/quality.csv");
    let n_in_csv = |v: &str| {
        quality
            .rows
            .iter()
            .flat_map(|r| r.cells[1..].iter())
            .filter(|c| *c == v)
            .count()
    };
    assert_eq!(count(Judgement::Yes), n_in_csv("yes") + 1);
    assert_eq!(count(Judgement::No), n_in_csv("no") + 1);
    assert_eq!(count(Judgement::NotReported), n_in_csv("not_reported") + 1);
    let all = joined_texts(&doc, "|");
    assert!(all.contains("Lieberman 2003 [25]"));
    assert!(all.contains("D7: Follow-up over 80%"));
}

#[test]
fn characteristics_table_keeps_every_cell() {
    let t = bkp_characteristics();
    let svg = table_svg(&t);
    let doc = assert_clean_layout("characteristics", &svg);
    let all = joined_texts(&doc, " ");
    for row in &t.rows {
        for cell in row {
            for word in cell.split_whitespace() {
                assert!(all.contains(word.trim_end_matches('…')), "{word} missing");
            }
        }
    }
    let html = rema_plot::table_html(&t);
    assert!(html.contains("<td>Pflugmacher</td>"));
}

#[test]
fn example_pngs_render() {
    let dir = out_dir();
    let res300 = synthetic(300);
    let mut d300 = ForestData::from(&res300);
    d300.title = Some("Synthetic set of 300 studies (generic effects, REML)".into());
    d300.favours = Some(("Favours treatment".into(), "Favours control".into()));
    let bcg = bcg_result();
    let mut funnel = FunnelData::from(&bcg);
    funnel.title = Some("BCG: funnel plot with 90/95/99% pseudo-confidence contours".into());
    let figures = [
        ("forest-bcg-by-alloc", forest_svg(&bcg_forest_by_alloc())),
        ("funnel-bcg", funnel_svg(&funnel)),
        (
            "flow-bkp",
            flow_svg(
                &bkp_flow(),
                Some("Balloon kyphoplasty: selection of studies"),
            ),
        ),
        ("rob-bkp", risk_of_bias_svg(&bkp_rob())),
        ("characteristics-bkp", table_svg(&bkp_characteristics())),
        ("forest-synthetic-300", forest_svg(&d300)),
    ];
    for (name, svg) in &figures {
        let png = svg_to_png(svg, 1.0).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}");
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        let doc = parse(svg);
        let sw: f64 = doc
            .root_element()
            .attribute("width")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(f64::from(w), sw.ceil(), "{name}");
        assert!(h > 100, "{name}");
        if *name != "forest-synthetic-300" {
            std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
            std::fs::write(dir.join(format!("{name}.svg")), svg).unwrap();
        } else {
            // The whole 300-row PNG is large: keep its top and bottom.
            for (part, y0, hh) in [("top", 0.0, 640.0), ("bottom", f64::from(h) - 560.0, 560.0)] {
                let png = svg_to_png(&window(svg, y0, hh), 1.0).unwrap();
                std::fs::write(dir.join(format!("{name}-{part}.png")), &png).unwrap();
            }
        }
    }
}

/// `svg` cut to the band of height `h` starting at `y0`.
fn window(svg: &str, y0: f64, h: f64) -> String {
    let doc = parse(svg);
    let w = doc.root_element().attribute("width").unwrap();
    let full_h = doc.root_element().attribute("height").unwrap();
    let head = format!("width=\"{w}\" height=\"{full_h}\" viewBox=\"0 0 {w} {full_h}\"");
    assert!(svg.contains(&head));
    svg.replacen(
        &head,
        &format!("width=\"{w}\" height=\"{h}\" viewBox=\"0 {y0} {w} {h}\""),
        1,
    )
}

/// Labels may repeat (dat.lee2004 has "Agarwal" twice): each row of the
/// forest plot shows its own study's counts, found by its line.
#[test]
fn repeated_labels_keep_their_own_data_columns() {
    let t = rema_data::Table::from_str(
        "study,ai,bi,ci,di\nAgarwal,4,119,11,128\nAgarwal,6,300,29,274\nBaker,62,13536,248,12619\n",
        "lee.csv",
    )
    .unwrap();
    let r = rema_data::analyze(
        &t,
        &rema_data::AnalysisSpec::new("RR".parse().unwrap()),
        "t",
    )
    .unwrap();
    let mut d = rema_plot::ForestData::from(&r);
    d.add_data_columns(&t, &r);
    let data: Vec<&Vec<String>> = d.rows.iter().map(|row| &row.data).collect();
    assert_eq!(
        data,
        [
            &vec!["4/123", "11/139"],
            &vec!["6/306", "29/303"],
            &vec!["62/13598", "248/12867"]
        ]
    );
}

/// Every measure of two groups' counts or means gets the data columns, not
/// only RR, OR, RD, MD and SMD.
#[test]
fn every_two_group_measure_gets_data_columns() {
    let t = rema_data::Table::from_str(
        "study,ai,bi,ci,di\nA,4,119,11,128\nB,6,300,29,274\n",
        "t.csv",
    )
    .unwrap();
    for m in ["AS", "PHI", "YUQ", "OR2DL"] {
        let r =
            rema_data::analyze(&t, &rema_data::AnalysisSpec::new(m.parse().unwrap()), "t").unwrap();
        let mut d = rema_plot::ForestData::from(&r);
        d.add_data_columns(&t, &r);
        assert_eq!(d.rows[0].data, ["4/123", "11/139"], "{m}");
    }
}
