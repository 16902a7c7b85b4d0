//! The downloads of a stored analysis besides its JSON: the text summary
//! (`rema analyze`'s text), the forest plot as SVG and PNG, the funnel plot as
//! SVG and PNG, the result as CSV (the table of `rema analyze --format csv`)
//! and the methods paragraph as text.
//!
//! Every download is `GET /v1/analyses/{id}/NAME`: the caller's stored
//! analysis, rendered on the compute pool, sent with its content type. The
//! [`download!`] macro writes that handler and its OpenAPI entry once; each
//! download gives only its path, content type, responses and renderer.
//!
//! PNGs are the SVGs rasterised by rema-plot ([`rema_plot::svg_to_png`],
//! twice the SVG's size, with the bundled DejaVu Sans), so both downloads
//! show the same figure.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use rema_data::AnalysisResult;
use rema_plot::{funnel_svg, svg_to_png, FunnelData};

use crate::error::{AppError, ErrorBody};
use crate::routes::analyses::fetch_result;
use crate::{run_compute, AppState, Caller};

/// The pixels per SVG unit of the PNG downloads.
pub const PNG_SCALE: f32 = 2.0;

/// `body` sent with the content type `content_type`.
fn typed(content_type: &'static str, body: impl IntoResponse) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn png(svg: &str) -> Result<Vec<u8>, AppError> {
    svg_to_png(svg, PNG_SCALE).map_err(AppError::internal)
}

/// The forest plot of `r` as SVG, or [`AppError::PlotsUnavailable`] in a
/// build without plots.
fn forest_of(state: &AppState, r: &AnalysisResult) -> Result<String, AppError> {
    let render = state.forest.ok_or(AppError::PlotsUnavailable)?;
    Ok(render(r))
}

/// The funnel plot of `r`: effects on the analysis scale against their
/// standard errors, with 90/95/99% pseudo-confidence contours about the
/// pooled estimate (metafor `funnel()`). A meta-regression has no one pooled
/// estimate to centre it on (metafor draws its residuals instead), so it is
/// refused rather than drawn about the intercept.
pub fn funnel_of(r: &AnalysisResult) -> Result<String, AppError> {
    if r.coefficients.is_some() {
        return Err(AppError::InvalidRequest {
            field: Some("spec.mods".to_string()),
            message: "this analysis is a meta-regression, whose funnel plot would need its residuals; run it without mods for a funnel plot".to_string(),
        });
    }
    Ok(funnel_svg(&FunnelData::from(r)))
}

/// Declares the handler of one download: its doc comment, name, path,
/// content type and body type, the description of its 200 answer, its error
/// answers, and how the caller's stored analysis (`result`, with the
/// server's `state`) becomes the body, on the compute pool.
macro_rules! download {
    (
        $(#[doc = $doc:literal])+
        $name:ident: $path:literal, $content_type:literal, $body:ty, $ok:literal,
        errors [$(($status:literal, $desc:literal)),+ $(,)?],
        |$state:ident, $result:ident| $render:expr
    ) => {
        $(#[doc = $doc])+
        #[utoipa::path(
            get,
            path = $path,
            params(("id" = String, Path, description = "the id of the analysis")),
            responses(
                (status = 200, description = $ok, content_type = $content_type, body = $body),
                $((status = $status, description = $desc, body = ErrorBody)),+
            )
        )]
        pub async fn $name(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Path(id): Path<String>,
        ) -> Result<Response, AppError> {
            let $result = fetch_result(&state, &caller, id).await?;
            let $state = state.clone();
            let body = run_compute(&state, move || -> Result<_, AppError> { $render }).await??;
            Ok(typed($content_type, body))
        }
    };
}

download! {
    /// The text summary of a stored analysis, as `rema analyze` prints it.
    summary_txt: "/v1/analyses/{id}/summary.txt", "text/plain; charset=utf-8", String,
    "the text of `rema analyze` for the same input",
    errors [(404, "no such analysis")],
    |_state, result| Ok(rema_data::render::text(&result))
}

download! {
    /// The forest plot of a stored analysis, as SVG.
    forest_svg: "/v1/analyses/{id}/forest.svg", "image/svg+xml", String, "the forest plot",
    errors [(404, "no such analysis, or `plots_unavailable` in this build")],
    |state, result| forest_of(&state, &result)
}

download! {
    /// The forest plot of a stored analysis, as PNG.
    forest_png: "/v1/analyses/{id}/forest.png", "image/png", Vec<u8>,
    "the forest plot of forest.svg, rasterised",
    errors [(404, "no such analysis, or `plots_unavailable` in this build")],
    |state, result| png(&forest_of(&state, &result)?)
}

download! {
    /// The funnel plot of a stored analysis, as SVG.
    funnel_svg_route: "/v1/analyses/{id}/funnel.svg", "image/svg+xml", String,
    "the funnel plot, as `rema funnel` draws it",
    errors [(404, "no such analysis"), (422, "a meta-regression (field `spec.mods`): no funnel about one estimate")],
    |_state, result| funnel_of(&result)
}

download! {
    /// The funnel plot of a stored analysis, as PNG.
    funnel_png: "/v1/analyses/{id}/funnel.png", "image/png", Vec<u8>,
    "the funnel plot of funnel.svg, rasterised",
    errors [(404, "no such analysis"), (422, "a meta-regression (field `spec.mods`): no funnel about one estimate")],
    |_state, result| png(&funnel_of(&result)?)
}

download! {
    /// The result of a stored analysis as CSV, as `rema analyze --format csv`.
    result_csv: "/v1/analyses/{id}/result.csv", "text/csv; charset=utf-8", String,
    "the CSV of `rema analyze --format csv` for the same input",
    errors [(404, "no such analysis")],
    |_state, result| Ok(rema_data::render::csv(&result))
}

download! {
    /// The methods paragraph of a stored analysis, written from what was run.
    methods_txt: "/v1/analyses/{id}/methods.txt", "text/plain; charset=utf-8", String,
    "the methods paragraph of `rema report` for this analysis",
    errors [(404, "no such analysis")],
    |_state, result| {
        Ok(rema_plot::methods_paragraph(&[&result]).join("\n\n") + "\n")
    }
}
