//! `rema`: a meta-analysis toolkit.
//!
//! This crate is a thin facade: [`core`] is the pure estimation engine
//! (`rema-core`), [`data`] the data model and I/O (`rema-data`). The binaries
//! live in `rema-cli` (`rema`) and `rema-server` (`rema-server`); the golden
//! suites and the seed paper's checks in `rema-golden` (not published), which
//! this package's tests run.
//!
//! ```
//! let opts = rema::core::FitOptions::new(rema::core::Method::Dl);
//! let fit = rema::core::fit(&[0.1, 0.3, 0.2], &[0.01, 0.02, 0.015], &opts).unwrap();
//! assert!(fit.tau2 >= 0.0);
//! ```

pub use rema_core as core;
pub use rema_data as data;
