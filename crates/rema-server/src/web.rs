//! The web page and the headers every response carries.
//!
//! The page is three files compiled into the binary: `web/index.html`,
//! `web/app.js` and `web/app.css`, with no inline script or style, so the
//! content security policy ([`CSP`]) allows scripts and styles from the
//! server itself only. Every response gets [`security_headers`]: the policy
//! (with `frame-ancestors 'none'`), `X-Content-Type-Options: nosniff`,
//! `X-Frame-Options: DENY` and `Referrer-Policy: no-referrer`.
//!
//! Cross-origin requests are refused by the browser unless the operator names
//! origins (`--cors-origin`): then [`cors`] answers their preflights and lets
//! them send `Authorization`.

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The content security policy of every response: nothing but the page's
/// own script, style and API; blob: and data: images for the downloads and
/// the forest plot; no framing, no form posting, no `<base>`.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

/// Adds the security headers to every response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// The CORS layer for `origins` (each `scheme://host[:port]`): preflights
/// answered, `Authorization` and `Content-Type` allowed, `Location`,
/// `Retry-After` and `WWW-Authenticate` readable.
pub fn cors(origins: &[HeaderValue]) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([
            header::LOCATION,
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
        ])
}

/// Checks an origin given to `--cors-origin`: `http://` or `https://`, a
/// host and an optional port, nothing after.
pub fn parse_origin(origin: &str) -> Result<HeaderValue, String> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    });
    if !ok {
        return Err(format!(
            "`{origin}` is not an origin: write it as scheme://host[:port], e.g. https://review.example.org"
        ));
    }
    HeaderValue::from_str(origin).map_err(|e| format!("`{origin}`: {e}"))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// `GET /`: the page.
pub async fn index() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(include_str!("web/index.html")),
    )
}

/// `GET /app.js`: the page's script.
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("web/app.js"))
}

/// `GET /app.css`: the page's style sheet.
pub async fn style() -> Response {
    asset("text/css; charset=utf-8", include_str!("web/app.css"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert!(parse_origin("https://review.example.org").is_ok());
        assert!(parse_origin("http://127.0.0.1:3000").is_ok());
        for bad in [
            "*",
            "review.example.org",
            "https://",
            "https://a/b",
            "ftp://a",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        let html = include_str!("web/index.html");
        assert!(!html.contains("<style"), "styles are in app.css");
        assert!(!html.contains(" style="), "no style attributes");
        let handler = html.split(" on").skip(1).any(|rest| {
            let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
            !name.is_empty() && rest[name.len()..].starts_with('=')
        });
        assert!(!handler, "no inline event handlers");
        for script in html.split("<script").skip(1) {
            let (attrs, body) = script.split_once('>').unwrap();
            assert!(attrs.contains("src=\"app.js\""), "{attrs}");
            assert!(body.starts_with("</script>"), "no inline script");
        }
    }
}
