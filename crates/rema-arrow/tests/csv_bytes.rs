//! What the `batch_reader` fuzz target does, on its seeds and on every
//! truncation of them: `run_csv_bytes` gives an error or a result, never a
//! panic, for every measure choice, method and test the target draws.

use rema_arrow::batch::{run_csv_bytes, BatchSpec};
use rema_arrow::output::{Column, TableWriter};
use rema_core::batch::BatchOptions;
use rema_core::{EffectOptions, FitOptions, Measure, Method, Test};

struct Discard;

impl TableWriter for Discard {
    fn write(&mut self, _: &[String], _: &[Column]) -> rema_arrow::Result<()> {
        Ok(())
    }
    fn finish(self: Box<Self>) -> rema_arrow::Result<()> {
        Ok(())
    }
}

fn spec(selector: u8) -> BatchSpec {
    let measure = if selector & 1 == 0 {
        Measure::Gen
    } else {
        Measure::ALL[selector as usize % Measure::ALL.len()]
    };
    BatchSpec {
        groups: vec!["g".to_string()],
        measure,
        effect: EffectOptions::default(),
        options: BatchOptions {
            fit: FitOptions {
                test: Test::ALL[(selector as usize / 2) % 3],
                ..FitOptions::new(Method::ALL[(selector as usize / 8) % Method::ALL.len()])
            },
            ..BatchOptions::default()
        },
    }
}

#[test]
fn seeds_and_their_truncations_never_panic() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/batch_reader");
    let mut ran = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        for cut in 1..=data.len() {
            for selector in [data[0], 0, 1, 3, 17, 64, 255] {
                let _ = run_csv_bytes(&data[1..cut], "fuzz.csv", &spec(selector), &mut Discard);
                ran += 1;
            }
        }
    }
    assert!(ran > 100);
    // The long seed pools two groups, one row left out.
    let data =
        b"g,study,yi,vi\na,1,0.1,0.01\na,2,0.3,0.02\nb,1,0.2,0.01\nb,2,NA,0.05\nb,3,0.5,0.04\n";
    let s = run_csv_bytes(data, "x.csv", &spec(16), &mut Discard).unwrap();
    assert_eq!((s.analyses, s.studies, s.dropped_missing), (2, 4, 1));
}
