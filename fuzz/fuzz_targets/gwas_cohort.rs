//! Any bytes as a GWAS cohort file (`rema gwas`), read under either scheme
//! with any separator and column counting, through the allele harmonisation
//! and the duplicate check: a count of used rows or a located error, never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rema_data::gwas::{parse_cohort_bytes, Cohort, Scheme, Separator};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let mut cohort = Cohort::new("fuzz.txt");
    cohort.separator = [Separator::Whitespace, Separator::Tab, Separator::Comma, Separator::Both]
        [selector as usize % 4];
    cohort.strict_columns = selector & 4 == 0;
    cohort.use_strand = selector & 8 == 8;
    cohort.flip = selector & 16 == 16;
    let scheme = if selector & 32 == 0 { Scheme::StdErr } else { Scheme::SampleSize };
    let _ = parse_cohort_bytes(bytes, &cohort, scheme);
});
