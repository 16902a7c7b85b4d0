//! `rema gosh`: the GOSH diagnostic of one table, its table of fits, its
//! study summary and its figure.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use rema_core::resample::gosh::{Block, Gosh, Subsets};
use rema_core::{Method, Rma, Studies};
use rema_plot::{gosh_svg, GoshBins, GoshData};

use crate::exit::{self, CliError};
use crate::model_args::ModelArgs;
use crate::progress;

/// Fit the model to every subset of the studies, or to a random sample of
/// subsets (GOSH, Olkin, Dahabreh & Trikalinos 2012; metafor gosh()).
///
/// Each subset gets the pooled estimate, Q, I^2, H^2 and tau^2 of the model
/// (--method, default REML) fitted to its studies alone. By default every
/// subset is fitted when there are at most 10^6 of them (k <= 19), else 10^6
/// random subsets, as metafor; --subsets N fits N random subsets (every
/// subset when there are no more than N), --subsets all every subset, and
/// --max-size S only the subsets of at most S studies. Random subsets take
/// each study with probability 1/2; a given --seed gives the same subsets
/// and the same output at any number of threads (RAYON_NUM_THREADS).
///
/// With --mods, the meta-regression (metafor gosh() of rma(mods = ...)):
/// every subset of at least p studies (p coefficients), each with every
/// coefficient; a subset whose design is rank deficient (a moderator
/// constant among its studies) has an empty row, as metafor's NA. The
/// figure and the study summary follow the coefficient of --coef (default
/// the first moderator's).
///
/// Writes to --out DIR:
///   gosh.csv          one row per subset (gosh.parquet with --format parquet):
///                     subset, k, estimate (with --mods
///                     one column per coefficient, named as metafor), QE,
///                     I2, H2, tau2 (empty where the fit failed), studies
///                     (1-based, separated by spaces), in metafor's order
///   gosh_studies.csv  per study: the mean estimate and I^2 of the subsets
///                     with and without it, and their standardised distance
///   gosh.json         the run: method, subsets, seed, the most influential
///                     study, notes
///   gosh.svg, gosh.png  estimate against I^2 as a density, the subsets
///                     that contain the most influential study (or
///                     --highlight) in a second colour
/// A progress bar is shown on a terminal; Ctrl-C stops the run.
///
/// Examples:
///   rema gosh examples/bcg/bcg.csv --measure RR --method DL --out gosh-bcg
///   rema gosh data.csv -m SMD --subsets 100000 --seed 7 --out gosh
///   rema gosh data.csv -m SMD --subsets all --max-size 5 --out gosh
///   rema gosh examples/bcg/bcg.csv -m RR --mods ablat --out gosh-ablat
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct GoshArgs {
    /// The CSV file or Excel workbook.
    pub file: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    /// How many random subsets, or `all` (default: all up to 10^6, as metafor).
    #[arg(long)]
    pub subsets: Option<String>,
    /// Fit only the subsets of at most this many studies (with every subset).
    #[arg(long)]
    pub max_size: Option<usize>,
    /// Meta-regression on these columns (comma-separated) or on an R
    /// formula starting with ~, as `rema analyze --mods`.
    #[arg(long, value_name = "A,B|~ FORMULA")]
    pub mods: Vec<String>,
    /// With --mods: the coefficient (its name, as in gosh.csv's header) that
    /// the figure and gosh_studies.csv follow; default the first moderator.
    #[arg(long, value_name = "NAME", requires = "mods")]
    pub coef: Option<String>,
    /// Seed of the random subsets (default: drawn, and recorded in gosh.json).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Colour the subsets that contain this study (its label) instead of
    /// the most influential one.
    #[arg(long)]
    pub highlight: Option<String>,
    /// The directory to write to (made if missing).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Title printed above the figure.
    #[arg(long)]
    pub title: Option<String>,
    /// The table of fits as csv (gosh.csv) or parquet (gosh.parquet: the
    /// same columns; subset and k as int64, the numbers float64 with null
    /// where the fit failed, studies as text).
    #[arg(long, default_value = "csv")]
    pub format: rema_arrow::output::OutputFormat,
}

fn usage(message: String) -> CliError {
    CliError {
        message,
        code: exit::USAGE,
    }
}

fn io(path: &Path, e: std::io::Error) -> CliError {
    CliError {
        message: format!("cannot write {}: {e}", path.display()),
        code: exit::DATA,
    }
}

/// The core's error in the words of the command line.
fn core_error(e: rema_core::Error) -> CliError {
    use rema_core::Error as E;
    let code = match &e {
        E::Cancelled { .. } => exit::INTERRUPTED,
        E::InvalidOption { .. } => exit::USAGE,
        _ => exit::ESTIMATION,
    };
    let message = e
        .to_string()
        .replace("`subsets`", "--subsets")
        .replace("`max_size`", "--max-size")
        .replace("`mods`", "--mods");
    CliError { message, code }
}

/// The subsets the options ask for, for k studies.
fn subsets(args: &GoshArgs, k: usize, p: usize, seed: u64) -> Result<Subsets, CliError> {
    match (args.subsets.as_deref(), args.max_size) {
        (Some("all"), max_size) => Ok(Subsets::All { max_size }),
        (None, Some(s)) => Ok(Subsets::All { max_size: Some(s) }),
        (None, None) => Ok(Subsets::metafor_default_for(k, p, seed)),
        (Some(n), None) => match n.trim().parse::<u64>() {
            Ok(n) if n >= 1 => Ok(Subsets::at_most_for(n, seed, k, p)),
            _ => Err(usage(format!(
                "--subsets {n}: give a number of random subsets (at least 1) or `all`"
            ))),
        },
        (Some(n), Some(_)) => Err(usage(format!(
            "--max-size limits the subsets of --subsets all; with --subsets {n} the subsets are drawn at random: drop one of the two"
        ))),
    }
}

/// A number for the CSV: empty when NaN, else the shortest exact form.
fn cell(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x}")
    }
}

/// Subsets of the pilot run that sets a meta-regression's x axis.
const PILOT: u64 = 4096;

pub fn run(args: &GoshArgs) -> Result<(), CliError> {
    let (table, sha) = args.model.read_table(&args.file)?;
    let mut spec = args.model.spec();
    spec.mods = crate::model_args::mods_terms(&args.mods);
    let result = rema_data::analyze(&table, &spec, &sha)?;
    let method: Method = result.method.parse().map_err(|_| {
        usage(format!(
            "--method {}: GOSH refits the inverse-variance model (rma.uni); give one of FE, DL, HE, HS, SJ, ML, REML, EB, PM",
            result.method
        ))
    })?;
    let inputs = rema_data::model_inputs(&table, &spec)?;
    let (yi, vi, labels) = (&inputs.yi, &inputs.vi, &inputs.labels);
    let names = &inputs.names;
    let with_mods = !inputs.design.is_intercept_only();
    let k = yi.len();
    let p = inputs.design.cols();
    let studies = Studies::new(yi, vi).map_err(core_error)?;
    let fit = Rma::with_options(rema_core::FitOptions {
        level: spec.level.percent(),
        ..rema_core::FitOptions::new(method)
    })
    .fit_mods(&studies, &inputs.design)
    .map_err(core_error)?;
    let focus = match &args.coef {
        None => usize::from(with_mods && inputs.design.has_intercept()),
        Some(c) => names.iter().position(|n| n == c).ok_or_else(|| {
            usage(format!(
                "--coef {c}: the model has no such coefficient; its coefficients are {}",
                names.join(", ")
            ))
        })?,
    };
    let highlight = match &args.highlight {
        None => None,
        Some(h) => Some(labels.iter().position(|l| l == h).ok_or_else(|| {
            usage(format!(
                "--highlight {h}: no study has this label; the studies are {}",
                labels.join(", ")
            ))
        })?),
    };
    let seed = args.seed.unwrap_or_else(progress::fresh_seed);
    let which = subsets(args, k, p, seed)?;
    std::fs::create_dir_all(&args.out).map_err(|e| io(&args.out, e))?;

    // The x range of the figure: without moderators every subset's
    // estimate lies between the smallest and the largest effect; with them
    // a coefficient has no such bound, and the range is the 1st to 99th
    // percentile of the coefficient over a seeded pilot of random subsets.
    let mut notes = Vec::new();
    let range = if with_mods {
        let mut xs = Vec::new();
        let pilot = Subsets::Random {
            count: PILOT,
            seed: seed ^ 0x9E37_79B9_7F4A_7C15,
        };
        fit.gosh_following(
            pilot,
            focus,
            &rema_core::resample::Hooks::default(),
            &mut |b| {
                xs.extend(
                    b.fits()
                        .iter()
                        .map(|f| f.estimate)
                        .filter(|x| x.is_finite()),
                );
                Ok(())
            },
        )
        .map_err(core_error)?;
        xs.sort_by(f64::total_cmp);
        let at = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
        let whole = fit.fit().coefficients[focus].estimate;
        if xs.is_empty() {
            (whole - 0.5, whole + 0.5)
        } else {
            let (lo, hi) = (at(0.01).min(whole), at(0.99).max(whole));
            notes.push(format!(
                "the x axis of gosh.svg spans the 1st to 99th percentile of {} over {PILOT} random subsets ({lo:.4} to {hi:.4}); subsets beyond it are drawn at its edges",
                names[focus]
            ));
            (lo, hi)
        }
    } else {
        let lo = yi.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = yi.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    };

    let parquet = args.format == rema_arrow::output::OutputFormat::Parquet;
    let csv_path = args
        .out
        .join(if parquet { "gosh.parquet" } else { "gosh.csv" });
    let mut table =
        rema_arrow::output::create(Some(&csv_path), args.format).map_err(|e| CliError {
            message: e.to_string(),
            code: exit::DATA,
        })?;
    let coef_names: Vec<String> = if with_mods {
        names.to_vec()
    } else {
        vec!["estimate".to_string()]
    };
    let columns_names: Vec<String> = ["subset", "k"]
        .into_iter()
        .map(String::from)
        .chain(coef_names.iter().cloned())
        .chain(["QE", "I2", "H2", "tau2", "studies"].map(String::from))
        .collect();
    let n_coef = coef_names.len();
    let mut bins = GoshBins::new(k, range);
    let mut line = String::new();
    let mut members: Vec<usize> = Vec::with_capacity(k);
    let mut write_error = None;
    let mut sink = |b: &Block| {
        use rema_arrow::output::Column;
        let n = b.fits().len();
        let (mut subset, mut kk, mut studies) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let mut coefs: Vec<Vec<f64>> = (0..n_coef).map(|_| Vec::with_capacity(n)).collect();
        let mut num: [Vec<f64>; 4] = std::array::from_fn(|_| Vec::with_capacity(n));
        for (i, f) in b.fits().iter().enumerate() {
            members.clear();
            members.extend(b.members(i));
            bins.add(f.estimate, f.i2, &members);
            line.clear();
            for (n, j) in members.iter().enumerate() {
                let _ = write!(line, "{}{}", if n == 0 { "" } else { " " }, j + 1);
            }
            subset.push(b.first() as i64 + i as i64 + 1);
            kk.push(f.k as i64);
            for (c, x) in coefs.iter_mut().zip(b.coefficients(i)) {
                c.push(*x);
            }
            for (c, x) in num.iter_mut().zip([f.q, f.i2, f.h2, f.tau2]) {
                c.push(x);
            }
            studies.push(line.clone());
        }
        let [q, i2, h2, t2] = num;
        let columns: Vec<Column> = [Column::I64(subset), Column::I64(kk)]
            .into_iter()
            .chain(coefs.into_iter().map(Column::F64))
            .chain([
                Column::F64(q),
                Column::F64(i2),
                Column::F64(h2),
                Column::F64(t2),
                Column::Text(studies),
            ])
            .collect();
        if let Err(e) = table.write(&columns_names, &columns) {
            write_error = Some(e);
            return Err(rema_core::Error::Cancelled { done: 0, total: 0 });
        }
        Ok(())
    };
    let run = progress::with_hooks(true, |hooks| {
        fit.gosh_following(which, focus, hooks, &mut sink)
    });
    let table_error = |e: rema_arrow::BatchError| CliError {
        message: e.to_string(),
        code: exit::DATA,
    };
    if let Some(e) = write_error {
        return Err(table_error(e));
    }
    let run = run.map_err(core_error)?;
    table.finish().map_err(table_error)?;

    let mut run = run;
    run.notes.extend(notes);
    for (given, flag) in [
        (args.model.test.is_some(), "--test"),
        (args.model.pi_dist.is_some(), "--pi-dist"),
        (args.model.level != rema_data::Level::DEFAULT, "--level"),
    ] {
        if given {
            run.notes.push(format!(
                "{flag} changes no column of a GOSH run (estimate, Q, I2, H2, tau2), as in metafor's gosh()"
            ));
        }
    }
    let followed = with_mods.then(|| names[focus].as_str());
    write_studies(&args.out.join("gosh_studies.csv"), &run, labels)?;
    write_summary(
        args,
        &run,
        labels,
        seed,
        &result.measure,
        &sha,
        names,
        followed,
    )?;

    let mut d = GoshData::new(bins, labels.clone());
    d.highlight = highlight.or(run.most_influential);
    d.title = args.title.clone();
    if let Some(name) = followed {
        // A coefficient of a meta-regression: on its own scale.
        d.ratio = false;
        d.x_label = format!("Coefficient {name}");
    } else {
        let (ratio, x_label) = rema_plot::adapt::effect_axis(&result);
        d.ratio = ratio;
        d.x_label = x_label;
    }
    let svg = gosh_svg(&d);
    let svg_path = args.out.join("gosh.svg");
    std::fs::write(&svg_path, &svg).map_err(|e| io(&svg_path, e))?;
    let png = rema_plot::svg_to_png(&svg, 2.0).map_err(|e| CliError {
        message: e.to_string(),
        code: exit::INTERNAL,
    })?;
    let png_path = args.out.join("gosh.png");
    std::fs::write(&png_path, png).map_err(|e| io(&png_path, e))?;
    println!(
        "{} {} subsets of {k} studies ({}{}), {} failed{}; most influential: {}",
        run.count,
        if matches!(run.subsets, Subsets::All { .. }) {
            "exhaustive"
        } else {
            "random"
        },
        run.method,
        followed.map_or(String::new(), |n| format!(", mods, following {n}")),
        run.failed,
        if with_mods {
            format!(", {} rank deficient", run.rank_deficient)
        } else {
            String::new()
        },
        run.most_influential
            .map(|j| labels[j].as_str())
            .unwrap_or("none")
    );
    for n in &run.notes {
        println!("note: {n}");
    }
    eprintln!("wrote {}", args.out.display());
    Ok(())
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn quoted(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// gosh_studies.csv: one row per study.
fn write_studies(path: &Path, run: &Gosh, labels: &[String]) -> Result<(), CliError> {
    let mut s = String::from(
        "study,label,subsets_with,estimate_with,I2_with,subsets_without,estimate_without,I2_without,distance\n",
    );
    for (j, st) in run.studies.iter().enumerate() {
        let label = quoted(&labels[j]);
        let _ = writeln!(
            s,
            "{},{label},{},{},{},{},{},{},{}",
            j + 1,
            st.with,
            cell(st.with_mean.0),
            cell(st.with_mean.1),
            st.without,
            cell(st.without_mean.0),
            cell(st.without_mean.1),
            cell(st.distance)
        );
    }
    std::fs::write(path, s).map_err(|e| io(path, e))
}

/// gosh.json: the run.
#[allow(clippy::too_many_arguments)]
fn write_summary(
    args: &GoshArgs,
    run: &Gosh,
    labels: &[String],
    seed: u64,
    measure: &str,
    sha: &str,
    coefficients: &[String],
    followed: Option<&str>,
) -> Result<(), CliError> {
    let (kind, max_size, seed) = match run.subsets {
        Subsets::All { max_size } => ("all", max_size, None),
        Subsets::Random { .. } => ("random", None, Some(seed)),
    };
    let doc = serde_json::json!({
        "measure": measure,
        "method": run.method.name(),
        "k": run.k,
        "subsets": kind,
        "max_size": max_size,
        "seed": seed,
        "count": run.count,
        "failed": run.failed,
        "rank_deficient": run.rank_deficient,
        "coefficients": coefficients,
        "followed": followed,
        "most_influential": run.most_influential.map(|j| labels[j].clone()),
        "notes": run.notes,
        "version": rema_data::VERSION,
        "input_sha256": sha,
    });
    let path = args.out.join("gosh.json");
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    std::fs::write(&path, text + "\n").map_err(|e| io(&path, e))
}
