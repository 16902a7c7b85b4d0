//! Any bytes as the two requests of the web page besides `POST /v1/analyses`
//! (fuzzed by `server_request`): the first byte chooses.
//!
//! - even: the body of `POST /v1/tables`, a CSV file or an Excel workbook
//!   (`rema_data::xlsx::read_any`): an error the server answers as 4xx, or a
//!   table whose CSV text (`rema_server::routes::tables::to_csv`, what the
//!   page sends on for a workbook) reads back as the same table;
//! - odd: the body of `POST /v1/bias` (`parse_bias_request`: JSON, shape,
//!   spec, options, caps), the studies into a table and the small-study
//!   tests: a 4xx or a result, never a panic and never a 500.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rema_data::Table;
use rema_server::routes::bias::parse_bias_request;
use rema_server::routes::tables::to_csv;
use rema_server::Limits;

fuzz_target!(|data: &[u8]| {
    let Some((first, body)) = data.split_first() else { return };
    if first % 2 == 0 {
        match rema_data::xlsx::read_any(body, "upload", None) {
            Ok(table) => {
                let back = Table::from_str(&to_csv(&table), "upload")
                    .expect("the CSV of a table reads back");
                assert_eq!(back.headers, table.headers);
                let cells = |t: &Table| t.rows.iter().map(|r| r.cells.clone()).collect::<Vec<_>>();
                assert_eq!(cells(&back), cells(&table));
            }
            Err(e) => {
                let e = rema_server::error::InputKind::Csv.data_error(e);
                assert!(e.status().is_client_error(), "{e:?} for an upload");
            }
        }
        return;
    }
    let limits = Limits { max_studies: 200, ..Limits::default() };
    let parsed = match parse_bias_request(body, &limits) {
        Ok(p) => p,
        Err(e) => {
            assert!(e.status().is_client_error(), "{e:?} for a request body");
            return;
        }
    };
    let p = &parsed.request;
    match p.table(limits.max_studies) {
        Ok((table, _, sha)) => {
            if let Err(e) = rema_data::bias_with(&table, &p.spec, &parsed.options, &sha) {
                let e = p.kind.data_error(e);
                assert!(e.status().is_client_error(), "{e:?} from the small-study tests");
            }
        }
        Err(e) => assert!(e.status().is_client_error(), "{e:?} from the studies"),
    }
});
