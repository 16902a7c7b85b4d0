//! `rema gwas` on a generated GWAS with planted problems, against
//! expectations computed here by hand from the generator's truth: allele
//! swaps, strand flips, palindromic SNPs (resolved by frequency, or too close
//! to 0.5 and dropped), case and numeric codes, duplicates, SE ≤ 0, NA,
//! ragged lines, mismatched alleles. Every planted row must be counted in
//! the log, every marker's pooled effect must equal the inverse-variance
//! mean of its true, correctly oriented rows, the output must not depend on
//! the number of threads, and the random-effects columns must equal
//! `rema analyze` on the marker's rows, bit for bit.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rema_core::Method;
use rema_data::gwas::{
    parse_cohort_bytes, Cohort, Drop, GenomicControl, Gwas, GwasConfig, GwasError, Palindromic,
    Scheme, Separator,
};
use rema_data::{analyze, AnalysisSpec, Model, Table};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const BASES: [char; 4] = ['A', 'C', 'G', 'T'];
fn comp(b: char) -> char {
    match b {
        'A' => 'T',
        'C' => 'G',
        'G' => 'C',
        _ => 'A',
    }
}

/// What the generator planted, per cohort.
#[derive(Default, Debug, Clone)]
struct Planted {
    swapped: u64,
    strand: u64,
    pal_same: u64,
    pal_flipped: u64,
    drops: HashMap<Drop, u64>,
    used: u64,
}

struct Truth {
    /// Per marker: the true effect allele (on cohort 1's strand) and the
    /// used rows (cohort, y for that allele, se).
    alleles: Vec<(char, char)>,
    used: Vec<Vec<(usize, f64, f64)>>,
    planted: Vec<Planted>,
}

const M: usize = 3000;
const C: usize = 4;

/// Writes C cohort files into `dir` and returns what they should give.
fn generate(dir: &Path) -> (Vec<PathBuf>, Truth) {
    let mut rng = Rng(7);
    let mut alleles = Vec::new();
    let mut freq = Vec::new();
    for m in 0..M {
        let i1 = rng.below(4) as usize;
        let i2 = (i1 + 1 + rng.below(3) as usize) % 4;
        alleles.push((BASES[i1], BASES[i2]));
        // Every 50th marker has a frequency too close to 0.5 to tell a
        // palindromic SNP's strand.
        freq.push(if m % 50 == 0 {
            0.47
        } else {
            0.05 + 0.3 * rng.uniform()
        });
    }
    let mut used = vec![Vec::new(); M];
    let mut planted = vec![Planted::default(); C];
    let mut paths = Vec::new();
    #[allow(clippy::needless_range_loop)]
    for c in 0..C {
        let mut text = String::from("SNP\tA1\tA2\tEAF\tBETA\tSE\n");
        let p = &mut planted[c];
        let mut line = 1u64;
        let mut push = |text: &mut String, row: String| {
            text.push_str(&row);
            text.push('\n');
            line += 1;
        };
        for m in 0..M {
            if c > 0 && rng.uniform() < 0.05 {
                continue; // missing in this cohort
            }
            let (a, b) = alleles[m];
            let palindromic = comp(a) == b;
            let y = ((rng.uniform() - 0.5) * 0.2 * 1e6).round() / 1e6;
            let se = ((0.01 + 0.05 * rng.uniform()) * 1e6).round() / 1e6;
            let f = freq[m];
            // Cohort 1 is the reference: as generated. Later cohorts swap
            // and flip strands.
            let swap = c > 0 && rng.uniform() < 0.5;
            let strand = c > 0 && rng.uniform() < 0.3;
            let (mut r1, mut r2, mut ry, mut rf) = (a, b, y, f);
            if swap {
                std::mem::swap(&mut r1, &mut r2);
                ry = -ry;
                rf = 1.0 - rf;
            }
            if strand {
                r1 = comp(r1);
                r2 = comp(r2);
            }
            let (s1, s2) = match c {
                1 => (
                    r1.to_ascii_lowercase().to_string(),
                    r2.to_ascii_lowercase().to_string(),
                ),
                2 => {
                    let code =
                        |x: char| (BASES.iter().position(|&b| b == x).unwrap() + 1).to_string();
                    (code(r1), code(r2))
                }
                _ => (r1.to_string(), r2.to_string()),
            };
            let name = format!("rs{m}");
            // Planted bad rows, before the good one (they must not take its
            // place) or after it (a duplicate).
            if c == 1 && m % 97 == 5 {
                push(&mut text, format!("{name}\t{s1}\t{s2}\t{rf}\t{ry}\t0"));
                *p.drops.entry(Drop::InvalidStderr).or_default() += 1;
            }
            if c == 2 && m % 89 == 7 {
                push(&mut text, format!("{name}\t{s1}\t{s2}\t{rf}\tNA\t{se}"));
                *p.drops.entry(Drop::MissingValue).or_default() += 1;
            }
            if c == 3 && m % 83 == 3 {
                push(&mut text, format!("{name}\t{s1}\t{s2}\t{rf}\t{ry}"));
                *p.drops.entry(Drop::FieldCount).or_default() += 1;
            }
            if c == 3 && m % 211 == 11 {
                // An allele no strand of the reference's has (a deletion).
                push(&mut text, format!("{name}\tD\t{s2}\t{rf}\t{ry}\t{se}"));
                *p.drops.entry(Drop::BadAlleles).or_default() += 1;
                continue;
            }
            push(&mut text, format!("{name}\t{s1}\t{s2}\t{rf}\t{ry}\t{se}"));
            let ambiguous = palindromic && m % 50 == 0 && c > 0;
            if ambiguous {
                *p.drops.entry(Drop::PalindromicAmbiguous).or_default() += 1;
            } else {
                p.used += 1;
                used[m].push((c, y, se));
                if c > 0 {
                    if palindromic {
                        if strand {
                            p.pal_flipped += 1;
                        } else {
                            p.pal_same += 1;
                        }
                    } else {
                        p.swapped += u64::from(swap);
                        p.strand += u64::from(strand);
                    }
                }
            }
            if c == 2 && m % 101 == 9 {
                push(&mut text, format!("{name}\t{s1}\t{s2}\t{rf}\t9.9\t{se}"));
                // An ambiguous palindromic row is dropped as such before
                // the duplicate check (METAL's order: alleles first).
                let reason = if ambiguous {
                    Drop::PalindromicAmbiguous
                } else {
                    Drop::Duplicate
                };
                *p.drops.entry(reason).or_default() += 1;
            }
        }
        let path = dir.join(format!("cohort{}.tsv", c + 1));
        std::fs::write(&path, text).unwrap();
        paths.push(path);
    }
    (
        paths,
        Truth {
            alleles,
            used,
            planted,
        },
    )
}

fn config(paths: &[PathBuf]) -> GwasConfig {
    let cohorts = paths
        .iter()
        .map(|p| {
            let mut c = Cohort::new(p);
            c.columns.marker = "SNP".into();
            c.columns.alleles = ("A1".into(), "A2".into());
            c.columns.effect = "BETA".into();
            c.columns.stderr = "SE".into();
            c.columns.freq = "EAF".into();
            c.separator = Separator::Tab;
            c
        })
        .collect();
    GwasConfig {
        scheme: Scheme::StdErr,
        cohorts,
        heterogeneity: true,
        random: vec![Method::Dl, Method::Reml],
        effect_precision: 12,
        stderr_precision: 12,
        ..GwasConfig::default()
    }
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rema-gwas-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(config: GwasConfig, threads: usize) -> (String, rema_data::gwas::GwasLog) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let g = Gwas::read(config).unwrap();
        let mut out = Vec::new();
        let log = g.write(&mut out).unwrap();
        (String::from_utf8(out).unwrap(), log)
    })
}

#[test]
fn planted_flips_strands_and_palindromes_are_harmonised_and_counted() {
    let dir = tempdir("planted");
    let (paths, truth) = generate(&dir);
    let (table, log) = run(config(&paths), 2);
    for (c, (got, want)) in log.cohorts.iter().zip(&truth.planted).enumerate() {
        assert_eq!(got.used, want.used, "cohort {} used", c + 1);
        assert_eq!(got.swapped, want.swapped, "cohort {} swaps", c + 1);
        assert_eq!(
            got.strand_flipped,
            want.strand,
            "cohort {} strand flips",
            c + 1
        );
        assert_eq!(
            got.palindromic_same,
            want.pal_same,
            "cohort {} palindromic same",
            c + 1
        );
        assert_eq!(
            got.palindromic_flipped,
            want.pal_flipped,
            "cohort {} palindromic flipped",
            c + 1
        );
        for d in Drop::ALL {
            assert_eq!(
                got.count(d),
                want.drops.get(&d).copied().unwrap_or(0),
                "cohort {} drops {d:?}",
                c + 1
            );
        }
    }
    // Located examples: the first SE = 0 row of cohort 2 is marker rs5.
    let c2 = &log.cohorts[1];
    let (_, e) = c2
        .examples
        .iter()
        .find(|(d, _)| *d == Drop::InvalidStderr)
        .unwrap();
    assert_eq!(e.marker, "rs5");
    assert!(log
        .to_string()
        .contains(&format!("{} line {}: marker `rs5`", c2.file, e.line)));

    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(
        &header[..11],
        [
            "MarkerName",
            "Allele1",
            "Allele2",
            "Effect",
            "StdErr",
            "P-value",
            "Direction",
            "HetISq",
            "HetChiSq",
            "HetDf",
            "HetPVal"
        ]
    );
    let mut seen = 0;
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        let m: usize = f[0][2..].parse().unwrap();
        let rows = &truth.used[m];
        let (sw, swy) = rows.iter().fold((0.0, 0.0), |(a, b), &(_, y, se)| {
            (a + 1.0 / (se * se), b + y / (se * se))
        });
        let est = swy / sw;
        let q: f64 = rows
            .iter()
            .map(|&(_, y, se)| (y - est).powi(2) / (se * se))
            .sum();
        // The printed Allele1 is the true effect allele or the other one.
        let (a, b) = truth.alleles[m];
        let sign = if f[1] == a.to_ascii_lowercase().to_string() {
            assert_eq!(f[2], b.to_ascii_lowercase().to_string());
            1.0
        } else {
            assert_eq!(
                (f[1], f[2]),
                (
                    b.to_ascii_lowercase().to_string().as_str(),
                    a.to_ascii_lowercase().to_string().as_str()
                )
            );
            -1.0
        };
        let effect: f64 = f[3].parse().unwrap();
        let se: f64 = f[4].parse().unwrap();
        assert!(
            (effect - sign * est).abs() < 1e-11,
            "rs{m}: {effect} vs {}",
            sign * est
        );
        assert!((se - (1.0 / sw).sqrt()).abs() < 1e-11, "rs{m}");
        let chi: f64 = f[8].parse().unwrap();
        assert!((chi - q).abs() < 5e-4, "rs{m}: Q {chi} vs {q}");
        assert_eq!(f[9], (rows.len() - 1).to_string(), "rs{m} HetDf");
        let direction: String = (0..C)
            .map(|c| match rows.iter().find(|r| r.0 == c) {
                None => '?',
                Some(&(_, y, _)) if sign * y > 0.0 => '+',
                Some(&(_, y, _)) if sign * y < 0.0 => '-',
                Some(_) => '0',
            })
            .collect();
        assert_eq!(f[6], direction, "rs{m} direction");
        seen += 1;
    }
    assert_eq!(seen, M);
    assert_eq!(log.written, M as u64);
}

#[test]
fn output_is_identical_at_any_thread_count() {
    let dir = tempdir("threads");
    let (paths, _) = generate(&dir);
    let (one, _) = run(config(&paths), 1);
    let (two, _) = run(config(&paths), 2);
    let (three, _) = run(config(&paths), 3);
    assert!(one == two && two == three);
}

#[test]
fn random_effects_columns_equal_rema_analyze_on_the_marker() {
    let dir = tempdir("analyze");
    let (paths, _) = generate(&dir);
    let mut g = Gwas::read(config(&paths)).unwrap();
    for name in ["rs1", "rs77", "rs1234", "rs2999"] {
        let fit = g.marker(name).unwrap();
        let mut csv = String::from("study,yi,vi\n");
        for (i, (y, v)) in fit.yi.iter().zip(&fit.vi).enumerate() {
            writeln!(csv, "c{i},{y:?},{v:?}").unwrap();
        }
        let table = Table::from_str(&csv, "marker.csv").unwrap();
        for method in [Method::Dl, Method::Reml] {
            let mut spec = AnalysisSpec::new("GEN".parse().unwrap());
            spec.method = Model::Rma(method);
            let r = analyze(&table, &spec, "0").unwrap();
            let (tau2, est, se) =
                rema_data::gwas::random_effects(&fit.yi, &fit.vi, method).unwrap();
            assert_eq!(
                (tau2.to_bits(), est.to_bits(), se.to_bits()),
                (
                    r.summary.tau2.to_bits(),
                    r.summary.estimate.to_bits(),
                    r.summary.se.to_bits()
                ),
                "{name} {method:?}"
            );
        }
    }
}

#[test]
fn genomic_control_divides_the_weights_by_the_median_chi_square() {
    let dir = tempdir("gc");
    let (paths, truth) = generate(&dir);
    let mut cfg = config(&paths);
    cfg.random.clear();
    for c in &mut cfg.cohorts {
        c.genomic_control = GenomicControl::Estimate;
    }
    cfg.cohorts[3].genomic_control = GenomicControl::Fixed(1.5);
    let (table, log) = run(cfg, 2);
    // λ by hand: the upper median of (y/se)² over the used rows / 0.4549364.
    let mut lambdas = Vec::new();
    for c in 0..C {
        let mut chi: Vec<f64> = truth
            .used
            .iter()
            .flat_map(|rows| {
                rows.iter()
                    .filter(|r| r.0 == c)
                    .map(|&(_, y, se)| y * y * (1.0 / (se * se)))
            })
            .collect();
        chi.sort_by(f64::total_cmp);
        let l = if c == 3 {
            1.5
        } else {
            chi[chi.len() / 2] / 0.4549364
        };
        assert!(
            (log.cohorts[c].lambda.unwrap() - l).abs() < 1e-12 * l,
            "cohort {}",
            c + 1
        );
        lambdas.push(l.max(1.0));
    }
    let line = table.lines().find(|l| l.starts_with("rs10\t")).unwrap();
    let f: Vec<&str> = line.split('\t').collect();
    let sw: f64 = truth.used[10]
        .iter()
        .map(|&(c, _, se)| 1.0 / (se * se * lambdas[c]))
        .sum();
    let se: f64 = f[4].parse().unwrap();
    assert!((se - (1.0 / sw).sqrt()).abs() < 1e-11);
}

#[test]
fn sample_size_scheme_pools_z_scores_weighted_by_root_n() {
    let dir = tempdir("samplesize");
    let text = "MARKER ALLELE1 ALLELE2 EFFECT PVALUE N\n\
                rs1 A G 0.1 0.01 1000\n\
                rs2 A C -0.2 0.5 400\n";
    let text2 = "MARKER ALLELE1 ALLELE2 EFFECT PVALUE N\n\
                 rs1 G A 0.3 0.04 3000\n\
                 rs2 t g 0.1 1e-300 100\n";
    std::fs::write(dir.join("s1.txt"), text).unwrap();
    std::fs::write(dir.join("s2.txt"), text2).unwrap();
    let cfg = GwasConfig {
        scheme: Scheme::SampleSize,
        cohorts: vec![
            Cohort::new(dir.join("s1.txt")),
            Cohort::new(dir.join("s2.txt")),
        ],
        heterogeneity: true,
        ..GwasConfig::default()
    };
    let (table, _) = run(cfg, 1);
    let row = |name: &str| -> Vec<String> {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{name}\t")))
            .unwrap()
            .split('\t')
            .map(String::from)
            .collect()
    };
    // rs1: z1 = +qnorm(0.995) (effect of a), z2 = -qnorm(0.98) (G/A: the
    // effect is of g, so a's is turned).
    let z1 = 2.5758293035489004;
    let z2 = -2.053748910631823;
    let z = (1000f64.sqrt() * z1 + 3000f64.sqrt() * z2) / 4000f64.sqrt();
    let r = row("rs1");
    assert_eq!(&r[..3], ["rs1", "a", "g"]);
    assert_eq!(r[3], "4000.00");
    assert_eq!(r[4], format!("{z:.3}"));
    assert_eq!(r[6], "+-");
    // rs2: t/g is a/c on the other strand; its z (p = 1e-300) is 37.0471.
    let r = row("rs2");
    assert_eq!(r[6], "-+");
    assert_eq!(r[3], "500.00");
}

#[test]
fn bad_input_is_a_located_error() {
    let dir = tempdir("bad");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let mut messages: Vec<String> = Vec::new();
    let stderr = |p: PathBuf| GwasConfig {
        scheme: Scheme::StdErr,
        cohorts: vec![Cohort::new(p)],
        ..GwasConfig::default()
    };
    // A non-numeric effect names its file, line and column.
    let p = write(
        "nan.txt",
        "MARKER ALLELE1 ALLELE2 EFFECT STDERR\nrs1 A G 0.1 0.2\nrs2 A G zero 0.2\n",
    );
    let e = Gwas::read(stderr(p.clone())).err().unwrap();
    assert!(
        matches!(&e, GwasError::NotANumber { line: 3, column, value, .. } if column == "EFFECT" && value == "zero"),
        "{e}"
    );
    assert!(e
        .to_string()
        .starts_with(&format!("{} line 3, column `EFFECT`", p.display())));
    messages.push(e.to_string());
    // A missing column lists the header and the command that names it.
    let p = write(
        "nose.txt",
        "MARKER ALLELE1 ALLELE2 EFFECT SE\nrs1 A G 0.1 0.2\n",
    );
    let e = Gwas::read(stderr(p)).err().unwrap();
    assert!(
        matches!(&e, GwasError::MissingColumn { column, .. } if column == "STDERR"),
        "{e}"
    );
    assert!(
        e.to_string().contains("STDERR in the script or --stderr"),
        "{e}"
    );
    messages.push(e.to_string());
    // Random effects under SAMPLESIZE are refused, not ignored.
    let mut cfg = stderr(dir.join("nose.txt"));
    cfg.scheme = Scheme::SampleSize;
    cfg.random = vec![Method::Dl];
    let e = Gwas::read(cfg).err().unwrap();
    assert!(matches!(
        e,
        GwasError::Option {
            option: "random",
            ..
        }
    ));
    messages.push(e.to_string());
    // A frequency outside [0, 1].
    let p = write(
        "freq.txt",
        "MARKER ALLELE1 ALLELE2 FREQ EFFECT STDERR\nrs1 A G 1.5 0.1 0.2\n",
    );
    let e = Gwas::read(stderr(p)).err().unwrap();
    assert!(matches!(&e, GwasError::BadFrequency { line: 2, .. }), "{e}");
    messages.push(e.to_string());
    // A compressed file.
    let p = dir.join("gz.txt");
    std::fs::write(&p, [0x1f, 0x8b, 8, 0, 0, 0]).unwrap();
    let e = Gwas::read(stderr(p)).err().unwrap();
    assert!(matches!(&e, GwasError::Compressed { .. }), "{e}");
    messages.push(e.to_string());
    // A script command rema does not run.
    let e = rema_data::gwas::parse_script(
        "SCHEME STDERR\nAVERAGEFREQ ON\n",
        "metal.txt",
        Path::new("."),
    )
    .unwrap_err();
    messages.push(e.to_string());
    // docs/ERRORS.md quotes each message (DIR for the test's folder).
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ERRORS.md"))
            .unwrap();
    let dir_text = dir.display().to_string();
    let missing: Vec<String> = messages
        .iter()
        .map(|m| m.replace(&dir_text, "DIR"))
        .filter(|m| !doc.contains(m.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/ERRORS.md lacks:\n{}",
        missing.join("\n")
    );
    // The fuzz entry reports the same errors without a file.
    let c = Cohort::new("x");
    assert!(parse_cohort_bytes(
        b"MARKER ALLELE1 ALLELE2 EFFECT STDERR\nrs1 A G x 1\n",
        &c,
        Scheme::StdErr
    )
    .is_err());
    assert_eq!(
        parse_cohort_bytes(
            b"MARKER ALLELE1 ALLELE2 EFFECT STDERR\nrs1 A G 1 1\nrs1 A G 1 1\n",
            &c,
            Scheme::StdErr
        ),
        Ok(1)
    );
}

#[test]
fn palindromic_modes_keep_or_drop_as_asked() {
    let dir = tempdir("palmodes");
    let (paths, _) = generate(&dir);
    let mut keep = config(&paths);
    keep.palindromic = Palindromic::Keep;
    keep.random.clear();
    let (_, log) = run(keep, 2);
    for c in &log.cohorts[1..] {
        assert_eq!(c.count(Drop::PalindromicAmbiguous), 0);
        assert!(c.palindromic_unchecked > 0 && c.palindromic_flipped == 0);
    }
    let mut drop = config(&paths);
    drop.palindromic = Palindromic::Drop;
    drop.random.clear();
    let (table, log) = run(drop, 2);
    assert!(log.cohorts.iter().all(|c| c.count(Drop::Palindromic) > 0));
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        assert!(
            !matches!(
                (f[1], f[2]),
                ("a", "t") | ("t", "a") | ("c", "g") | ("g", "c")
            ),
            "{line}"
        );
    }
}

/// Byte-level mutations of the fuzz targets' seeds through their entry
/// points (the `gwas_script` and `gwas_cohort` fuzz targets run the same
/// entries under libFuzzer): an error or a result, never a panic.
#[test]
fn fuzz_entries_survive_mutated_seeds() {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/gwas");
    let script = std::fs::read(suite.join("stderr_het.metal")).unwrap();
    let cohort: Vec<u8> = std::fs::read(suite.join("cohort1.tsv")).unwrap()[..2000].to_vec();
    let mut rng = Rng(99);
    for round in 0..3000 {
        let seed = if round % 2 == 0 { &script } else { &cohort };
        let mut bytes = seed.clone();
        for _ in 0..1 + rng.below(8) {
            let i = rng.below(bytes.len() as u64) as usize;
            match rng.below(4) {
                0 => bytes[i] = rng.below(256) as u8,
                1 => bytes[i] = b"\t ,\n-.0e9NAacgt"[rng.below(15) as usize],
                2 => {
                    bytes.remove(i);
                }
                _ => bytes.insert(i, b"\t\n -"[rng.below(4) as usize]),
            }
        }
        if round % 2 == 0 {
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let _ = rema_data::gwas::parse_script(text, "m.metal", Path::new("/nonexistent"));
            }
        } else {
            let mut c = Cohort::new("x");
            c.columns.marker = "SNP".into();
            c.columns.alleles = ("A1".into(), "A2".into());
            c.columns.effect = "BETA".into();
            c.columns.stderr = "SE".into();
            c.columns.pvalue = "P".into();
            c.separator = [Separator::Tab, Separator::Whitespace, Separator::Both][round % 3];
            c.strict_columns = round % 4 == 1;
            let scheme = if round % 3 == 0 {
                Scheme::SampleSize
            } else {
                Scheme::StdErr
            };
            let _ = parse_cohort_bytes(&bytes, &c, scheme);
        }
    }
}

/// Every pair of GWAS options is honoured or refused, never one silently
/// dropped (the `rema gwas` rows of docs/ERRORS.md): the refused pairs are
/// exactly these.
#[test]
fn gwas_option_pairs_are_honoured_or_refused() {
    let dir = tempdir("pairs");
    let p = dir.join("c.txt");
    std::fs::write(
        &p,
        "MARKER ALLELE1 ALLELE2 EFFECT STDERR PVALUE N FREQ\nrs1 A G 0.1 0.1 0.3 100 0.2\n",
    )
    .unwrap();
    type Set = (&'static str, fn(&mut GwasConfig));
    let settings: [Set; 9] = [
        ("scheme = SAMPLESIZE", |c| c.scheme = Scheme::SampleSize),
        ("heterogeneity", |c| c.heterogeneity = true),
        ("random", |c| c.random = vec![Method::Dl]),
        ("palindromic = keep", |c| c.palindromic = Palindromic::Keep),
        ("palindromic_maf", |c| c.palindromic_maf = 0.3),
        ("precision", |c| c.effect_precision = 6),
        // These two are SAMPLESIZE's, so they set it.
        ("min_weight", |c| {
            c.scheme = Scheme::SampleSize;
            c.min_weight = 50.0
        }),
        ("default_weight", |c| {
            c.scheme = Scheme::SampleSize;
            c.cohorts[0].default_weight = 2.0
        }),
        ("genomic_control", |c| {
            c.cohorts[0].genomic_control = GenomicControl::Fixed(1.2)
        }),
    ];
    let base = || GwasConfig {
        scheme: Scheme::StdErr,
        cohorts: vec![Cohort::new(&p)],
        ..GwasConfig::default()
    };
    let mut refused = Vec::new();
    for (i, a) in settings.iter().enumerate() {
        for b in &settings[i..] {
            let mut c = base();
            (a.1)(&mut c);
            (b.1)(&mut c);
            match c.check() {
                Err(e) => {
                    assert!(matches!(e, GwasError::Option { .. }), "{e}");
                    refused.push(format!("{} + {}", a.0, b.0));
                }
                // A pair that is not refused runs.
                Ok(()) => {
                    let g = Gwas::read(c).unwrap();
                    assert_eq!(g.write(&mut Vec::new()).unwrap().written, 1);
                }
            }
        }
    }
    assert_eq!(
        refused,
        [
            "scheme = SAMPLESIZE + random",
            "scheme = SAMPLESIZE + precision",
            "random + min_weight",
            "random + default_weight",
            "palindromic = keep + palindromic_maf",
            "precision + min_weight",
            "precision + default_weight",
        ]
    );
}
