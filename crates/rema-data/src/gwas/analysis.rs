//! Per-marker pooling and METAL's output table (`Analyze` in statgen/METAL
//! `metal/Main.cpp`), plus rema's random-effects columns.
//!
//! `SCHEME STDERR` (inverse variance; Willer, Li & Abecasis 2010, table 1):
//! with wᵢ = 1/(SEᵢ² λᵢ) (λᵢ the cohort's genomic-control factor, 1 when
//! off), β̂ = Σwᵢβᵢ/Σwᵢ, SE = 1/√Σwᵢ, z = β̂/SE, P = 2Φ(−|z|).
//!
//! `SCHEME SAMPLESIZE`: zᵢ = −Φ⁻¹(pᵢ/2) with the sign of the effect, and
//! Nᵢ the weight: Z = Σ√Nᵢ zᵢ/√λᵢ / √ΣNᵢ, P = 2Φ(−|Z|).
//!
//! `ANALYZE HETEROGENEITY`: Q = Σwᵢ(βᵢ − β̂)² (STDERR) or
//! Q = Σ(zᵢ/√λᵢ − √Nᵢ Z/√ΣNᵢ)² (SAMPLESIZE), on k − 1 degrees of freedom;
//! HetPVal = P(χ²_{k−1} > Q), 1 when Q < 10⁻⁷ or k ≤ 1; HetISq =
//! 100 (Q − (k − 1))/Q when Q > k − 1 (Higgins & Thompson 2002), else 0.
//!
//! Random effects (rema; METAL has none): `rema_core::fit` on the marker's
//! (βᵢ, SEᵢ²λᵢ) in cohort order, so each marker's columns equal
//! `rema analyze` (measure GEN) on that marker's rows, bit for bit.

use std::fmt::Write as _;
use std::io::Write;

use rayon::prelude::*;
use rema_core::{FitOptions, Method};

use super::alleles::complement;
use super::config::{GwasConfig, Scheme};
use super::markers::Markers;
use super::reader::CohortData;

/// What a marker's pooling gives under `SCHEME STDERR`.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkerFit {
    /// Cohorts with a usable row.
    pub k: usize,
    /// Fixed-effect estimate (METAL `Effect`), or the weight sum (`Weight`)
    /// under SAMPLESIZE.
    pub effect: f64,
    /// Its standard error (`StdErr`), or the z-score (`Zscore`).
    pub stderr: f64,
    /// The fixed-effect z statistic.
    pub z: f64,
    /// Cochran's Q (`HetChiSq`).
    pub q: f64,
    /// The direction string (`+`, `-`, `0`, or `?` for a cohort without the
    /// marker).
    pub direction: String,
    /// The per-cohort values (effect, variance with λ applied), cohort order.
    pub yi: Vec<f64>,
    /// See [`MarkerFit::yi`].
    pub vi: Vec<f64>,
}

/// Pools one marker (`id`) over the cohorts.
pub(crate) fn pool(scheme: Scheme, cohorts: &[CohortData], id: usize, out: &mut MarkerFit) {
    out.direction.clear();
    out.yi.clear();
    out.vi.clear();
    for c in cohorts {
        match c.get(id) {
            Some((y, v)) => {
                out.direction.push(if y == 0.0 {
                    '0'
                } else if y > 0.0 {
                    '+'
                } else {
                    '-'
                });
                match scheme {
                    Scheme::StdErr => {
                        out.yi.push(y);
                        out.vi.push(v * c.lambda);
                    }
                    Scheme::SampleSize => {
                        out.yi.push(y / c.lambda.sqrt());
                        out.vi.push(v);
                    }
                }
            }
            None => out.direction.push('?'),
        }
    }
    out.k = out.yi.len();
    match scheme {
        Scheme::StdErr => {
            let (mut sw, mut swy) = (0.0, 0.0);
            for (&y, &v) in out.yi.iter().zip(&out.vi) {
                let w = 1.0 / v;
                sw += w;
                swy += w * y;
            }
            let est = swy / sw;
            let mut q = 0.0;
            for (&y, &v) in out.yi.iter().zip(&out.vi) {
                q += (y - est) * (y - est) / v;
            }
            out.effect = est;
            out.stderr = (1.0 / sw).sqrt();
            out.z = est / out.stderr;
            out.q = q;
        }
        Scheme::SampleSize => {
            let (mut sw, mut s) = (0.0, 0.0);
            for (&z, &w) in out.yi.iter().zip(&out.vi) {
                sw += w;
                s += w.sqrt() * z;
            }
            let zbar = s / sw.sqrt();
            let mut q = 0.0;
            for (&z, &w) in out.yi.iter().zip(&out.vi) {
                let e = w.sqrt() * s / sw;
                q += (z - e) * (z - e);
            }
            out.effect = sw;
            out.stderr = zbar;
            out.z = zbar;
            out.q = q;
        }
    }
}

/// C's `printf("%.*g")`: `precision` significant digits, trailing zeros
/// dropped, an exponent below 1e-4 or from 10^precision up.
///
/// ```
/// assert_eq!(rema_data::gwas::analysis::format_g(0.0000123456, 4), "1.235e-05");
/// assert_eq!(rema_data::gwas::analysis::format_g(-0.25, 6), "-0.25");
/// ```
pub fn format_g(x: f64, precision: usize) -> String {
    let mut s = String::new();
    fmt_g(&mut s, x, precision);
    s
}

/// [`format_g`] appended to `out` (METAL prints p-values with `%.4g`).
pub(crate) fn fmt_g(out: &mut String, x: f64, precision: usize) {
    if x == 0.0 {
        out.push('0');
        return;
    }
    if !x.is_finite() {
        out.push_str(if x.is_nan() {
            "nan"
        } else if x > 0.0 {
            "inf"
        } else {
            "-inf"
        });
        return;
    }
    let p = precision.max(1);
    let sci = format!("{:.*e}", p - 1, x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        out.push_str(strip_zeros(mantissa));
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else {
        let fixed = format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, x);
        out.push_str(strip_zeros(&fixed));
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// log(Φ(−z)) for z ≥ 0, accurate where Φ(−z) underflows.
fn log_upper_tail(z: f64) -> f64 {
    let p = rema_core::dist::norm_sf(z);
    if p > 1e-300 {
        return p.ln();
    }
    // The asymptotic series of Mills' ratio (Abramowitz & Stegun 26.2.12);
    // its first omitted term is below 1e-13 here (z > 37).
    let z2 = z * z;
    let series =
        1.0 - 1.0 / z2 + 3.0 / (z2 * z2) - 15.0 / (z2 * z2 * z2) + 105.0 / (z2 * z2 * z2 * z2);
    -0.5 * z2 - z.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln() + series.ln()
}

/// METAL's `PrintablePvalue`: the two-sided normal p of `z` with `%.4g`, and
/// as `m.mme-N` from logs when |z| ≥ 20.
pub(crate) fn fmt_p(out: &mut String, z: f64) {
    let z = z.abs();
    if z.is_nan() {
        out.push_str("NA");
    } else if z < 20.0 {
        fmt_g(out, 2.0 * rema_core::dist::norm_sf(z), 4);
    } else {
        let log10 = (log_upper_tail(z) + 2f64.ln()) / 10f64.ln();
        let mut exponent = log10.floor();
        let mut real = 10f64.powf(log10 - exponent);
        if real >= 9.995 {
            real /= 10.0;
            exponent += 1.0;
        }
        let _ = write!(out, "{real:.2}e{exponent:.0}");
    }
}

/// The table's header line (without the line break).
pub(crate) fn header(config: &GwasConfig) -> String {
    let mut h = String::from("MarkerName\tAllele1\tAllele2\t");
    match config.scheme {
        Scheme::StdErr => h.push_str("Effect\tStdErr"),
        Scheme::SampleSize => h.push_str("Weight\tZscore"),
    }
    h.push_str("\tP-value\tDirection");
    if config.heterogeneity {
        h.push_str("\tHetISq\tHetChiSq\tHetDf\tHetPVal");
    }
    for m in &config.random {
        let n = m.name();
        let _ = write!(h, "\tTau2_{n}\tEffect_{n}\tStdErr_{n}\tP-value_{n}");
    }
    h
}

/// Counts from the analysis pass.
#[derive(Debug, Default, Clone)]
pub(crate) struct Counts {
    pub(crate) written: u64,
    pub(crate) no_usable_row: u64,
    pub(crate) below_min_weight: u64,
    pub(crate) random_failed: Vec<u64>,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.written += other.written;
        self.no_usable_row += other.no_usable_row;
        self.below_min_weight += other.below_min_weight;
        for (a, b) in self.random_failed.iter_mut().zip(&other.random_failed) {
            *a += b;
        }
    }
}

/// The random-effects fit of one marker's rows: rema-core's batch kernel
/// on one group (bit-identical to `rema_core::fit`, without its
/// allocations); `None` where the model could not be fitted.
pub(crate) fn random_effects(yi: &[f64], vi: &[f64], method: Method) -> Option<(f64, f64, f64)> {
    use rema_core::batch::{pool_batch_serial, BatchOptions, BatchRow, BatchStatus};
    let opts = BatchOptions {
        fit: FitOptions::new(method),
        ..BatchOptions::default()
    };
    let mut out = [BatchRow::default()];
    pool_batch_serial(&[0, yi.len()], yi, vi, &opts, &mut out).ok()?;
    let r = out[0];
    (r.status == BatchStatus::Ok).then_some((r.tau2, r.estimate, r.se))
}

fn lines(
    config: &GwasConfig,
    markers: &Markers,
    cohorts: &[CohortData],
    ids: std::ops::Range<usize>,
) -> (String, Counts) {
    let mut out = String::with_capacity(ids.len() * 128);
    let mut counts = Counts {
        random_failed: vec![0; config.random.len()],
        ..Counts::default()
    };
    let mut fit = MarkerFit {
        k: 0,
        effect: 0.0,
        stderr: 0.0,
        z: 0.0,
        q: 0.0,
        direction: String::with_capacity(cohorts.len()),
        yi: Vec::with_capacity(cohorts.len()),
        vi: Vec::with_capacity(cohorts.len()),
    };
    for id in ids {
        pool(config.scheme, cohorts, id, &mut fit);
        if fit.k == 0 {
            counts.no_usable_row += 1;
            continue;
        }
        if config.scheme == Scheme::SampleSize && fit.effect < config.min_weight {
            counts.below_min_weight += 1;
            continue;
        }
        counts.written += 1;
        let id32 = id as u32;
        let (a1, a2) = markers.alleles(id32);
        let (a1, a2) = if markers.complemented(id32) {
            (complement(a1), complement(a2))
        } else {
            (a1, a2)
        };
        out.push_str(markers.name(id32));
        out.push('\t');
        out.push_str(a1);
        out.push('\t');
        out.push_str(a2);
        match config.scheme {
            Scheme::StdErr => {
                let _ = write!(
                    out,
                    "\t{:.*}\t{:.*}\t",
                    config.effect_precision, fit.effect, config.stderr_precision, fit.stderr
                );
            }
            Scheme::SampleSize => {
                let _ = write!(out, "\t{:.2}\t{:.3}\t", fit.effect, fit.z);
            }
        }
        fmt_p(&mut out, fit.z);
        out.push('\t');
        out.push_str(&fit.direction);
        if config.heterogeneity {
            let df = fit.k as f64 - 1.0;
            let p = if fit.q < 1e-7 || fit.k <= 1 {
                1.0
            } else {
                rema_core::dist::chisq_sf(fit.q, df)
            };
            let i2 = if fit.q <= df || fit.k <= 1 {
                0.0
            } else {
                (fit.q - df) / fit.q * 100.0
            };
            let _ = write!(out, "\t{i2:.1}\t{:.3}\t{}\t", fit.q, fit.k - 1);
            fmt_g(&mut out, p, 4);
        }
        for (j, &m) in config.random.iter().enumerate() {
            match random_effects(&fit.yi, &fit.vi, m) {
                Some((tau2, est, se)) => {
                    out.push('\t');
                    fmt_g(&mut out, tau2, 6);
                    let _ = write!(
                        out,
                        "\t{:.*}\t{:.*}\t",
                        config.effect_precision, est, config.stderr_precision, se
                    );
                    fmt_p(&mut out, est / se);
                }
                None => {
                    counts.random_failed[j] += 1;
                    out.push_str("\tNA\tNA\tNA\tNA");
                }
            }
        }
        out.push('\n');
    }
    (out, counts)
}

/// Markers per parallel task.
const CHUNK: usize = 4096;

/// Writes the table, markers in first-seen order, in parallel chunks that
/// are written in order (the output does not depend on the thread count).
pub(crate) fn write_table(
    config: &GwasConfig,
    markers: &Markers,
    cohorts: &[CohortData],
    out: &mut impl Write,
) -> std::io::Result<Counts> {
    writeln!(out, "{}", header(config))?;
    let n = markers.len();
    let mut total = Counts {
        random_failed: vec![0; config.random.len()],
        ..Counts::default()
    };
    let round = CHUNK * 4 * rayon::current_num_threads().max(1);
    let mut start = 0;
    while start < n {
        let end = (start + round).min(n);
        let chunks: Vec<std::ops::Range<usize>> = (start..end)
            .step_by(CHUNK)
            .map(|s| s..(s + CHUNK).min(end))
            .collect();
        let parts: Vec<(String, Counts)> = chunks
            .into_par_iter()
            .map(|r| lines(config, markers, cohorts, r))
            .collect();
        for (text, counts) in parts {
            out.write_all(text.as_bytes())?;
            total.add(&counts);
        }
        start = end;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(x: f64) -> String {
        let mut s = String::new();
        fmt_g(&mut s, x, 4);
        s
    }

    fn p(z: f64) -> String {
        let mut s = String::new();
        fmt_p(&mut s, z);
        s
    }

    #[test]
    fn percent_g_matches_c_printf() {
        // Values and their glibc printf("%.4g") output.
        assert_eq!(g(0.5), "0.5");
        assert_eq!(g(1.0), "1");
        assert_eq!(g(0.0001234567), "0.0001235");
        assert_eq!(g(0.00001234567), "1.235e-05");
        assert_eq!(g(12345.0), "1.234e+04");
        assert_eq!(g(0.99996), "1");
        assert_eq!(g(9.9996e-5), "0.0001");
        assert_eq!(g(3.0e-120), "3e-120");
    }

    #[test]
    fn large_z_p_values_are_printed_from_logs() {
        // R: 2 * pnorm(-25) = 6.113359e-138; 2 * pnorm(-40) = 7.31e-350
        // (log10 = -349.136).
        assert_eq!(p(25.0), "6.11e-138");
        assert_eq!(p(-40.0), "7.31e-350");
        assert_eq!(p(1.959963984540054), "0.05");
    }
}
