//! `cargo xtask verify`: rema against the seed paper (Bouza et al. 2009,
//! balloon kyphoplasty in malignant spinal fractures), from the project's copy
//! of its published tables in `examples/bkp/`.
//!
//! Every Table 3 row and every safety result gets one status:
//! - REPRODUCED: recomputed from per-study data and equal to the printed value
//!   at the printed precision;
//! - CONSISTENT: printed estimate, CI and p agree (rema_core::audit) and the
//!   printed n equals the sum of the cited studies' n in Table 1;
//! - INCONSISTENT: they do not, with what disagrees and by how much;
//! - NOT REPRODUCIBLE: the per-study inputs are unknown; where the totals are
//!   known, the per-study counts that would give the printed results are
//!   searched and counted.
//!
//! The expected statuses live in `examples/bkp/verify_expected.csv`, so that a
//! regression in the engine or the audit fails `cargo test` (tests/verify.rs).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use rema_core::audit::{audit_result, Printed, PrintedP};
use rema_core::effect::{PrePostStudy, ProportionStudy};
use rema_core::{effect_sizes, fit, EffectOptions, FitOptions, Measure, Method, StudyData};
use rema_data::audit::scale_of;
use rema_data::Table;

/// The verdict on one published result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Reproduced,
    Consistent,
    Inconsistent,
    NotReproducible,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Reproduced => "REPRODUCED",
            Status::Consistent => "CONSISTENT",
            Status::Inconsistent => "INCONSISTENT",
            Status::NotReproducible => "NOT REPRODUCIBLE",
        }
    }

    fn parse(s: &str) -> Option<Status> {
        [
            Status::Reproduced,
            Status::Consistent,
            Status::Inconsistent,
            Status::NotReproducible,
        ]
        .into_iter()
        .find(|st| st.name().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One verified result.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub published: String,
    /// rema's value, where it computes one.
    pub rema: String,
    pub status: Status,
    pub expected: Option<Status>,
    pub detail: Vec<String>,
}

/// Per-study facts from Table 1.
#[derive(Debug, Clone)]
struct Study {
    patients: f64,
    levels: f64,
    vp_patients: f64,
    vp_levels: f64,
}

type Res<T> = Result<T, String>;

fn read(root: &Path, name: &str) -> Res<Table> {
    Table::read_path(&root.join("examples/bkp").join(name)).map_err(|e| e.to_string())
}

fn get<'a>(t: &'a Table, row: &'a rema_data::table::Row, col: &str) -> Res<&'a str> {
    let i = t
        .column(col)
        .ok_or_else(|| format!("{}: no column `{col}`", t.source))?;
    Ok(row.cells[i].trim())
}

fn num(s: &str) -> Option<f64> {
    s.trim().parse().ok()
}

/// Runs every check. The rows come in the order of the published files.
pub fn run(root: &Path) -> Res<Vec<Row>> {
    let studies = read_studies(root)?;
    let expected = read_expected(root)?;
    let mut rows = Vec::new();
    rows.extend(table3_rows(root, &studies)?);
    rows.extend(safety_rows(root)?);
    rows.extend(total_rows(root, &studies)?);
    for r in &mut rows {
        r.expected = expected.get(&r.id).copied();
    }
    Ok(rows)
}

fn read_studies(root: &Path) -> Res<BTreeMap<String, Study>> {
    let t = read(root, "studies.csv")?;
    let mut out = BTreeMap::new();
    for row in &t.rows {
        let f = |c: &str| get(&t, row, c).map(|s| num(s).unwrap_or(0.0));
        out.insert(
            get(&t, row, "ref")?.to_string(),
            Study {
                patients: f("bkp_patients")?,
                levels: f("bkp_levels")?,
                vp_patients: f("vp_patients")?,
                vp_levels: f("vp_levels")?,
            },
        );
    }
    Ok(out)
}

fn read_expected(root: &Path) -> Res<BTreeMap<String, Status>> {
    let t = read(root, "verify_expected.csv")?;
    let mut out = BTreeMap::new();
    for row in &t.rows {
        let s = get(&t, row, "status")?;
        out.insert(
            get(&t, row, "id")?.to_string(),
            Status::parse(s).ok_or_else(|| format!("unknown status `{s}`"))?,
        );
    }
    Ok(out)
}

fn refs(s: &str) -> Vec<String> {
    s.split(';')
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect()
}

/// Subsets of the Table 1 studies whose n (patients or levels) sum to `n`.
fn matching_subsets(studies: &BTreeMap<String, Study>, unit: &str, n: f64) -> Vec<Vec<String>> {
    let items: Vec<(&String, f64)> = studies
        .iter()
        .map(|(r, s)| {
            (
                r,
                if unit == "levels" {
                    s.levels
                } else {
                    s.patients
                },
            )
        })
        .collect();
    let mut out = Vec::new();
    for mask in 1u32..(1 << items.len()) {
        let sum: f64 = items
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, (_, v))| v)
            .sum();
        if (sum - n).abs() < 1e-9 {
            out.push(
                items
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, (r, _))| (*r).clone())
                    .collect(),
            );
        }
    }
    out
}

fn table3_rows(root: &Path, studies: &BTreeMap<String, Study>) -> Res<Vec<Row>> {
    let t = read(root, "table3_published.csv")?;
    let inputs = read(root, "efficacy_inputs.csv")?;
    let mut rows = Vec::new();
    for row in &t.rows {
        let g = |c: &str| get(&t, row, c);
        let id = g("id")?.to_string();
        let (est, lo, hi, p) = (
            g("estimate")?,
            g("ci_lower")?,
            g("ci_upper")?,
            g("p_reported")?,
        );
        let measure = g("measure")?;
        let mut detail = Vec::new();
        let mut consistent = true;

        // Estimate, CI and p.
        let scale = scale_of(measure).ok_or_else(|| format!("{id}: unknown measure {measure}"))?;
        let pp = if p.is_empty() {
            None
        } else {
            Some(PrintedP::parse(p).ok_or_else(|| format!("{id}: p `{p}`"))?)
        };
        let parse =
            |s: &str| Printed::parse(s).ok_or_else(|| format!("{id}: `{s}` is not a number"));
        let audit = audit_result(scale, parse(est)?, parse(lo)?, parse(hi)?, pp, 95.0)
            .map_err(|e| format!("{id}: {e}"))?;
        consistent &= audit.consistent;
        detail.push(audit.message.clone());

        // n against Table 1.
        let unit = g("n_unit")?;
        let n = num(g("n")?).ok_or_else(|| format!("{id}: n"))?;
        let cited = refs(g("refs_cited")?);
        let sum: f64 = cited
            .iter()
            .map(|r| {
                studies
                    .get(r)
                    .map(|s| {
                        if unit == "levels" {
                            s.levels
                        } else {
                            s.patients
                        }
                    })
                    .unwrap_or(f64::NAN)
            })
            .sum();
        if (sum - n).abs() > 1e-9 {
            consistent = false;
            let subsets = matching_subsets(studies, unit, n);
            let which = if subsets.is_empty() {
                format!("no subset of the Table 1 studies has {n} {unit}")
            } else {
                subsets
                    .iter()
                    .map(|s| format!("refs {}", s.join("+")))
                    .collect::<Vec<_>>()
                    .join(" or ")
                    + &format!(" sum to {n}")
            };
            detail.push(format!(
                "printed n = {n} {unit}, but the cited refs {} hold {sum} {unit} ({:+}); {which}",
                cited.join("+"),
                n - sum
            ));
        } else {
            detail.push(format!(
                "n = {n} {unit} equals the cited refs {}",
                cited.join("+")
            ));
        }

        // Recompute from per-study data, when a user has supplied them.
        let mine: Vec<_> = inputs
            .rows
            .iter()
            .filter(|r| get(&inputs, r, "id").map(|v| v == id).unwrap_or(false))
            .collect();
        let mut rema = String::from("-");
        let cols = ["m_pre", "sd_pre", "m_post", "sd_post", "ni", "ri"];
        let complete = !mine.is_empty()
            && mine.iter().all(|r| {
                cols.iter()
                    .all(|c| get(&inputs, r, c).ok().and_then(num).is_some())
            })
            && mine.iter().all(|r| {
                get(&inputs, r, "measure")
                    .map(|m| !m.is_empty())
                    .unwrap_or(false)
            });
        let mut reproduced = false;
        if complete {
            let m: Measure = get(&inputs, mine[0], "measure")?.parse()?;
            let studies: Vec<PrePostStudy> = mine
                .iter()
                .map(|r| {
                    let v = |c: &str| get(&inputs, r, c).ok().and_then(num).unwrap_or(f64::NAN);
                    let pre_minus_post = get(&inputs, r, "direction")
                        .map(|d| d == "pre-post")
                        .unwrap_or(false);
                    let (m1, m2) = if pre_minus_post {
                        (v("m_pre"), v("m_post"))
                    } else {
                        (v("m_post"), v("m_pre"))
                    };
                    PrePostStudy {
                        m1,
                        m2,
                        sd1: v("sd_pre"),
                        sd2: Some(v("sd_post")),
                        n: v("ni"),
                        r: v("ri"),
                    }
                })
                .collect();
            let es = effect_sizes(m, &StudyData::PrePost(studies), &EffectOptions::default())
                .map_err(|e| format!("{id}: {e}"))?;
            let f = fit(&es.yi, &es.vi, &FitOptions::new(Method::Dl))
                .map_err(|e| format!("{id}: {e}"))?;
            let e = f.estimate();
            rema = format!(
                "{:.2} ({:.2}, {:.2}), I2 {:.0}%",
                e.estimate, e.ci_lower, e.ci_upper, f.i2
            );
            let within = |printed: &str, x: f64| {
                Printed::parse(printed)
                    .map(|p| (x - p.value).abs() <= p.half_width() + 1e-12)
                    .unwrap_or(false)
            };
            reproduced =
                within(est, e.estimate) && within(lo, e.ci_lower) && within(hi, e.ci_upper);
            if reproduced {
                detail.push(format!(
                    "recomputed from examples/bkp/efficacy_inputs.csv ({m}, DL): {rema}"
                ));
            } else {
                consistent = false;
                detail.push(format!("recomputed from examples/bkp/efficacy_inputs.csv ({m}, DL) as {rema}, which differs from the printed values"));
            }
        } else {
            detail.push(format!(
                "not recomputable: per-study means, SDs and n for refs {} are unknown (the paper's Additional file 1 is lost); fill examples/bkp/efficacy_inputs.csv to recompute",
                cited.join(", ")
            ));
        }
        let status = if !consistent {
            Status::Inconsistent
        } else if reproduced {
            Status::Reproduced
        } else {
            Status::Consistent
        };
        let i2 = g("i2_pct")?;
        rows.push(Row {
            id,
            published: format!(
                "{est} ({lo}, {hi}), p {}, n {n}, I2 {i2}%",
                if p.is_empty() { "-" } else { p }
            ),
            rema,
            status,
            expected: None,
            detail,
        });
    }
    Ok(rows)
}

/// Pools raw proportions by DerSimonian-Laird as the paper did (metafor
/// `rma(measure = "PR", method = "DL")`, 0.5 added to zero counts):
/// returns (estimate in %, I² in %).
fn pool_pr(events: &[f64], totals: &[f64]) -> Option<(f64, f64)> {
    let data = StudyData::Proportion(
        events
            .iter()
            .zip(totals)
            .map(|(&x, &n)| ProportionStudy { x, n })
            .collect(),
    );
    let es = effect_sizes(Measure::Pr, &data, &EffectOptions::default()).ok()?;
    let f = fit(&es.yi, &es.vi, &FitOptions::new(Method::Dl)).ok()?;
    Some((100.0 * f.estimate().estimate, f.i2))
}

/// Calls `visit` with every way of splitting `total` events over studies with
/// the given caps.
fn compositions(total: i64, caps: &[i64], visit: &mut impl FnMut(&[i64])) {
    fn go(total: i64, caps: &[i64], cur: &mut Vec<i64>, visit: &mut impl FnMut(&[i64])) {
        if cur.len() + 1 == caps.len() {
            if total <= caps[cur.len()] {
                cur.push(total);
                visit(cur);
                cur.pop();
            }
            return;
        }
        let rest: i64 = caps[cur.len() + 1..].iter().sum();
        for x in 0.max(total - rest)..=total.min(caps[cur.len()]) {
            cur.push(x);
            go(total - x, caps, cur, visit);
            cur.pop();
        }
    }
    if caps.is_empty() {
        if total == 0 {
            visit(&[]);
        }
        return;
    }
    go(total, caps, &mut Vec::new(), visit);
}

struct SafetyInput {
    events: Option<f64>,
    total: f64,
}

struct SafetyRow {
    id: String,
    outcome: String,
    refs: Vec<String>,
    events_total: Option<f64>,
    estimate: String,
    i2: String,
}

impl SafetyRow {
    /// Whether pooled values match the printed ones at their precision.
    fn matches(&self, est: f64, i2: f64) -> bool {
        let ok = |printed: &str, x: f64| {
            Printed::parse(printed)
                .map(|p| (x - p.value).abs() <= p.half_width() + 1e-9)
                .unwrap_or(true)
        };
        ok(&self.estimate, est) && ok(&self.i2, i2)
    }
}

fn safety_rows(root: &Path) -> Res<Vec<Row>> {
    let inp = read(root, "safety_inputs.csv")?;
    let mut inputs: BTreeMap<(String, String), SafetyInput> = BTreeMap::new();
    for r in &inp.rows {
        inputs.insert(
            (
                get(&inp, r, "outcome")?.to_string(),
                get(&inp, r, "ref")?.to_string(),
            ),
            SafetyInput {
                events: num(get(&inp, r, "events")?),
                total: num(get(&inp, r, "total")?).ok_or("safety_inputs.csv: total")?,
            },
        );
    }
    let t = read(root, "safety_published.csv")?;
    let mut published = Vec::new();
    for r in &t.rows {
        published.push(SafetyRow {
            id: get(&t, r, "id")?.to_string(),
            outcome: get(&t, r, "outcome")?.to_string(),
            refs: refs(get(&t, r, "refs")?),
            events_total: num(get(&t, r, "events_total")?),
            estimate: get(&t, r, "estimate_pct")?.to_string(),
            i2: get(&t, r, "i2_pct")?.to_string(),
        });
    }
    let mut rows = Vec::new();
    for row in &published {
        let key = |r: &String| (row.outcome.clone(), r.clone());
        let known: Vec<_> = row.refs.iter().map(|r| inputs.get(&key(r))).collect();
        if known.iter().any(|k| k.is_none()) {
            return Err(format!(
                "{}: a cited ref has no line in safety_inputs.csv",
                row.id
            ));
        }
        let known: Vec<&SafetyInput> = known.into_iter().flatten().collect();
        let published_text = format!(
            "{}%{}{}",
            row.estimate,
            if row.i2.is_empty() {
                String::new()
            } else {
                format!(", I2 {}%", row.i2)
            },
            row.events_total
                .map(|e| format!(", {e} events"))
                .unwrap_or_default()
        );
        let mut detail = Vec::new();
        if known.iter().all(|k| k.events.is_some()) {
            let ev: Vec<f64> = known.iter().map(|k| k.events.unwrap_or(0.0)).collect();
            let tot: Vec<f64> = known.iter().map(|k| k.total).collect();
            let (est, i2) =
                pool_pr(&ev, &tot).ok_or_else(|| format!("{}: pooling failed", row.id))?;
            let ok = row.matches(est, i2);
            detail.push(format!(
                "PR pooled by DL from {} (0.5 added to zero counts, metafor's default)",
                row.refs
                    .iter()
                    .zip(&known)
                    .map(|(r, k)| format!("ref {r}: {}/{}", k.events.unwrap_or(0.0), k.total))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            if !ok {
                detail.push("the recomputed values differ from the printed ones".to_string());
            }
            rows.push(Row {
                id: row.id.clone(),
                published: published_text,
                rema: format!("{est:.2}%, I2 {i2:.1}%"),
                status: if ok {
                    Status::Reproduced
                } else {
                    Status::Inconsistent
                },
                expected: None,
                detail,
            });
            continue;
        }
        // Unknown per-study counts: search the splits of the outcome's total.
        let unknown: Vec<&String> = row
            .refs
            .iter()
            .zip(&known)
            .filter(|(_, k)| k.events.is_none())
            .map(|(r, _)| r)
            .collect();
        detail.push(format!(
            "per-study counts unknown for refs {}",
            unknown
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let universe = published
            .iter()
            .filter(|p| p.outcome == row.outcome && p.events_total.is_some())
            .max_by_key(|p| p.refs.len())
            .filter(|p| row.refs.iter().all(|r| p.refs.contains(r)));
        if let Some(u) = universe {
            let all_total = u.events_total.unwrap_or(0.0);
            let uin: Vec<&SafetyInput> = u
                .refs
                .iter()
                .map(|r| &inputs[&(row.outcome.clone(), r.clone())])
                .collect();
            let known_sum: f64 = uin.iter().filter_map(|k| k.events).sum();
            let free: Vec<usize> = (0..u.refs.len())
                .filter(|&i| uin[i].events.is_none())
                .collect();
            let caps: Vec<i64> = free.iter().map(|&i| uin[i].total as i64).collect();
            let mut tried = 0usize;
            let mut hits = 0usize;
            let mut joint = 0usize;
            let mut example = None;
            let others: Vec<&SafetyRow> = published
                .iter()
                .filter(|p| p.outcome == row.outcome && p.id != row.id && p.events_total.is_none())
                .collect();
            let pool_rows = |split: &[i64], target: &SafetyRow| -> Option<(f64, f64)> {
                let mut ev = Vec::new();
                let mut tot = Vec::new();
                for r in &target.refs {
                    let i = u.refs.iter().position(|x| x == r)?;
                    let e = match free.iter().position(|&f| f == i) {
                        Some(j) => split[j] as f64,
                        None => uin[i].events.unwrap_or(0.0),
                    };
                    ev.push(e);
                    tot.push(uin[i].total);
                }
                pool_pr(&ev, &tot)
            };
            compositions(
                (all_total - known_sum).round() as i64,
                &caps,
                &mut |split| {
                    tried += 1;
                    if let Some((e, i2)) = pool_rows(split, row) {
                        if row.matches(e, i2) {
                            hits += 1;
                            if example.is_none() {
                                example = Some(split.to_vec());
                            }
                            if u.id == row.id
                                && others.iter().all(|o| {
                                    pool_rows(split, o)
                                        .map(|(e, i)| o.matches(e, i))
                                        .unwrap_or(false)
                                })
                            {
                                joint += 1;
                            }
                        }
                    }
                },
            );
            let refs_txt = free
                .iter()
                .map(|&i| u.refs[i].as_str())
                .collect::<Vec<_>>()
                .join(", ");
            detail.push(format!(
                "searched all {tried} splits of the {} remaining events ({all_total} in all) over refs {refs_txt}: {hits} give the printed {}",
                all_total - known_sum,
                published_text
            ));
            if let Some(ex) = example {
                detail.push(format!(
                    "e.g. {}",
                    free.iter()
                        .zip(&ex)
                        .map(|(&i, x)| format!("ref {}: {x}/{}", u.refs[i], uin[i].total))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if u.id == row.id && !others.is_empty() {
                detail.push(format!(
                    "{joint} of them also reproduce {}",
                    others
                        .iter()
                        .map(|o| o.id.as_str())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ));
            }
            if u.id == row.id {
                let total_n: f64 = uin.iter().map(|k| k.total).sum();
                detail.push(format!(
                    "crude rate {all_total}/{total_n} = {:.1}%",
                    100.0 * all_total / total_n
                ));
            }
        } else {
            detail.push("no published total constrains the counts".to_string());
        }
        if let ([only], Some(p)) = (known.as_slice(), Printed::parse(&row.estimate)) {
            let n = only.total;
            let k = (p.value / 100.0 * n).floor();
            if (100.0 * k / n - p.value).abs() > p.half_width()
                && (100.0 * (k + 1.0) / n - p.value).abs() > p.half_width()
            {
                detail.push(format!(
                    "{}% is not k/{n} for any whole k (the nearest are {k}/{n} = {:.1}% and {}/{n} = {:.1}%): the denominator was probably the evaluable patients",
                    row.estimate,
                    100.0 * k / n,
                    k + 1.0,
                    100.0 * (k + 1.0) / n
                ));
            }
        }
        rows.push(Row {
            id: row.id.clone(),
            published: published_text,
            rema: "-".to_string(),
            status: Status::NotReproducible,
            expected: None,
            detail,
        });
    }
    Ok(rows)
}

/// The patients and levels of the flow diagram against Table 1.
fn total_rows(root: &Path, studies: &BTreeMap<String, Study>) -> Res<Vec<Row>> {
    let flow = read(root, "flow.csv")?;
    let note = flow
        .rows
        .iter()
        .find_map(|r| {
            get(&flow, r, "note")
                .ok()
                .filter(|n| n.contains("patients"))
                .map(|s| s.to_string())
        })
        .ok_or("flow.csv: no line with the patient totals")?;
    let grab = |word: &str| -> Option<f64> {
        let i = note.find(word)?;
        note[..i].split_whitespace().last()?.parse().ok()
    };
    let mut rows = Vec::new();
    for (id, word, bkp, vp) in [
        (
            "totals_patients",
            "patients",
            studies.values().map(|s| s.patients).sum::<f64>(),
            studies.values().map(|s| s.vp_patients).sum::<f64>(),
        ),
        (
            "totals_levels",
            "treated levels",
            studies.values().map(|s| s.levels).sum::<f64>(),
            studies.values().map(|s| s.vp_levels).sum::<f64>(),
        ),
    ] {
        let printed = grab(word).ok_or_else(|| format!("flow.csv: no count of {word}"))?;
        let ok = (bkp + vp - printed).abs() < 1e-9;
        rows.push(Row {
            id: id.to_string(),
            published: format!("{printed} {word}"),
            rema: format!("{} ({bkp} BKP + {vp} vertebroplasty)", bkp + vp),
            status: if ok { Status::Consistent } else { Status::Inconsistent },
            expected: None,
            detail: vec![format!(
                "the BKP arms of Table 1 hold {bkp} {word}; {} with the vertebroplasty arms of refs 26 and 30",
                if ok { "the printed total counts them" } else { "the printed total matches neither" }
            )],
        });
    }
    Ok(rows)
}
