//! The classifier over HTTP: preview a suggestion for a text, list and edit the rules.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::appeal::Channel;
use crate::domain::classify::rules::ClassifierRule;
use crate::domain::triage::TriageSuggestion;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, SignedIn};
use crate::service::intake::validate_text;
use crate::service::{Hub, understanding};

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClassifyRequest {
    pub text: String,
    pub channel: Option<Channel>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassifyResponse {
    pub suggestion: TriageSuggestion,
    /// Runner-up categories: (code, probability).
    pub alternatives: Vec<(String, f64)>,
    /// Whether intake would send it to a person's triage queue for low confidence.
    pub below_threshold: bool,
    /// Where the model in use came from.
    pub model: String,
}

/// What the classifier would suggest for a text, with its reasons (nothing is stored).
#[utoipa::path(
    post, path = "/api/v1/classifier/suggest", tag = "classifier",
    request_body = ClassifyRequest,
    responses(
        (status = 200, description = "The suggestion", body = ClassifyResponse),
        (status = 400, description = "Invalid text", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn suggest(
    State(hub): State<Hub>,
    SignedIn(_staff): SignedIn,
    ApiJson(request): ApiJson<ClassifyRequest>,
) -> ApiResult<Json<ClassifyResponse>> {
    let text = validate_text(&request.text)?;
    let categories = hub.category_list();
    let understanding = &hub.understanding;
    let result = understanding.classifier().classify(&understanding.jieba, &text, request.channel, None, &categories);
    let below_threshold = !result.suggestion.urgent && result.suggestion.confidence < hub.config.triage_threshold;
    Ok(Json(ClassifyResponse {
        suggestion: result.suggestion,
        alternatives: result.alternatives,
        below_threshold,
        model: understanding.model_source(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    pub items: Vec<ClassifierRule>,
}

/// A rule as sent by an administrator (the id comes from the path or is assigned).
#[derive(Debug, Deserialize, ToSchema)]
pub struct RuleInput {
    pub name: String,
    pub category_code: Option<String>,
    #[serde(default)]
    pub all_of: Vec<String>,
    #[serde(default)]
    pub any_of: Vec<String>,
    #[serde(default)]
    pub none_of: Vec<String>,
    #[serde(default)]
    pub urgent: bool,
    /// Added to the category's score when the rule matches; 10 or more decides alone. Default 3.
    pub weight: Option<f64>,
    /// Default true.
    pub active: Option<bool>,
}

impl RuleInput {
    fn into_rule(self, id: i64) -> ClassifierRule {
        ClassifierRule {
            id,
            name: self.name.trim().to_string(),
            category_code: self.category_code.filter(|code| !code.trim().is_empty()),
            all_of: self.all_of,
            any_of: self.any_of,
            none_of: self.none_of,
            urgent: self.urgent,
            weight: self.weight.unwrap_or(3.0),
            active: self.active.unwrap_or(true),
        }
    }
}

/// Every classifier rule (an administrator's keyword and pattern rules).
#[utoipa::path(
    get, path = "/api/v1/classifier/rules", tag = "classifier",
    responses(
        (status = 200, description = "The rules", body = RuleList),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn list_rules(State(hub): State<Hub>, SignedIn(_staff): SignedIn) -> ApiResult<Json<RuleList>> {
    Ok(Json(RuleList { items: hub.db.classifier_rules().await? }))
}

/// Adds a rule (administrators only); it applies to the next appeal.
#[utoipa::path(
    post, path = "/api/v1/classifier/rules", tag = "classifier",
    request_body = RuleInput,
    responses(
        (status = 201, description = "Stored", body = ClassifierRule),
        (status = 400, description = "Invalid rule", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn create_rule(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(input): ApiJson<RuleInput>,
) -> ApiResult<(StatusCode, Json<ClassifierRule>)> {
    let rule = understanding::create_rule(&hub, &staff, input.into_rule(0)).await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// Replaces a rule (administrators only).
#[utoipa::path(
    put, path = "/api/v1/classifier/rules/{id}", tag = "classifier",
    params(("id" = i64, Path)),
    request_body = RuleInput,
    responses(
        (status = 200, description = "Stored", body = ClassifierRule),
        (status = 400, description = "Invalid rule", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such rule", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn update_rule(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RuleInput>,
) -> ApiResult<Json<ClassifierRule>> {
    let id: i64 = id.parse().map_err(|_| ApiError::invalid("id", "id must be a rule number"))?;
    Ok(Json(understanding::update_rule(&hub, &staff, input.into_rule(id)).await?))
}

/// Deletes a rule (administrators only).
#[utoipa::path(
    delete, path = "/api/v1/classifier/rules/{id}", tag = "classifier",
    params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such rule", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn delete_rule(State(hub): State<Hub>, SignedIn(staff): SignedIn, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let id: i64 = id.parse().map_err(|_| ApiError::invalid("id", "id must be a rule number"))?;
    understanding::delete_rule(&hub, &staff, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
