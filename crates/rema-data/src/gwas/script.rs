//! METAL scripts (`RunScript` in statgen/METAL `metal/Main.cpp`).
//!
//! A command is matched as METAL matches it: the first word, in any case,
//! may be any prefix of the command's name that is long enough, and the
//! commands are tried in METAL's order (so `EFFECT` is `EFFECTLABEL` and
//! `STDERR` is `STDERRLABEL`). Settings apply to the files processed after
//! them; `ANALYZE` pools every file processed so far into the next output
//! file. Where METAL silently ignores a line it cannot use, rema stops with
//! the script's file and line and what it supports.

use std::path::{Path, PathBuf};

use super::config::{Cohort, Columns, GenomicControl, GwasConfig, Scheme, Separator};
use super::error::GwasError;

/// One `ANALYZE` of a script: what to pool and where to write it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The analysis.
    pub config: GwasConfig,
    /// The output table (METAL's `OUTFILE prefix suffix` gives
    /// `prefix<round>suffix`; the default is `METAANALYSIS<round>.TBL`).
    pub outfile: PathBuf,
}

/// The commands rema runs, for the error message.
pub const SUPPORTED: &str = "SCHEME, MARKER, ALLELE, EFFECT, STDERR, PVALUE, WEIGHT, FREQLABEL, STRANDLABEL, USESTRAND, SEPARATOR, COLUMNCOUNTING, GENOMICCONTROL (ON, OFF or a value), DEFAULTWEIGHT, MINWEIGHT, FLIP, EFFECT_PRINT_PRECISION, STDERR_PRINT_PRECISION, MAXWARNINGS, PROCESS, OUTFILE, ANALYZE [HETEROGENEITY], CLEAR, QUIT";

/// Whether `word` names `command`: a case-insensitive prefix of it, longer
/// than `more_than` characters (METAL's `MatchesBeginningOf` and lengths).
fn is(word: &str, command: &str, more_than: usize) -> bool {
    word.len() > more_than
        && word.len() <= command.len()
        && command.as_bytes()[..word.len()].eq_ignore_ascii_case(word.as_bytes())
}

fn on_off(word: &str) -> Option<bool> {
    if word == "ON" {
        Some(true)
    } else if is(word, "OFF", 1) {
        Some(false)
    } else {
        None
    }
}

struct State {
    scheme: Scheme,
    columns: Columns,
    separator: Separator,
    genomic_control: GenomicControl,
    use_strand: bool,
    default_weight: f64,
    flip: bool,
    strict_columns: bool,
    effect_precision: usize,
    stderr_precision: usize,
    min_weight: f64,
    max_examples: usize,
    cohorts: Vec<Cohort>,
    out_prefix: String,
    out_suffix: String,
    round: usize,
}

/// Parses a METAL script into its analyses. Relative `PROCESS` and `OUTFILE`
/// paths are taken from `base` (METAL: the working directory).
pub fn parse_script(text: &str, file: &str, base: &Path) -> Result<Vec<Job>, GwasError> {
    let mut s = State {
        scheme: Scheme::SampleSize,
        columns: Columns::default(),
        separator: Separator::Whitespace,
        genomic_control: GenomicControl::Off,
        use_strand: false,
        default_weight: 1.0,
        flip: false,
        strict_columns: true,
        effect_precision: 4,
        stderr_precision: 4,
        min_weight: 1.0,
        max_examples: 20,
        cohorts: Vec::new(),
        out_prefix: "METAANALYSIS".into(),
        out_suffix: ".TBL".into(),
        round: 1,
    };
    let mut jobs = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let t: Vec<&str> = trimmed.split_whitespace().collect();
        let err = |message: String| GwasError::Script {
            file: file.to_string(),
            line,
            message,
        };
        let cmd = t[0];
        let arg = |n: usize| -> Result<&str, GwasError> {
            t.get(n).copied().ok_or_else(|| {
                err(format!(
                    "`{cmd}` needs {} argument{}",
                    n,
                    if n == 1 { "" } else { "s" }
                ))
            })
        };
        let number = |n: usize| -> Result<f64, GwasError> {
            let a = arg(n)?;
            a.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| err(format!("`{cmd} {a}`: `{a}` is not a number")))
        };
        let count = |n: usize| -> Result<usize, GwasError> {
            let a = arg(n)?;
            a.parse::<usize>()
                .map_err(|_| err(format!("`{cmd} {a}`: `{a}` is not a whole number")))
        };
        let unsupported = |what: &str| {
            err(format!(
                "METAL's `{cmd}` ({what}) is not supported by rema gwas; rema runs {SUPPORTED}"
            ))
        };
        if is(cmd, "ANALYZE", 1) || is(cmd, "ANALYSE", 1) {
            let heterogeneity = match t.get(1) {
                None => false,
                Some(w) if is(w, "HETEROGENEITY", 0) => true,
                Some(w) => {
                    return Err(err(format!(
                        "`ANALYZE {w}`: rema runs ANALYZE or ANALYZE HETEROGENEITY (random effects come from --random)"
                    )))
                }
            };
            if s.cohorts.is_empty() {
                return Err(err(
                    "ANALYZE before any PROCESS: there is nothing to pool".into()
                ));
            }
            let name = format!("{}{}{}", s.out_prefix, s.round, s.out_suffix);
            s.round += 1;
            jobs.push(Job {
                config: GwasConfig {
                    scheme: s.scheme,
                    cohorts: s.cohorts.clone(),
                    heterogeneity,
                    effect_precision: s.effect_precision,
                    stderr_precision: s.stderr_precision,
                    min_weight: s.min_weight,
                    max_examples: s.max_examples,
                    ..GwasConfig::default()
                },
                outfile: base.join(name),
            });
            continue;
        }
        if is(cmd, "CLEAR", 1) {
            s.cohorts.clear();
            continue;
        }
        if is(cmd, "REMOVEFILTERS", 2) {
            return Err(unsupported("filters"));
        }
        if is(cmd, "FLIP", 1) {
            s.flip = !s.flip;
            continue;
        }
        if is(cmd, "HELP", 0) {
            return Err(unsupported("the interactive help"));
        }
        if is(cmd, "QUIT", 0) || is(cmd, "EXIT", 1) || is(cmd, "RETURN", 2) {
            break;
        }
        if is(cmd, "COLUMNCOUNTING", 1) {
            let a = arg(1)?;
            s.strict_columns = if is(a, "STRICT", 0) {
                true
            } else if is(a, "LENIENT", 0) {
                false
            } else {
                return Err(err(format!("`COLUMNCOUNTING {a}`: use STRICT or LENIENT")));
            };
            continue;
        }
        if is(cmd, "CUSTOMVARIABLE", 1) {
            return Err(unsupported("custom variables"));
        }
        if is(cmd, "DEFAULTWEIGHT", 0) {
            s.default_weight = number(1)?;
            continue;
        }
        if is(cmd, "WEIGHTLABEL", 0) {
            s.columns.weight = arg(1)?.to_string();
            continue;
        }
        if is(cmd, "GENOMICCONTROL", 0) {
            let a = arg(1)?;
            s.genomic_control = if a == "ON" {
                GenomicControl::Estimate
            } else if is(a, "OFF", 1) {
                GenomicControl::Off
            } else if is(a, "LIST", 0) {
                return Err(unsupported("genomic control from a list of markers"));
            } else {
                match a.parse::<f64>() {
                    Ok(l) if l > 0.0 && l.is_finite() => GenomicControl::Fixed(l),
                    _ => {
                        return Err(err(format!(
                            "`GENOMICCONTROL {a}`: use ON, OFF or a λ above 0"
                        )))
                    }
                }
            };
            continue;
        }
        if is(cmd, "LOGPVALUE", 0) {
            return Err(unsupported("log p-values"));
        }
        if is(cmd, "USESTRAND", 3) {
            s.use_strand =
                on_off(arg(1)?).ok_or_else(|| err(format!("`{cmd} {}`: use ON or OFF", t[1])))?;
            continue;
        }
        if is(cmd, "VERBOSE", 0) {
            return Err(unsupported("per-row printing"));
        }
        if is(cmd, "AVERAGEFREQUENCY", 1) || is(cmd, "MINMAXFREQUENCY", 3) {
            return Err(unsupported("frequency summaries"));
        }
        if is(cmd, "MARKERLABEL", 2) {
            s.columns.marker = arg(1)?.to_string();
            continue;
        }
        if is(cmd, "MAXWARNINGS", 2) {
            s.max_examples = count(1)?;
            continue;
        }
        if is(cmd, "PVALUELABEL", 1) {
            s.columns.pvalue = arg(1)?.to_string();
            continue;
        }
        if is(cmd, "EFFECTLABEL", 1) {
            let a = arg(1)?;
            if a.starts_with("log(") {
                return Err(unsupported("log-transformed effects, `log(...)`"));
            }
            s.columns.effect = a.to_string();
            continue;
        }
        if is(cmd, "FREQLABEL", 1) {
            s.columns.freq = arg(1)?.to_string();
            continue;
        }
        if is(cmd, "SOURCE", 1) {
            return Err(unsupported("reading another script"));
        }
        if is(cmd, "STDERRLABEL", 2) {
            s.columns.stderr = arg(1)?.to_string();
            continue;
        }
        if is(cmd, "STRANDLABEL", 2) {
            s.columns.strand = arg(1)?.to_string();
            continue;
        }
        if is(cmd, "CHROMOSOMELABEL", 2) || is(cmd, "POSITIONLABEL", 2) {
            return Err(unsupported("positions are not tracked (TRACKPOSITIONS)"));
        }
        if is(cmd, "SCHEME", 1) {
            let a = arg(1)?;
            if !s.cohorts.is_empty() || !jobs.is_empty() {
                return Err(err("SCHEME must come before the first PROCESS".into()));
            }
            s.scheme = if is(a, "SAMPLESIZE", 1) {
                Scheme::SampleSize
            } else if is(a, "STDERR", 1) {
                Scheme::StdErr
            } else {
                return Err(err(format!("`SCHEME {a}`: use SAMPLESIZE or STDERR")));
            };
            continue;
        }
        if is(cmd, "SEPARATOR", 1) {
            let a = arg(1)?;
            s.separator = if is(a, "WHITESPACE", 0) {
                Separator::Whitespace
            } else if is(a, "COMMAS", 0) {
                Separator::Comma
            } else if is(a, "TABS", 0) {
                Separator::Tab
            } else if is(a, "BOTH", 0) {
                Separator::Both
            } else {
                return Err(err(format!(
                    "`SEPARATOR {a}`: use WHITESPACE, COMMAS, TABS or BOTH"
                )));
            };
            continue;
        }
        if is(cmd, "PROCESSFILE", 1) {
            // METAL takes the rest of the line's first word as the name.
            let path = arg(1)?;
            s.cohorts.push(Cohort {
                path: base.join(path),
                columns: s.columns.clone(),
                separator: s.separator,
                genomic_control: s.genomic_control,
                use_strand: s.use_strand,
                default_weight: s.default_weight,
                flip: s.flip,
                strict_columns: s.strict_columns,
            });
            continue;
        }
        if is(cmd, "MINWEIGHT", 3) {
            s.min_weight = number(1)?;
            continue;
        }
        if is(cmd, "OVERLAP", 0) || is(cmd, "ZCUTOFF", 0) {
            return Err(unsupported("the sample-overlap correction"));
        }
        if is(cmd, "TRACKPOSITIONS", 0) {
            return Err(unsupported("positions are not tracked"));
        }
        if is(cmd, "EFFECT_PRINT_PRECISION", 0) {
            s.effect_precision = count(1)?.min(17);
            continue;
        }
        if is(cmd, "STDERR_PRINT_PRECISION", 0) {
            s.stderr_precision = count(1)?.min(17);
            continue;
        }
        if is(cmd, "ALLELELABELS", 1) {
            s.columns.alleles = (arg(1)?.to_string(), arg(2)?.to_string());
            continue;
        }
        if is(cmd, "OUTFILE", 0) {
            s.out_prefix = arg(1)?.to_string();
            s.out_suffix = arg(2)?.to_string();
            s.round = 1;
            continue;
        }
        if is(cmd, "ADDFILTER", 2) || is(cmd, "LABEL", 0) {
            return Err(unsupported("filters and custom labels"));
        }
        return Err(err(format!(
            "`{cmd}` is not a METAL command rema knows; rema runs {SUPPORTED}"
        )));
    }
    if jobs.is_empty() {
        return Err(GwasError::Script {
            file: file.to_string(),
            line: text.lines().count(),
            message: "the script never runs ANALYZE, so there is nothing to write; end it with ANALYZE (or ANALYZE HETEROGENEITY)".into(),
        });
    }
    Ok(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "\
# the scale-measurement script
SCHEME STDERR
MARKER SNP
ALLELE A1 A2
EFFECT BETA
STDERR SE
FREQLABEL EAF
SEPARATOR TAB
GENOMICCONTROL ON
PROCESS c1.txt
GENOMICCONTROL OFF
MARKER rsid
PROCESS c2.txt
OUTFILE out .tbl
ANALYZE HETEROGENEITY
QUIT
ANALYZE
";

    #[test]
    fn settings_apply_to_the_files_processed_after_them() {
        let jobs = parse_script(SCRIPT, "s.metal", Path::new("/d")).unwrap();
        assert_eq!(jobs.len(), 1, "QUIT ends the script");
        let j = &jobs[0];
        assert_eq!(j.outfile, Path::new("/d/out1.tbl"));
        assert!(j.config.heterogeneity);
        assert_eq!(j.config.scheme, Scheme::StdErr);
        let (c1, c2) = (&j.config.cohorts[0], &j.config.cohorts[1]);
        assert_eq!(
            (c1.columns.marker.as_str(), c2.columns.marker.as_str()),
            ("SNP", "rsid")
        );
        assert_eq!(c1.columns.alleles, ("A1".to_string(), "A2".to_string()));
        assert_eq!(
            (c1.columns.effect.as_str(), c1.columns.stderr.as_str()),
            ("BETA", "SE")
        );
        assert_eq!(c1.genomic_control, GenomicControl::Estimate);
        assert_eq!(c2.genomic_control, GenomicControl::Off);
        assert_eq!(c1.separator, Separator::Tab);
        assert_eq!(c1.path, Path::new("/d/c1.txt"));
    }

    #[test]
    fn unknown_and_unsupported_commands_name_the_line() {
        let e =
            parse_script("SCHEME STDERR\nAVERAGEFREQ ON\n", "s.metal", Path::new(".")).unwrap_err();
        let m = e.to_string();
        assert!(
            m.starts_with("s.metal line 2:")
                && m.contains("not supported")
                && m.contains("PROCESS"),
            "{m}"
        );
        let e = parse_script("FROBNICATE 3\n", "s.metal", Path::new(".")).unwrap_err();
        assert!(matches!(e, GwasError::Script { line: 1, .. }), "{e}");
        let e = parse_script("PROCESS a\nSCHEME STDERR\n", "s.metal", Path::new(".")).unwrap_err();
        assert!(e.to_string().contains("before the first PROCESS"), "{e}");
        let e = parse_script("PROCESS a\n", "s.metal", Path::new(".")).unwrap_err();
        assert!(e.to_string().contains("never runs ANALYZE"), "{e}");
    }

    #[test]
    fn abbreviations_match_as_in_metal() {
        // "EFFECT" is EFFECTLABEL, "STDERR" STDERRLABEL, "SEP TAB" tabs,
        // "PROC" PROCESSFILE, "ANALYSE HET" heterogeneity.
        let jobs = parse_script(
            "scheme stderr\nEFFECT b\nSTDERR s\nSEP TAB\nPROC f\nANALYSE HET\n",
            "s",
            Path::new("."),
        )
        .unwrap();
        let c = &jobs[0].config.cohorts[0];
        assert_eq!(
            (c.columns.effect.as_str(), c.columns.stderr.as_str()),
            ("b", "s")
        );
        assert_eq!(c.separator, Separator::Tab);
        assert!(jobs[0].config.heterogeneity);
        assert_eq!(jobs[0].outfile, Path::new("./METAANALYSIS1.TBL"));
    }
}
