//! The downloads of a stored analysis besides its JSON: the forest plot as
//! PNG, the funnel plot as SVG and PNG, the result as CSV (the table of
//! `rema analyze --format csv`) and the methods paragraph as text. The forest
//! plot's SVG is [`super::analyses::forest_svg`].
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

fn png(svg: &str) -> Result<Response, AppError> {
    let bytes = svg_to_png(svg, PNG_SCALE).map_err(AppError::internal)?;
    Ok(([(header::CONTENT_TYPE, "image/png")], bytes).into_response())
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

/// The forest plot of a stored analysis, as PNG.
#[utoipa::path(
    get,
    path = "/v1/analyses/{id}/forest.png",
    params(("id" = String, Path, description = "the id of the analysis")),
    responses(
        (status = 200, description = "the forest plot of forest.svg, rasterised", content_type = "image/png", body = Vec<u8>),
        (status = 404, description = "no such analysis, or `plots_unavailable` in this build", body = ErrorBody),
    )
)]
pub async fn forest_png(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let result = fetch_result(&state, &caller, id).await?;
    let Some(render) = state.forest else {
        return Err(AppError::PlotsUnavailable);
    };
    run_compute(&state, move || png(&render(&result))).await?
}

/// The funnel plot of a stored analysis, as SVG.
#[utoipa::path(
    get,
    path = "/v1/analyses/{id}/funnel.svg",
    params(("id" = String, Path, description = "the id of the analysis")),
    responses(
        (status = 200, description = "the funnel plot, as `rema funnel` draws it", content_type = "image/svg+xml", body = String),
        (status = 404, description = "no such analysis", body = ErrorBody),
        (status = 422, description = "a meta-regression (field `spec.mods`): no funnel about one estimate", body = ErrorBody),
    )
)]
pub async fn funnel_svg_route(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let result = fetch_result(&state, &caller, id).await?;
    let svg = run_compute(&state, move || funnel_of(&result)).await??;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// The funnel plot of a stored analysis, as PNG.
#[utoipa::path(
    get,
    path = "/v1/analyses/{id}/funnel.png",
    params(("id" = String, Path, description = "the id of the analysis")),
    responses(
        (status = 200, description = "the funnel plot of funnel.svg, rasterised", content_type = "image/png", body = Vec<u8>),
        (status = 404, description = "no such analysis", body = ErrorBody),
        (status = 422, description = "a meta-regression (field `spec.mods`): no funnel about one estimate", body = ErrorBody),
    )
)]
pub async fn funnel_png(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let result = fetch_result(&state, &caller, id).await?;
    run_compute(&state, move || png(&funnel_of(&result)?)).await?
}

/// The result of a stored analysis as CSV, as `rema analyze --format csv`.
#[utoipa::path(
    get,
    path = "/v1/analyses/{id}/result.csv",
    params(("id" = String, Path, description = "the id of the analysis")),
    responses(
        (status = 200, description = "the CSV of `rema analyze --format csv` for the same input", content_type = "text/csv; charset=utf-8", body = String),
        (status = 404, description = "no such analysis", body = ErrorBody),
    )
)]
pub async fn result_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let result = fetch_result(&state, &caller, id).await?;
    let csv = rema_data::render::csv(&result);
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
}

/// The methods paragraph of a stored analysis, written from what was run.
#[utoipa::path(
    get,
    path = "/v1/analyses/{id}/methods.txt",
    params(("id" = String, Path, description = "the id of the analysis")),
    responses(
        (status = 200, description = "the methods paragraph of `rema report` for this analysis", content_type = "text/plain; charset=utf-8", body = String),
        (status = 404, description = "no such analysis", body = ErrorBody),
    )
)]
pub async fn methods_txt(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let result = fetch_result(&state, &caller, id).await?;
    let text = rema_plot::methods_paragraph(&[&result]).join("\n\n") + "\n";
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}
