//! Reading one cohort file as METAL's `ProcessFile` does, in parallel.
//!
//! The file is read in blocks that end at a line break. A batch of blocks is
//! parsed by rayon tasks (fields, numbers, the marker's hash, the canonical
//! alleles: everything that does not depend on other rows), then merged in
//! file order by one thread (marker lookup, the comparison with the
//! reference alleles, duplicates). The merge order is the file order, so the
//! result does not depend on the number of threads.
//!
//! The checks follow METAL's order: the field count, then the p-value or
//! standard error, then the alleles, then duplicates (the first valid row of
//! a marker is used). Every dropped row is counted by reason and the first
//! `max_examples` of each are kept with their line.

use std::io::{BufRead, BufReader};

use rayon::prelude::*;

use super::alleles::{canonical, flip, normalise, Canonical};
use super::config::{Cohort, GenomicControl, Palindromic, Scheme, Separator};
use super::error::GwasError;
use super::log::{CohortLog, Drop, Example};
use super::markers::{hash_name, Lookup, Markers};

/// One cohort's harmonised values, indexed by marker id: (effect, variance)
/// under `STDERR`, (z, weight) under `SAMPLESIZE`; NaN where the cohort has
/// no usable row. Markers first seen after this cohort lie past the end.
#[derive(Debug, Default)]
pub(crate) struct CohortData {
    pub(crate) y: Vec<f64>,
    pub(crate) v: Vec<f64>,
    /// The genomic-control λ applied (1 when none).
    pub(crate) lambda: f64,
}

impl CohortData {
    /// The row of marker `id`, when the cohort has one.
    #[inline]
    pub(crate) fn get(&self, id: usize) -> Option<(f64, f64)> {
        match self.y.get(id) {
            Some(&y) if !y.is_nan() => Some((y, self.v[id])),
            _ => None,
        }
    }
}

/// Where each column the analysis uses sits in the header.
#[derive(Debug, Clone)]
struct Header {
    marker: usize,
    alleles: Option<(usize, usize)>,
    effect: Option<usize>,
    stderr: usize,
    pvalue: usize,
    weight: Option<usize>,
    freq: Option<usize>,
    strand: Option<usize>,
    fields: usize,
    min_fields: usize,
    names: Vec<String>,
}

fn find(header: &[&str], name: &str) -> Option<usize> {
    header.iter().position(|h| h.eq_ignore_ascii_case(name))
}

fn split<'a>(line: &'a str, separator: Separator, out: &mut Vec<&'a str>) {
    out.clear();
    match separator {
        Separator::Tab => out.extend(line.split('\t')),
        Separator::Comma => out.extend(line.split(',')),
        Separator::Whitespace => out.extend(line.split([' ', '\t']).filter(|t| !t.is_empty())),
        Separator::Both => out.extend(line.split([' ', '\t', ',']).filter(|t| !t.is_empty())),
    }
}

impl Header {
    fn new(
        file: &str,
        line: &str,
        cohort: &Cohort,
        scheme: Scheme,
        palindromic: Palindromic,
        log: &mut CohortLog,
    ) -> Result<Header, GwasError> {
        let mut fields = Vec::new();
        split(line, cohort.separator, &mut fields);
        let c = &cohort.columns;
        let listed = || {
            fields
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let missing = |column: &str, role, command, flag| GwasError::MissingColumn {
            file: file.to_string(),
            column: column.to_string(),
            role,
            header: listed(),
            command,
            flag,
        };
        let marker = find(&fields, &c.marker)
            .ok_or_else(|| missing(&c.marker, "marker name", "MARKER", "--marker"))?;
        let alleles = match (find(&fields, &c.alleles.0), find(&fields, &c.alleles.1)) {
            (Some(a), Some(b)) => Some((a, b)),
            (None, None) => {
                log.notes.push(format!(
                    "no allele columns `{}`/`{}`: every effect is taken to refer to the same allele, unchecked (as METAL)",
                    c.alleles.0, c.alleles.1
                ));
                None
            }
            (Some(_), None) => {
                return Err(missing(
                    &c.alleles.1,
                    "second allele (rema does not guess it, as METAL can)",
                    "ALLELE",
                    "--allele",
                ))
            }
            (None, Some(_)) => {
                return Err(missing(&c.alleles.0, "effect allele", "ALLELE", "--allele"))
            }
        };
        let effect = find(&fields, &c.effect);
        let (stderr, pvalue, weight) = match scheme {
            Scheme::StdErr => {
                if effect.is_none() {
                    return Err(missing(&c.effect, "effect", "EFFECT", "--effect"));
                }
                let se = find(&fields, &c.stderr).ok_or_else(|| {
                    missing(
                        &c.stderr,
                        "standard error (SCHEME STDERR)",
                        "STDERR",
                        "--stderr",
                    )
                })?;
                (se, usize::MAX, None)
            }
            Scheme::SampleSize => {
                let p = find(&fields, &c.pvalue).ok_or_else(|| {
                    missing(
                        &c.pvalue,
                        "p-value (SCHEME SAMPLESIZE)",
                        "PVALUE",
                        "--pvalue",
                    )
                })?;
                if effect.is_none() {
                    log.notes.push(format!(
                        "no effect column `{}`: every effect is taken to be positive (as METAL)",
                        c.effect
                    ));
                }
                let w = find(&fields, &c.weight);
                if w.is_none() {
                    log.notes.push(format!(
                        "no weight column `{}`: every row weighs DEFAULTWEIGHT = {}",
                        c.weight, cohort.default_weight
                    ));
                }
                (usize::MAX, p, w)
            }
        };
        let freq = find(&fields, &c.freq);
        if freq.is_none() && palindromic == Palindromic::Frequency && alleles.is_some() {
            log.notes.push(format!(
                "no frequency column `{}`: palindromic (A/T, C/G) rows after the first cohort of their marker are dropped",
                c.freq
            ));
        }
        let strand = if cohort.use_strand {
            Some(find(&fields, &c.strand).ok_or_else(|| {
                missing(
                    &c.strand,
                    "strand (USESTRAND ON)",
                    "STRANDLABEL",
                    "--strand",
                )
            })?)
        } else {
            None
        };
        let used = [
            Some(marker),
            alleles.map(|a| a.0),
            alleles.map(|a| a.1),
            effect,
            (stderr != usize::MAX).then_some(stderr),
            (pvalue != usize::MAX).then_some(pvalue),
            weight,
            freq,
            strand,
        ];
        let min_fields = used.iter().flatten().max().map_or(1, |m| m + 1);
        Ok(Header {
            marker,
            alleles,
            effect,
            stderr,
            pvalue,
            weight,
            freq,
            strand,
            fields: fields.len(),
            min_fields,
            names: fields.iter().map(|s| s.to_string()).collect(),
        })
    }
}

/// A parsed row, before the merge.
struct Row<'a> {
    line: u32,
    name: &'a str,
    hash: u64,
    alleles: Option<Canonical<'a>>,
    y: f64,
    v: f64,
    freq: f64,
}

enum Parsed<'a> {
    Row(Row<'a>),
    Dropped {
        line: u32,
        reason: Drop,
        name: &'a str,
    },
}

/// A located problem inside a block, before its absolute line is known.
enum BlockError {
    NotUtf8 {
        line: u32,
    },
    NotANumber {
        line: u32,
        column: usize,
        value: String,
    },
    BadFrequency {
        line: u32,
        column: usize,
        value: String,
    },
}

struct Block<'a> {
    items: Vec<Parsed<'a>>,
    lines: u32,
}

fn is_missing(token: &str) -> bool {
    matches!(
        token,
        "" | "NA" | "na" | "NaN" | "nan" | "NAN" | "." | "-" | "null" | "NULL"
    )
}

enum Number {
    Value(f64),
    Missing,
}

fn number(token: &str, line: u32, column: usize) -> Result<Number, BlockError> {
    match token.parse::<f64>() {
        Ok(x) if x.is_nan() => Ok(Number::Missing),
        Ok(x) => Ok(Number::Value(x)),
        Err(_) if is_missing(token) => Ok(Number::Missing),
        Err(_) => Err(BlockError::NotANumber {
            line,
            column,
            value: token.to_string(),
        }),
    }
}

struct Parser<'h> {
    header: &'h Header,
    cohort: &'h Cohort,
    scheme: Scheme,
}

impl Parser<'_> {
    fn block<'a>(&self, text: &'a [u8]) -> Result<Block<'a>, BlockError> {
        let mut items = Vec::with_capacity(text.len() / 40 + 1);
        let mut fields: Vec<&str> = Vec::with_capacity(self.header.fields + 1);
        let mut line_no = 0u32;
        for raw in text.split(|&b| b == b'\n') {
            line_no += 1;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let Ok(line) = std::str::from_utf8(raw) else {
                return Err(BlockError::NotUtf8 { line: line_no });
            };
            if line.starts_with('#') {
                continue;
            }
            let line = match self.cohort.separator {
                Separator::Whitespace | Separator::Both => line.trim(),
                Separator::Tab | Separator::Comma => line,
            };
            if line.is_empty() {
                continue;
            }
            split(line, self.cohort.separator, &mut fields);
            if let Some(p) = self.row(&fields, line_no)? {
                items.push(p);
            }
        }
        // The split yields one piece after the last line break.
        Ok(Block {
            items,
            lines: line_no.saturating_sub(1),
        })
    }

    fn row<'a>(&self, f: &[&'a str], line: u32) -> Result<Option<Parsed<'a>>, BlockError> {
        let h = self.header;
        let first = f.first().copied().unwrap_or("");
        let dropped = |reason, name| Ok(Some(Parsed::Dropped { line, reason, name }));
        if f.len() != h.fields && self.cohort.strict_columns {
            return dropped(Drop::FieldCount, first);
        }
        if f.len() < h.min_fields {
            return dropped(Drop::ShortLine, first);
        }
        let name = f[h.marker];
        let (mut y, v) = match self.scheme {
            Scheme::StdErr => {
                let Number::Value(effect) =
                    number(f[h.effect.unwrap_or(0)], line, h.effect.unwrap_or(0))?
                else {
                    return dropped(Drop::MissingValue, name);
                };
                let Number::Value(se) = number(f[h.stderr], line, h.stderr)? else {
                    return dropped(Drop::MissingValue, name);
                };
                if !(se > 0.0) || !se.is_finite() {
                    return dropped(Drop::InvalidStderr, name);
                }
                if !effect.is_finite() {
                    return dropped(Drop::MissingValue, name);
                }
                (effect, se * se)
            }
            Scheme::SampleSize => {
                let Number::Value(p) = number(f[h.pvalue], line, h.pvalue)? else {
                    return dropped(Drop::MissingValue, name);
                };
                if !(p > 0.0 && p <= 1.0) {
                    return dropped(Drop::InvalidPvalue, name);
                }
                let w = match h.weight {
                    Some(c) => match number(f[c], line, c)? {
                        Number::Value(w) => w,
                        Number::Missing => return dropped(Drop::MissingValue, name),
                    },
                    None => self.cohort.default_weight,
                };
                if !(w > 0.0) || !w.is_finite() {
                    return dropped(Drop::InvalidWeight, name);
                }
                let mut z = -rema_core::dist::norm_quantile(p * 0.5);
                if h.effect.is_some_and(|c| f[c].starts_with('-')) {
                    z = -z;
                }
                (z, w)
            }
        };
        let mut freq = match h.freq {
            Some(c) => match number(f[c], line, c)? {
                Number::Value(x) if (0.0..=1.0).contains(&x) => x,
                Number::Value(_) => {
                    return Err(BlockError::BadFrequency {
                        line,
                        column: c,
                        value: f[c].to_string(),
                    })
                }
                Number::Missing => f64::NAN,
            },
            None => f64::NAN,
        };
        if self.cohort.flip {
            y = -y;
        }
        let alleles = match h.alleles {
            Some((a, b)) => {
                let (mut a1, mut a2) = (normalise(f[a]), normalise(f[b]));
                if h.strand.is_some_and(|s| f[s] == "-") {
                    a1 = flip(a1);
                    a2 = flip(a2);
                }
                let c = canonical(a1, a2);
                if c.swapped {
                    y = -y;
                    freq = 1.0 - freq;
                }
                Some(c)
            }
            None => None,
        };
        Ok(Some(Parsed::Row(Row {
            line,
            name,
            hash: hash_name(name.as_bytes()),
            alleles,
            y,
            v,
            freq,
        })))
    }
}

/// Bytes per block (a batch holds four blocks per thread).
const BLOCK: usize = 1 << 20;

/// Reads blocks of about [`BLOCK`] bytes that end at a line break.
fn next_block(reader: &mut impl BufRead) -> std::io::Result<Option<Vec<u8>>> {
    let mut block = Vec::with_capacity(BLOCK + 4096);
    while block.len() < BLOCK {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len().min(BLOCK - block.len());
        block.extend_from_slice(&chunk[..n]);
        reader.consume(n);
    }
    if block.is_empty() {
        return Ok(None);
    }
    // Finish the last line.
    if block.last() != Some(&b'\n') {
        let before = block.len();
        reader.read_until(b'\n', &mut block)?;
        if block.len() == before && block.last() != Some(&b'\n') {
            block.push(b'\n');
        }
    }
    if block.last() != Some(&b'\n') {
        block.push(b'\n');
    }
    Ok(Some(block))
}

/// How a used row was harmonised against its marker's reference row.
#[derive(Default)]
struct Tally {
    swapped: bool,
    strand_flipped: bool,
    palindromic_same: bool,
    palindromic_flipped: bool,
    palindromic_unchecked: bool,
}

/// The state the merge keeps while a cohort is read.
struct Merge<'m> {
    markers: &'m mut Markers,
    data: CohortData,
    log: CohortLog,
    /// Each used row's χ² (for genomic control).
    chi2: Vec<f64>,
    palindromic: Palindromic,
    palindromic_maf: f64,
    max_examples: usize,
    scheme: Scheme,
    file: String,
}

impl Merge<'_> {
    fn drop_row(&mut self, reason: Drop, line: u64, name: &str) {
        self.log.drop(reason, self.max_examples, || Example {
            line,
            marker: name.to_string(),
        });
    }

    fn row(&mut self, row: Row<'_>, line: u64) -> Result<(), GwasError> {
        let Row {
            name,
            hash,
            alleles,
            mut y,
            v,
            freq,
            ..
        } = row;
        // What this row adds to the log once it is used (after the
        // duplicate check).
        let mut tally = Tally::default();
        let id = match self.markers.lookup(name, hash) {
            Lookup::Known(id) => {
                if let Some(c) = &alleles {
                    let (r1, r2) = self.markers.alleles(id);
                    if c.first != r1 || c.second != r2 {
                        self.drop_row(Drop::BadAlleles, line, name);
                        return Ok(());
                    }
                    if c.is_palindromic() {
                        match self.palindromic {
                            Palindromic::Keep => tally.palindromic_unchecked = true,
                            Palindromic::Drop => {
                                self.drop_row(Drop::Palindromic, line, name);
                                return Ok(());
                            }
                            Palindromic::Frequency => {
                                let reference = self.markers.reference_freq(id);
                                let maf = |f: f64| f.min(1.0 - f);
                                if freq.is_nan() || reference.is_nan() {
                                    self.drop_row(Drop::PalindromicNoFrequency, line, name);
                                    return Ok(());
                                }
                                if maf(freq) > self.palindromic_maf
                                    || maf(reference) > self.palindromic_maf
                                {
                                    self.drop_row(Drop::PalindromicAmbiguous, line, name);
                                    return Ok(());
                                }
                                if (freq - 0.5) * (reference - 0.5) < 0.0 {
                                    // The other strand: this row's first
                                    // allele is the reference's second.
                                    y = -y;
                                    tally.palindromic_flipped = true;
                                } else {
                                    tally.palindromic_same = true;
                                }
                            }
                        }
                    } else {
                        tally.strand_flipped = c.complemented != self.markers.complemented(id);
                        tally.swapped = c.swapped != self.markers.reference_swapped(id);
                    }
                }
                id
            }
            Lookup::New { slot } => {
                if alleles.as_ref().is_some_and(|c| c.is_palindromic())
                    && self.palindromic == Palindromic::Drop
                {
                    self.drop_row(Drop::Palindromic, line, name);
                    return Ok(());
                }
                let (a1, a2, complemented, swapped) = match &alleles {
                    Some(c) => (
                        c.first.as_ref(),
                        c.second.as_ref(),
                        c.complemented,
                        c.swapped,
                    ),
                    None => ("", "", false, false),
                };
                if name.len() > u16::MAX as usize || a1.len() + a2.len() > u16::MAX as usize {
                    return Err(GwasError::TooLarge {
                        file: self.file.clone(),
                        line,
                        message:
                            "a marker name or allele longer than 65,535 bytes; check the separator"
                                .into(),
                    });
                }
                self.markers
                    .insert(slot, name, a1, a2, complemented, swapped, freq)
                    .ok_or_else(|| GwasError::TooLarge {
                        file: self.file.clone(),
                        line,
                        message: "more than 4 GiB of marker names or more than 2^32 - 1 markers; split the run by chromosome".into(),
                    })?
            }
        };
        let id = id as usize;
        if self.data.y.len() <= id {
            self.data.y.resize(id + 1, f64::NAN);
            self.data.v.resize(id + 1, f64::NAN);
        }
        if !self.data.y[id].is_nan() {
            self.drop_row(Drop::Duplicate, line, name);
            return Ok(());
        }
        self.data.y[id] = y;
        self.data.v[id] = v;
        self.log.used += 1;
        let l = &mut self.log;
        l.swapped += u64::from(tally.swapped);
        l.strand_flipped += u64::from(tally.strand_flipped);
        l.palindromic_same += u64::from(tally.palindromic_same);
        l.palindromic_flipped += u64::from(tally.palindromic_flipped);
        l.palindromic_unchecked += u64::from(tally.palindromic_unchecked);
        self.chi2.push(match self.scheme {
            Scheme::StdErr => y * y * (1.0 / v),
            Scheme::SampleSize => y * y,
        });
        Ok(())
    }
}

/// Reads one cohort into `markers` (new markers appended) and its values.
pub(crate) fn read_cohort(
    cohort: &Cohort,
    scheme: Scheme,
    palindromic: Palindromic,
    palindromic_maf: f64,
    max_examples: usize,
    markers: &mut Markers,
) -> Result<(CohortData, CohortLog), GwasError> {
    let file = cohort.path.display().to_string();
    let io = |what, source| GwasError::Io {
        path: file.clone(),
        what,
        source,
    };
    let handle =
        std::fs::File::open(&cohort.path).map_err(|e| io("cannot open the cohort file", e))?;
    let mut reader = BufReader::with_capacity(1 << 16, handle);
    let mut head = Vec::new();
    reader
        .read_until(b'\n', &mut head)
        .map_err(|e| io("cannot read the cohort file", e))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        return Err(GwasError::Compressed { file });
    }
    let head = head.strip_suffix(b"\n").unwrap_or(&head);
    let head = head.strip_suffix(b"\r").unwrap_or(head);
    let head = std::str::from_utf8(head).map_err(|_| GwasError::NotUtf8 {
        file: file.clone(),
        line: 1,
    })?;
    let mut log = CohortLog::new(file.clone());
    let head_trimmed = head.trim();
    if head_trimmed.is_empty() {
        return Err(GwasError::Empty { file });
    }
    let header = Header::new(&file, head_trimmed, cohort, scheme, palindromic, &mut log)?;
    let parser = Parser {
        header: &header,
        cohort,
        scheme,
    };
    let mut merge = Merge {
        markers,
        data: CohortData {
            y: Vec::new(),
            v: Vec::new(),
            lambda: 1.0,
        },
        log,
        chi2: Vec::new(),
        palindromic,
        palindromic_maf,
        max_examples,
        scheme,
        file: file.clone(),
    };
    let known = merge.markers.len();
    merge.data.y.reserve_exact(known);
    merge.data.v.reserve_exact(known);
    let batch_blocks = 4 * rayon::current_num_threads().max(1);
    let mut next_line: u64 = 2;
    loop {
        let mut batch = Vec::with_capacity(batch_blocks);
        while batch.len() < batch_blocks {
            match next_block(&mut reader).map_err(|e| io("cannot read the cohort file", e))? {
                Some(b) => batch.push(b),
                None => break,
            }
        }
        if batch.is_empty() {
            break;
        }
        let parsed: Vec<Result<Block<'_>, BlockError>> =
            batch.par_iter().map(|b| parser.block(b)).collect();
        for block in parsed {
            let start = next_line;
            let block = block.map_err(|e| located(e, &file, start, &header))?;
            next_line += u64::from(block.lines);
            for item in block.items {
                match item {
                    Parsed::Row(row) => {
                        merge.log.rows += 1;
                        let line = start + u64::from(row.line) - 1;
                        merge.row(row, line)?;
                    }
                    Parsed::Dropped { line, reason, name } => {
                        merge.log.rows += 1;
                        merge.drop_row(reason, start + u64::from(line) - 1, name);
                    }
                }
            }
        }
    }
    let Merge {
        mut data,
        mut log,
        mut chi2,
        ..
    } = merge;
    data.y.shrink_to_fit();
    data.v.shrink_to_fit();
    // Genomic control as METAL: λ = the upper median of χ² over the used
    // rows / 0.4549364, applied only when above 1.
    let lambda = match cohort.genomic_control {
        GenomicControl::Off => None,
        GenomicControl::Fixed(l) => Some(l),
        GenomicControl::Estimate if chi2.is_empty() => {
            log.notes
                .push("genomic control: no usable row, so no λ; no adjustment made".into());
            None
        }
        GenomicControl::Estimate => {
            let mid = chi2.len() / 2;
            let (_, median, _) = chi2.select_nth_unstable_by(mid, f64::total_cmp);
            Some(*median / 0.4549364)
        }
    };
    if let Some(l) = lambda {
        log.lambda = Some(l);
        if l > 1.0 {
            data.lambda = l;
            log.notes.push(format!(
                "genomic control λ = {l:.3}: {} divided by it",
                match scheme {
                    Scheme::StdErr => "the inverse-variance weights are",
                    Scheme::SampleSize => "z is divided by √λ (the z²s are",
                }
            ));
        } else {
            log.notes.push(format!(
                "genomic control λ = {l:.3} ≤ 1: no adjustment made"
            ));
        }
    }
    Ok((data, log))
}

fn located(e: BlockError, file: &str, start: u64, header: &Header) -> GwasError {
    let column = |c: usize| header.names.get(c).cloned().unwrap_or_default();
    match e {
        BlockError::NotUtf8 { line } => GwasError::NotUtf8 {
            file: file.to_string(),
            line: start + u64::from(line) - 1,
        },
        BlockError::NotANumber {
            line,
            column: c,
            value,
        } => GwasError::NotANumber {
            file: file.to_string(),
            line: start + u64::from(line) - 1,
            column: column(c),
            value,
        },
        BlockError::BadFrequency {
            line,
            column: c,
            value,
        } => GwasError::BadFrequency {
            file: file.to_string(),
            line: start + u64::from(line) - 1,
            column: column(c),
            value,
        },
    }
}

/// Parses cohort-file bytes with every check, without keeping anything: the
/// fuzz target's entry (no file system).
pub fn parse_cohort_bytes(bytes: &[u8], cohort: &Cohort, scheme: Scheme) -> Result<usize, String> {
    let mut log = CohortLog::new("fuzz".into());
    let (head, rest) = match bytes.iter().position(|&b| b == b'\n') {
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
        None => (bytes, &[][..]),
    };
    let head = std::str::from_utf8(head).map_err(|e| e.to_string())?;
    let header = Header::new(
        "fuzz",
        head.trim(),
        cohort,
        scheme,
        Palindromic::Frequency,
        &mut log,
    )
    .map_err(|e| e.to_string())?;
    let parser = Parser {
        header: &header,
        cohort,
        scheme,
    };
    let mut text = rest.to_vec();
    text.push(b'\n');
    let block = parser
        .block(&text)
        .map_err(|e| located(e, "fuzz", 2, &header).to_string())?;
    let mut markers = Markers::default();
    let mut merge = Merge {
        markers: &mut markers,
        data: CohortData::default(),
        log,
        chi2: Vec::new(),
        palindromic: Palindromic::Frequency,
        palindromic_maf: 0.42,
        max_examples: 3,
        scheme,
        file: "fuzz".into(),
    };
    for item in block.items {
        match item {
            Parsed::Row(row) => {
                let line = u64::from(row.line) + 1;
                merge.row(row, line).map_err(|e| e.to_string())?;
            }
            Parsed::Dropped { line, reason, name } => merge.drop_row(reason, u64::from(line), name),
        }
    }
    Ok(merge.log.used as usize)
}
