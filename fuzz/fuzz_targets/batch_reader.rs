//! Any bytes as the long table of `rema batch`: the chunked CSV reader, the
//! grouping (a group seen twice is refused), escalc for raw measures and
//! the batch pooling of every method, written to a discarded table: an
//! error or a result, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
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

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let measure = if selector & 1 == 0 { Measure::Gen } else { Measure::ALL[selector as usize % Measure::ALL.len()] };
    let spec = BatchSpec {
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
    };
    let _ = run_csv_bytes(bytes, "fuzz.csv", &spec, &mut Discard);
});
