#!/usr/bin/env python3
"""Writes the cohort files of the METAL golden suite (tests/golden/gwas/).

Three cohorts of N_MARKERS markers (Python's own random, seed 20261202, no
numpy), each in its own format, so the suite checks per-file column names
and separators as well as METAL's harmonisation:

  cohort1.tsv  tab-separated, SNP A1 A2 FREQ BETA SE P N, upper case
  cohort2.txt  space-separated, the same names, lower-case alleles, and
               effects inflated by 1.15 (genomic control has a lambda > 1)
  cohort3.csv  comma-separated, MarkerName EA NEA EAF beta se pval n,
               alleles as METAL's numeric codes 1-4

Planted: 50% allele swaps (effect and frequency turned), 20% strand flips of
non-palindromic SNPs (METAL cannot tell a palindromic SNP's strand, so none
is flipped: the suite compares with METAL), 5% of markers missing per
cohort, a duplicated marker every 101 (the first row counts), SE = 0 or
negative every 97, SE = NA every 89 (METAL reads NA as 0 and drops the row,
as rema does), ragged lines every 83, an allele no strand matches every 211
(a deletion, D). The effects are not given as NA: METAL would read 0.

Run from the repository root: python3 tests/golden/gwas/make_fixtures.py
then tests/golden/gwas/run_metal.sh METAL_BINARY.
"""
import math
import os
import random

N_MARKERS = 1500
HERE = os.path.dirname(os.path.abspath(__file__))
BASES = "ACGT"
COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}


def p_two_sided(z):
    return math.erfc(abs(z) / math.sqrt(2.0))


def main():
    rng = random.Random(20261202)
    markers = []
    for m in range(N_MARKERS):
        i1 = rng.randrange(4)
        i2 = (i1 + 1 + rng.randrange(3)) % 4
        f = rng.uniform(0.02, 0.48)
        beta = rng.gauss(0, 0.05) if rng.random() < 0.05 else 0.0
        tau = 0.05 if rng.random() < 0.1 else 0.0
        markers.append((BASES[i1], BASES[i2], f, beta, tau))
    specs = [
        ("cohort1.tsv", "\t", ["SNP", "A1", "A2", "FREQ", "BETA", "SE", "P", "N"], "upper", 1.0),
        ("cohort2.txt", " ", ["SNP", "A1", "A2", "FREQ", "BETA", "SE", "P", "N"], "lower", 1.15),
        ("cohort3.csv", ",", ["MarkerName", "EA", "NEA", "EAF", "beta", "se", "pval", "n"], "numeric", 1.0),
    ]
    for c, (name, sep, header, case, inflate) in enumerate(specs):
        n = rng.randrange(2000, 20000)
        lines = [sep.join(header)]
        for m, (a, b, f, beta, tau) in enumerate(markers):
            if c > 0 and rng.random() < 0.05:
                continue
            se = 1.0 / math.sqrt(2 * n * f * (1 - f))
            y = beta + tau * rng.gauss(0, 1) + inflate * se * rng.gauss(0, 1)
            fr = min(max(f + rng.gauss(0, 0.01), 0.001), 0.999)
            r1, r2, ry, rf = a, b, y, fr
            if c > 0 and rng.random() < 0.5:
                r1, r2, ry, rf = b, a, -y, 1 - fr
            palindromic = COMP[a] == b
            if c > 0 and not palindromic and rng.random() < 0.2:
                r1, r2 = COMP[r1], COMP[r2]
            if case == "lower":
                r1, r2 = r1.lower(), r2.lower()
            elif case == "numeric":
                r1, r2 = str(BASES.index(r1) + 1), str(BASES.index(r2) + 1)
            ny = n + rng.randrange(-100, 100)
            row = [f"rs{m}", r1, r2, f"{rf:.4f}", f"{ry:.6g}", f"{se:.6g}", f"{p_two_sided(ry / se):.6g}", str(ny)]
            if m % 97 == 5:
                bad = list(row)
                bad[5] = "0" if m % 2 else "-0.01"
                lines.append(sep.join(bad))
            if m % 89 == 7:
                bad = list(row)
                bad[5] = "NA"
                lines.append(sep.join(bad))
            if m % 83 == 3:
                lines.append(sep.join(row[:-1]))
            if c == 2 and m % 211 == 11:
                bad = list(row)
                bad[1] = "D"
                lines.append(sep.join(bad))
                continue
            lines.append(sep.join(row))
            if m % 101 == 9:
                dup = list(row)
                dup[4] = "0.9"
                lines.append(sep.join(dup))
        with open(os.path.join(HERE, name), "w") as out:
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
