//! 400 corrupted CSV files through `rema analyze`: no crash, no hang, and
//! every failure is one clear message with a documented exit code.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{model_args, root};

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const NASTY: [&str; 16] = [
    "",
    "NaN",
    "inf",
    "-inf",
    "-1",
    "0",
    "1e308",
    "-1e-320",
    "abc",
    "\"",
    "1,5",
    ";",
    "\u{feff}",
    "9999999999999999999999",
    "NA",
    " ",
];

fn mutate(text: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = text.to_vec();
    for _ in 0..1 + rng.below(3) {
        match rng.below(9) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b.remove(i);
            }
            1 => {
                let i = rng.below(b.len() + 1);
                b.insert(i, (rng.next() & 0xff) as u8);
            }
            2 => {
                // Replace one field with a nasty value.
                let s = String::from_utf8_lossy(&b).to_string();
                let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
                if lines.len() > 1 {
                    let l = 1 + rng.below(lines.len() - 1);
                    let mut fields: Vec<String> = lines[l].split(',').map(str::to_string).collect();
                    let f = rng.below(fields.len());
                    fields[f] = NASTY[rng.below(NASTY.len())].to_string();
                    lines[l] = fields.join(",");
                }
                b = (lines.join("\n") + "\n").into_bytes();
            }
            3 => {
                let n = rng.below(b.len() + 1);
                b.truncate(n);
            }
            4 => {
                // Duplicate a line (a duplicate study id).
                let s = String::from_utf8_lossy(&b).to_string();
                let mut lines: Vec<&str> = s.lines().collect();
                if !lines.is_empty() {
                    let l = rng.below(lines.len());
                    lines.insert(l, lines[l]);
                }
                b = (lines.join("\n") + "\n").into_bytes();
            }
            5 => b = String::from_utf8_lossy(&b).replace(',', ";").into_bytes(),
            6 => b.extend_from_slice(b"\n,,,\n\n"),
            7 => {
                b = String::from_utf8_lossy(&b)
                    .replace('\n', "\r\n")
                    .into_bytes()
            }
            _ => {
                // Drop the header.
                let s = String::from_utf8_lossy(&b).to_string();
                b = s
                    .lines()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join("\n")
                    .into_bytes();
            }
        }
    }
    b
}

#[test]
fn four_hundred_corrupted_csvs_never_crash_or_hang() {
    let cases = [
        ("tests/golden/data/bcg_RR.csv", "RR"),
        ("tests/golden/data/normand1999_SMD.csv", "SMD"),
        ("tests/golden/data/vas_SMCC.csv", "SMCC"),
        ("tests/golden/data/pritz1997_PFT.csv", "PFT"),
        ("tests/golden/data/hackshaw1998_GEN.csv", "GEN"),
        ("tests/golden/data/morris2008_SMCR.csv", "SMCR"),
    ];
    let dir = std::env::temp_dir().join(format!("rema-mutation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(20261127);
    let methods = ["REML", "DL", "PM", "ML", "EB", "SJ", "HE", "HS", "FE"];
    let mut outcomes = [0usize; 5];
    for i in 0..400 {
        let (src, measure) = cases[i % cases.len()];
        let original = std::fs::read(root().join(src)).unwrap();
        let bytes = mutate(&original, &mut rng);
        let path = dir.join(format!("m{i}.csv"));
        std::fs::write(&path, &bytes).unwrap();
        let method = methods[rng.below(methods.len())];
        let test = if rng.below(2) == 0 { "z" } else { "knha" };
        let mut child = Command::new(env!("CARGO_BIN_EXE_rema"))
            .args(model_args(
                "analyze",
                path.to_str().unwrap(),
                [measure, method, test],
            ))
            .arg("--tau2-ci")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(20) {
                child.kill().ok();
                panic!("rema hung on {}", path.display());
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        let code = status
            .code()
            .unwrap_or_else(|| panic!("rema killed by a signal on {}", path.display()));
        assert!(
            !stderr.contains("panicked") && !stderr.contains("internal error"),
            "{}: {stderr}",
            path.display()
        );
        match code {
            0 => outcomes[0] += 1,
            3 | 4 => {
                assert!(
                    stderr.starts_with("error: ") && stderr.trim_end().lines().count() == 1,
                    "{}: {stderr}",
                    path.display()
                );
                outcomes[code as usize - 2] += 1;
            }
            other => panic!("{}: unexpected exit code {other}: {stderr}", path.display()),
        }
    }
    eprintln!(
        "400 mutated files: {} analysed, {} rejected as bad data, {} not estimable",
        outcomes[0], outcomes[1], outcomes[2]
    );
    assert!(
        outcomes[1] > 50,
        "the mutations should mostly produce bad data"
    );
    std::fs::remove_dir_all(&dir).ok();
}
