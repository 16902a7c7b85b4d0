//! The markers of a run: names, reference alleles and orientation, in the
//! order they were first seen.
//!
//! Names and alleles live in two byte arenas and the lookup is an
//! open-addressing table of marker ids, so a million markers cost about
//! 35 MB (METAL's hash of `String`s costs about 100 MB); the hash of each
//! name is computed by the parser threads.

/// A marker's orientation flags.
const COMPLEMENTED: u8 = 1;
const REFERENCE_SWAPPED: u8 = 2;

/// FxHash-style hash of a marker name (computed once per row, in parallel).
pub(crate) fn hash_name(name: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h: u64 = name.len() as u64;
    let mut chunks = name.chunks_exact(8);
    for c in &mut chunks {
        let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    }
    let mut tail = [0u8; 8];
    let rest = chunks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    h = (h.rotate_left(5) ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    // Final avalanche (from splitmix64) so the low bits index well.
    h ^= h >> 31;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 29)
}

const EMPTY: u32 = u32::MAX;

/// Every marker seen so far.
#[derive(Debug, Default)]
pub(crate) struct Markers {
    names: Vec<u8>,
    name_end: Vec<u32>,
    alleles: Vec<u8>,
    allele_end: Vec<u32>,
    flags: Vec<u8>,
    /// Frequency of the canonical first allele in the reference row (NaN
    /// when the reference cohort gives none).
    reference_freq: Vec<f32>,
    slots: Vec<u32>,
}

/// What a lookup found.
pub(crate) enum Lookup {
    /// A marker seen before.
    Known(u32),
    /// A new marker; `slot` is where it goes.
    New { slot: usize },
}

impl Markers {
    pub(crate) fn len(&self) -> usize {
        self.name_end.len()
    }

    fn name_bytes(&self, id: u32) -> &[u8] {
        let id = id as usize;
        let start = if id == 0 {
            0
        } else {
            self.name_end[id - 1] as usize
        };
        &self.names[start..self.name_end[id] as usize]
    }

    pub(crate) fn name(&self, id: u32) -> &str {
        // Names are inserted from `&str`, so the arena is UTF-8 at every
        // boundary; an empty name is the fallback that cannot happen.
        std::str::from_utf8(self.name_bytes(id)).unwrap_or("")
    }

    /// The canonical alleles of the reference row (empty when the cohorts
    /// give no alleles).
    pub(crate) fn alleles(&self, id: u32) -> (&str, &str) {
        let id = id as usize;
        let start = if id == 0 {
            0
        } else {
            self.allele_end[id - 1] as usize
        };
        let both =
            std::str::from_utf8(&self.alleles[start..self.allele_end[id] as usize]).unwrap_or("\0");
        both.split_once('\0').unwrap_or(("", ""))
    }

    pub(crate) fn complemented(&self, id: u32) -> bool {
        self.flags[id as usize] & COMPLEMENTED != 0
    }

    pub(crate) fn reference_swapped(&self, id: u32) -> bool {
        self.flags[id as usize] & REFERENCE_SWAPPED != 0
    }

    pub(crate) fn reference_freq(&self, id: u32) -> f64 {
        f64::from(self.reference_freq[id as usize])
    }

    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(1 << 16);
        let mut slots = vec![EMPTY; capacity];
        let mask = capacity - 1;
        for id in 0..self.len() as u32 {
            let mut i = hash_name(self.name_bytes(id)) as usize & mask;
            while slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            slots[i] = id;
        }
        self.slots = slots;
    }

    pub(crate) fn lookup(&mut self, name: &str, hash: u64) -> Lookup {
        if (self.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let id = self.slots[i];
            if id == EMPTY {
                return Lookup::New { slot: i };
            }
            if self.name_bytes(id) == name.as_bytes() {
                return Lookup::Known(id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds a marker at the slot a [`Lookup::New`] gave (no other insertion
    /// in between). Fails when the arenas would pass 4 GiB.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn insert(
        &mut self,
        slot: usize,
        name: &str,
        first: &str,
        second: &str,
        complemented: bool,
        swapped: bool,
        freq: f64,
    ) -> Option<u32> {
        let id = u32::try_from(self.len()).ok().filter(|&id| id != EMPTY)?;
        self.names.extend_from_slice(name.as_bytes());
        self.name_end.push(u32::try_from(self.names.len()).ok()?);
        self.alleles.extend_from_slice(first.as_bytes());
        self.alleles.push(0);
        self.alleles.extend_from_slice(second.as_bytes());
        self.allele_end
            .push(u32::try_from(self.alleles.len()).ok()?);
        let mut flags = 0;
        if complemented {
            flags |= COMPLEMENTED;
        }
        if swapped {
            flags |= REFERENCE_SWAPPED;
        }
        self.flags.push(flags);
        self.reference_freq.push(freq as f32);
        self.slots[slot] = id;
        Some(id)
    }

    /// Bytes held, for the memory figure of the log.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.names.capacity()
            + self.alleles.capacity()
            + 4 * (self.name_end.capacity() + self.allele_end.capacity() + self.slots.capacity())
            + self.flags.capacity()
            + 4 * self.reference_freq.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_keep_first_seen_order_across_table_growth() {
        let mut m = Markers::default();
        let n = 200_000u32;
        for i in 0..n {
            let name = format!("rs{i}");
            match m.lookup(&name, hash_name(name.as_bytes())) {
                Lookup::New { slot } => {
                    m.insert(slot, &name, "a", "g", i % 2 == 0, false, 0.25)
                        .unwrap();
                }
                Lookup::Known(_) => panic!("{name} seen twice"),
            }
        }
        for i in (0..n).step_by(997) {
            let name = format!("rs{i}");
            match m.lookup(&name, hash_name(name.as_bytes())) {
                Lookup::Known(id) => {
                    assert_eq!(id, i);
                    assert_eq!(m.name(id), name);
                    assert_eq!(m.alleles(id), ("a", "g"));
                    assert_eq!(m.complemented(id), i % 2 == 0);
                }
                Lookup::New { .. } => panic!("{name} lost"),
            }
        }
    }
}
