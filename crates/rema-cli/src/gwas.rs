//! `rema gwas`: METAL's GWAS meta-analysis (and its scripts), with random
//! effects added.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use rema_core::Method;
use rema_data::gwas::{
    parse_script, Cohort, Columns, GenomicControl, Gwas, GwasConfig, GwasError, Job, Palindromic,
    Scheme, Separator,
};

use crate::exit::{self, CliError};

/// Meta-analysis of genome-wide association summary files, as METAL.
///
/// Reads one summary file per cohort (a marker, two alleles, and the effect
/// with its standard error, or a p-value, sample size and effect direction
/// for METAL's sample-size scheme), harmonises the alleles (case, order,
/// strand; palindromic A/T and C/G SNPs by allele frequency, or as METAL
/// with --palindromic keep), applies genomic control per cohort, and writes
/// METAL's table with its columns in its order: MarkerName, Allele1,
/// Allele2, Effect, StdErr (or Weight, Zscore), P-value, Direction, and with
/// --heterogeneity HetISq, HetChiSq, HetDf, HetPVal. --random DL,REML adds
/// Tau2_M, Effect_M, StdErr_M and P-value_M per method (rema's fit of the
/// marker's rows, as `rema analyze` on them). Markers are written in the
/// order they are first seen. Every dropped, swapped, strand-flipped or
/// palindromic row is counted per cohort in the log (OUT.log and standard
/// error), with the file and line of the first few of each kind.
///
/// A METAL script can be given instead of the file options: rema runs its
/// SCHEME, MARKER, ALLELE, EFFECT, STDERR, PVALUE, WEIGHT, FREQLABEL,
/// STRANDLABEL, USESTRAND, SEPARATOR, COLUMNCOUNTING, GENOMICCONTROL,
/// DEFAULTWEIGHT, MINWEIGHT, FLIP, EFFECT_PRINT_PRECISION,
/// STDERR_PRINT_PRECISION, MAXWARNINGS, PROCESS, OUTFILE, ANALYZE
/// [HETEROGENEITY], CLEAR and QUIT, with METAL's abbreviations, and stops
/// at any other command with its line. Paths are relative to the working
/// directory, as METAL's.
///
/// Runs on --threads threads (default: all cores); the output is the same
/// at any number.
///
/// Examples:
///   rema gwas --script metal.txt --random DL
///   rema gwas c1.tsv c2.tsv c3.tsv --scheme stderr --marker SNP --allele A1 A2 \
///     --effect BETA --stderr SE --freq EAF --separator tab --heterogeneity \
///     --random DL,REML --out meta.tbl
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct GwasArgs {
    /// The cohort files, in order (or use --script).
    #[arg(conflicts_with = "script")]
    pub files: Vec<PathBuf>,
    /// A METAL script (its PROCESS, OUTFILE and ANALYZE say what to read and write).
    #[arg(long)]
    pub script: Option<PathBuf>,
    /// METAL's SCHEME (default samplesize, as METAL).
    #[arg(long, value_enum, conflicts_with = "script")]
    pub scheme: Option<SchemeArg>,
    /// The marker column (MARKER; default MARKER).
    #[arg(long, conflicts_with = "script")]
    pub marker: Option<String>,
    /// The effect allele and other allele columns (ALLELE; default ALLELE1 ALLELE2).
    #[arg(long, num_args = 2, value_names = ["EFFECT_ALLELE", "OTHER_ALLELE"], conflicts_with = "script")]
    pub allele: Option<Vec<String>>,
    /// The effect column (EFFECT; default EFFECT).
    #[arg(long, conflicts_with = "script")]
    pub effect: Option<String>,
    /// The standard error column (STDERR; default STDERR).
    #[arg(long, conflicts_with = "script")]
    pub stderr: Option<String>,
    /// The p-value column (PVALUE; default PVALUE).
    #[arg(long, conflicts_with = "script")]
    pub pvalue: Option<String>,
    /// The sample-size column (WEIGHT; default N).
    #[arg(long, conflicts_with = "script")]
    pub weight: Option<String>,
    /// The effect-allele frequency column (FREQLABEL; default FREQ).
    #[arg(long, conflicts_with = "script")]
    pub freq: Option<String>,
    /// The strand column, read with --use-strand (STRANDLABEL; default STRAND).
    #[arg(long, requires = "use_strand", conflicts_with = "script")]
    pub strand: Option<String>,
    /// Complement the alleles of rows whose strand is `-` (USESTRAND ON).
    #[arg(long, conflicts_with = "script")]
    pub use_strand: bool,
    /// The field separator (SEPARATOR; default whitespace).
    #[arg(long, value_enum, conflicts_with = "script")]
    pub separator: Option<SeparatorArg>,
    /// Genomic control per cohort: on (estimate λ), off, or a λ (GENOMICCONTROL).
    #[arg(long, conflicts_with = "script")]
    pub genomic_control: Option<String>,
    /// Cochran's Q, I^2 and its p-value (ANALYZE HETEROGENEITY).
    #[arg(long, conflicts_with = "script")]
    pub heterogeneity: bool,
    /// Random-effects models to add, comma-separated: DL, REML (SCHEME STDERR only).
    #[arg(long, value_delimiter = ',')]
    pub random: Vec<String>,
    /// Palindromic (A/T, C/G) SNPs: frequency (resolve by allele frequency,
    /// drop when too close to 0.5 or without one), keep (METAL: same strand,
    /// unchecked), drop.
    #[arg(long, value_enum, default_value = "frequency")]
    pub palindromic: PalindromicArg,
    /// The minor allele frequency above which a palindromic SNP is dropped (frequency mode).
    #[arg(long, default_value_t = 0.42)]
    pub palindromic_maf: f64,
    /// Decimals of Effect and StdErr (EFFECT_PRINT_PRECISION, STDERR_PRINT_PRECISION; default 4).
    #[arg(long, conflicts_with = "script")]
    pub precision: Option<usize>,
    /// The output table (default: standard output; with --script, its OUTFILE).
    #[arg(long, short, conflicts_with = "script")]
    pub out: Option<PathBuf>,
    /// Threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemeArg {
    Samplesize,
    Stderr,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeparatorArg {
    Whitespace,
    Tab,
    Comma,
    Both,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PalindromicArg {
    Frequency,
    Keep,
    Drop,
}

fn usage(message: String) -> CliError {
    CliError {
        message,
        code: exit::USAGE,
    }
}

fn gwas_error(e: GwasError) -> CliError {
    let code = match e {
        GwasError::Option { .. } | GwasError::NoCohorts => exit::USAGE,
        _ => exit::DATA,
    };
    CliError {
        message: e.to_string(),
        code,
    }
}

fn methods(names: &[String]) -> Result<Vec<Method>, CliError> {
    names
        .iter()
        .map(|n| match n.to_ascii_uppercase().as_str() {
            "DL" => Ok(Method::Dl),
            "REML" => Ok(Method::Reml),
            other => Err(usage(format!(
                "--random {other}: rema gwas offers DL and REML"
            ))),
        })
        .collect()
}

fn jobs(args: &GwasArgs) -> Result<Vec<Job>, CliError> {
    let random = methods(&args.random)?;
    let palindromic = match args.palindromic {
        PalindromicArg::Frequency => Palindromic::Frequency,
        PalindromicArg::Keep => Palindromic::Keep,
        PalindromicArg::Drop => Palindromic::Drop,
    };
    let mut jobs = if let Some(script) = &args.script {
        let text = std::fs::read_to_string(script).map_err(|e| CliError {
            message: format!("{}: cannot read the script: {e}", script.display()),
            code: exit::DATA,
        })?;
        parse_script(&text, &script.display().to_string(), Path::new("")).map_err(gwas_error)?
    } else {
        if args.files.is_empty() {
            return Err(usage(
                "no cohort files: give them as arguments or use --script".into(),
            ));
        }
        let d = Columns::default();
        let columns = Columns {
            marker: args.marker.clone().unwrap_or(d.marker),
            alleles: match &args.allele {
                Some(a) if a.len() == 2 => (a[0].clone(), a[1].clone()),
                _ => d.alleles,
            },
            effect: args.effect.clone().unwrap_or(d.effect),
            stderr: args.stderr.clone().unwrap_or(d.stderr),
            pvalue: args.pvalue.clone().unwrap_or(d.pvalue),
            weight: args.weight.clone().unwrap_or(d.weight),
            freq: args.freq.clone().unwrap_or(d.freq),
            strand: args.strand.clone().unwrap_or(d.strand),
        };
        let genomic_control = match args.genomic_control.as_deref() {
            None | Some("off") | Some("OFF") => GenomicControl::Off,
            Some("on") | Some("ON") => GenomicControl::Estimate,
            Some(v) => match v.parse::<f64>() {
                Ok(l) if l > 0.0 && l.is_finite() => GenomicControl::Fixed(l),
                _ => {
                    return Err(usage(format!(
                        "--genomic-control {v}: use on, off or a λ above 0"
                    )))
                }
            },
        };
        let separator = match args.separator {
            None | Some(SeparatorArg::Whitespace) => Separator::Whitespace,
            Some(SeparatorArg::Tab) => Separator::Tab,
            Some(SeparatorArg::Comma) => Separator::Comma,
            Some(SeparatorArg::Both) => Separator::Both,
        };
        let cohorts = args
            .files
            .iter()
            .map(|f| Cohort {
                columns: columns.clone(),
                separator,
                genomic_control,
                use_strand: args.use_strand,
                ..Cohort::new(f)
            })
            .collect();
        let precision = args.precision.unwrap_or(4).min(17);
        vec![Job {
            config: GwasConfig {
                scheme: match args.scheme {
                    Some(SchemeArg::Stderr) => Scheme::StdErr,
                    None | Some(SchemeArg::Samplesize) => Scheme::SampleSize,
                },
                cohorts,
                heterogeneity: args.heterogeneity,
                effect_precision: precision,
                stderr_precision: precision,
                ..GwasConfig::default()
            },
            outfile: args.out.clone().unwrap_or_default(),
        }]
    };
    for job in &mut jobs {
        job.config.random = random.clone();
        job.config.palindromic = palindromic;
        job.config.palindromic_maf = args.palindromic_maf;
    }
    Ok(jobs)
}

fn run_job(job: Job) -> Result<(), CliError> {
    let to_stdout = job.outfile.as_os_str().is_empty();
    let gwas = Gwas::read(job.config).map_err(gwas_error)?;
    let io = |path: &Path, e: std::io::Error| CliError {
        message: format!("{}: cannot write the output: {e}", path.display()),
        code: exit::DATA,
    };
    let log = if to_stdout {
        let stdout = std::io::stdout();
        let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
        gwas.write(&mut out)
            .map_err(|e| io(Path::new("stdout"), e))?
    } else {
        let file = File::create(&job.outfile).map_err(|e| io(&job.outfile, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        gwas.write(&mut out).map_err(|e| io(&job.outfile, e))?
    };
    let text = log.to_string();
    eprint!("{text}");
    if !to_stdout {
        let mut path = job.outfile.clone().into_os_string();
        path.push(".log");
        let path = PathBuf::from(path);
        let mut f = File::create(&path).map_err(|e| io(&path, e))?;
        f.write_all(text.as_bytes()).map_err(|e| io(&path, e))?;
        eprintln!("wrote {} and {}", job.outfile.display(), path.display());
    }
    Ok(())
}

pub fn run(args: &GwasArgs) -> Result<(), CliError> {
    let jobs = jobs(args)?;
    let work = || jobs.into_iter().try_for_each(run_job);
    match args.threads {
        None => work(),
        Some(0) => Err(usage("--threads 0: give at least 1".into())),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| usage(format!("--threads {n}: {e}")))?
            .install(work),
    }
}
