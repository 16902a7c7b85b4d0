//! Any text as a TOML plan, through `Plan::from_toml` (parsing and the plan's
//! own checks) and, when it parses, `run_plan` on a copy of the BCG table in
//! a temporary folder: an error or results, never a panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rema_data::{run_plan, Plan};

const BCG: &str = include_str!("../../examples/bcg/bcg.csv");

/// A folder holding `bcg.csv` (plans name `table = 'bcg.csv'`), made once.
fn folder() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rema-fuzz-plan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bcg.csv"), BCG).unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(plan) = Plan::from_toml(text, "fuzz.toml") else { return };
    for a in &plan.analyses {
        let _ = a.spec();
        let _ = a.timepoints();
    }
    let _ = plan.source();
    let path = folder().join("plan.toml");
    std::fs::write(&path, text).unwrap();
    let _ = run_plan(&path);
});
