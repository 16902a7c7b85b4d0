//! Any bytes as a request to `POST /v1/analyses`: the first line is the
//! value of its `Authorization` header, the rest its body.
//!
//! The header goes through the server's own reading of it
//! (`rema_server::auth::bearer_token`) and, when it names a bearer token,
//! through token verification against a store holding one token
//! (`Store::verify_token`): never a panic, and no token but that one is ever
//! accepted. The body goes through the server's own parsing
//! (`rema_server::routes::analyses::parse_request`: JSON, shape, spec, caps),
//! the studies into a table (`csv` or `rows`) and the analysis: an error the
//! server answers as 4xx, or a result, never a panic and never a 500.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rema_server::auth::bearer_token;
use rema_server::routes::analyses::parse_request;
use rema_server::store::NewToken;
use rema_server::{Limits, Store};

fn store() -> &'static (Store, NewToken) {
    static STORE: OnceLock<(Store, NewToken)> = OnceLock::new();
    STORE.get_or_init(|| {
        let store = Store::in_memory().expect("an in-memory store");
        let token = store.create_token("fuzz", "default").expect("a token");
        (store, token)
    })
}

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    if let Some(token) = bearer_token(header) {
        let (store, known) = store();
        match store.verify_token(&token).expect("the store answers") {
            Some(info) => {
                assert_eq!(token, known.token, "only the issued token verifies");
                assert_eq!(info, known.info);
            }
            None => assert_ne!(token, known.token, "the issued token verifies"),
        }
    }

    let limits = Limits { max_studies: 200, max_permutations: 200, max_bootstrap: 200, ..Limits::default() };
    let parsed = match parse_request(body, &limits) {
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
