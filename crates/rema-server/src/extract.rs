//! Reading request bodies: [`JsonBody`], a JSON body read under the body cap
//! and timeout, [`RawBody`], any bytes under the same cap and timeout, and
//! [`parse_json`], whose errors name the path of the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use rema_data::spec::is_shape_error;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::AppState;

/// A JSON body read under the body cap, with errors naming the field.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A body of any bytes (a CSV file, an Excel workbook) read under the body
/// cap and timeout, as [`JsonBody`] reads JSON.
pub struct RawBody(pub Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        read_body(req, state).await.map(RawBody)
    }
}

/// The bytes of a body: 413 above the cap, 408 past the body timeout.
async fn read_body(req: Request, state: &AppState) -> Result<Bytes, AppError> {
    let limit = state.limits.body_timeout;
    let read = tokio::time::timeout(limit, Bytes::from_request(req, state));
    let bytes = read.await.map_err(|_| AppError::BodyTimeout {
        seconds: limit.as_secs_f64(),
    })?;
    bytes.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::BodyTooLarge {
                limit: state.limits.max_body_bytes,
            }
        } else {
            AppError::InvalidJson {
                message: format!("cannot read the request body: {}", e.body_text()),
            }
        }
    })
}

/// Parses JSON; a syntax error is 400, a wrong shape or type 422 naming the
/// path of the field (`spec.level`, `rows[3]`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // Every body is an object; say so rather than serde's view of an array.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return Err(AppError::InvalidRequest {
            field: None,
            message: "the body must be a JSON object, such as {\"csv\": \"study,yi,vi\\n...\", \"spec\": {\"measure\": \"GEN\"}}".to_string(),
        });
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        json_error(&path, "", inner)
    })
}

pub(crate) fn json_error(path: &str, prefix: &str, e: serde_json::Error) -> AppError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => AppError::InvalidJson {
            message: format!("the body is not valid JSON: {e}"),
        },
        Category::Data => {
            let msg = e.to_string();
            // A missing field is reported at its parent; name the field itself.
            let missing = msg
                .strip_prefix("missing field `")
                .and_then(|s| s.split('`').next());
            let mut field = join_path(prefix, if path == "." { "" } else { path });
            if let Some(m) = missing {
                field = join_path(&field, m);
            }
            // A spec option of the right type whose value is not allowed (an
            // unknown method, a level of 150) is an option error, as when
            // the analysis refuses a combination of options.
            if prefix == "spec" && !field.is_empty() && field != "spec" && !is_shape_error(&msg) {
                return AppError::Data {
                    code: "invalid_option",
                    field: Some(field),
                    message: msg,
                };
            }
            AppError::InvalidRequest {
                field: (!field.is_empty()).then_some(field),
                message: msg,
            }
        }
    }
}

fn join_path(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ if b.starts_with('[') => format!("{a}{b}"),
        _ => format!("{a}.{b}"),
    }
}
