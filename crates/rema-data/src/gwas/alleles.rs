//! Allele harmonisation as METAL does it (`FlipAlleles` in statgen/METAL
//! `metal/Main.cpp`), plus the palindromic check METAL lacks.
//!
//! Each row's allele pair is lower-cased (`1`–`4` read as `a`, `c`, `g`,
//! `t`), sorted alphabetically (a swap turns the effect's sign and the
//! frequency into 1 − f), and, unless it then reads `a/x` or `c/g`,
//! complemented and sorted again. Every SNP therefore ends as `a/c`, `a/g`,
//! `a/t` or `c/g`, whichever strand and order a cohort reported, and two rows
//! of one marker agree when their canonical pairs are equal. A canonical
//! `a/t` or `c/g` is palindromic: its strand cannot be told from the alleles,
//! so METAL takes every cohort to be on the same strand; rema compares the
//! allele frequencies instead (see [`super::Palindromic`]).

use std::borrow::Cow;

/// One allele, lower-cased; the numeric codes 1–4 read as a, c, g, t.
pub(crate) fn normalise(token: &str) -> Cow<'_, str> {
    match token.as_bytes() {
        [b'a' | b'A'] | [b'1'] => Cow::Borrowed("a"),
        [b'c' | b'C'] | [b'2'] => Cow::Borrowed("c"),
        [b'g' | b'G'] | [b'3'] => Cow::Borrowed("g"),
        [b't' | b'T'] | [b'4'] => Cow::Borrowed("t"),
        bytes if bytes.iter().any(u8::is_ascii_uppercase) => Cow::Owned(token.to_ascii_lowercase()),
        _ => Cow::Borrowed(token),
    }
}

/// The complementary base of a single-letter allele; anything else (indels,
/// multi-base alleles) is left as it is, as METAL's `FlipAllele`.
pub(crate) fn complement(allele: &str) -> &str {
    match allele {
        "a" => "t",
        "c" => "g",
        "g" => "c",
        "t" => "a",
        other => other,
    }
}

/// A row's allele pair brought to METAL's canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Canonical<'a> {
    /// The first canonical allele (the one the effect now refers to).
    pub(crate) first: Cow<'a, str>,
    /// The second canonical allele.
    pub(crate) second: Cow<'a, str>,
    /// Whether the effect's sign (and the frequency) had to be turned: an
    /// odd number of swaps.
    pub(crate) swapped: bool,
    /// Whether the alleles were complemented (the row was on the other
    /// strand from the canonical one).
    pub(crate) complemented: bool,
}

impl Canonical<'_> {
    /// A canonical `a/t` or `c/g`, whose strand the alleles cannot tell.
    pub(crate) fn is_palindromic(&self) -> bool {
        matches!(
            (self.first.as_ref(), self.second.as_ref()),
            ("a", "t") | ("c", "g")
        )
    }
}

/// METAL's `FlipAlleles` on normalised alleles.
pub(crate) fn canonical<'a>(first: Cow<'a, str>, second: Cow<'a, str>) -> Canonical<'a> {
    let (mut a1, mut a2) = (first, second);
    let mut swapped = false;
    if a1 > a2 {
        std::mem::swap(&mut a1, &mut a2);
        swapped = !swapped;
    }
    if a1 == "a" || (a1 == "c" && a2 == "g") {
        return Canonical {
            first: a1,
            second: a2,
            swapped,
            complemented: false,
        };
    }
    let mut c1 = flip(a1);
    let mut c2 = flip(a2);
    if c1 > c2 {
        std::mem::swap(&mut c1, &mut c2);
        swapped = !swapped;
    }
    Canonical {
        first: c1,
        second: c2,
        swapped,
        complemented: true,
    }
}

/// [`complement`] on a normalised allele, keeping it borrowed.
pub(crate) fn flip(allele: Cow<'_, str>) -> Cow<'_, str> {
    match allele.as_ref() {
        "a" => Cow::Borrowed("t"),
        "c" => Cow::Borrowed("g"),
        "g" => Cow::Borrowed("c"),
        "t" => Cow::Borrowed("a"),
        _ => allele,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(a: &str, b: &str) -> (String, String, bool, bool) {
        let c = canonical(normalise(a), normalise(b));
        (
            c.first.into_owned(),
            c.second.into_owned(),
            c.swapped,
            c.complemented,
        )
    }

    #[test]
    fn every_orientation_of_a_snp_reaches_the_same_canonical_pair() {
        // A/G reported four ways: as is, swapped, on the other strand (T/C),
        // and both.
        assert_eq!(canon("A", "G"), ("a".into(), "g".into(), false, false));
        assert_eq!(canon("g", "a"), ("a".into(), "g".into(), true, false));
        assert_eq!(canon("T", "C"), ("a".into(), "g".into(), false, true));
        assert_eq!(canon("C", "T"), ("a".into(), "g".into(), true, true));
        // Numeric codes 1-4 are a, c, g, t.
        assert_eq!(canon("1", "3"), ("a".into(), "g".into(), false, false));
    }

    #[test]
    fn palindromic_pairs_are_never_complemented() {
        let c = canonical(normalise("T"), normalise("A"));
        assert!(c.is_palindromic() && c.swapped && !c.complemented);
        let c = canonical(normalise("G"), normalise("C"));
        assert!(c.is_palindromic() && c.swapped && !c.complemented);
        assert!(!canonical(normalise("A"), normalise("C")).is_palindromic());
    }

    #[test]
    fn indels_are_sorted_but_not_complemented() {
        // METAL's FlipAllele leaves multi-letter alleles alone; the pair is
        // still marked complemented (METAL's original_flipped), which prints
        // the same alleles.
        assert_eq!(canon("I", "D"), ("d".into(), "i".into(), true, true));
        assert_eq!(complement("d"), "d");
    }
}
