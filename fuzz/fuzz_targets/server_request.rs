//! Any bytes as the body of `POST /v1/analyses`, through the server's own
//! parsing (`rema_server::routes::analyses::parse_request`: JSON, shape, spec, caps), the
//! studies into a table (`csv` or `rows`) and the analysis: an error the
//! server answers as 4xx, or a result, never a panic and never a 500.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rema_server::routes::analyses::parse_request;
use rema_server::Limits;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_studies: 200, max_permutations: 200, max_bootstrap: 200, ..Limits::default() };
    let parsed = match parse_request(data, &limits) {
        Ok(p) => p,
        Err(e) => {
            assert!(e.status().is_client_error(), "{e:?} for a request body");
            return;
        }
    };
    match parsed.table(limits.max_studies) {
        Ok((table, _, sha)) => {
            if let Err(e) = rema_data::analyze(&table, &parsed.spec, &sha) {
                let e = parsed.kind.data_error(e);
                assert!(e.status().is_client_error(), "{e:?} from the analysis");
            }
        }
        Err(e) => assert!(e.status().is_client_error(), "{e:?} from the studies"),
    }
});
