//! The one JSON error envelope of the API.
//!
//! Every error is `{"error": {"code": "...", "message": "...", "field": "..."}}` with a
//! stable `code` that clients may branch on and a `message` a person can act on.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::workflow::WorkflowError;
use crate::service::ServiceError;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `invalid_input`, `illegal_transition`.
    pub code: &'static str,
    /// What went wrong and what to do about it.
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, body: ErrorBody { code, message: message.into(), field: None } }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, body: ErrorBody { code: "invalid_input", message: message.into(), field: Some(field) } }
    }

    pub fn not_found(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} was not found"))
    }

    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> ApiError {
        match error {
            ServiceError::Invalid { field, message } => ApiError::invalid(field, message),
            ServiceError::NotFound(what) => ApiError::not_found(what),
            ServiceError::Workflow(workflow) => {
                let message = workflow.to_string();
                match workflow {
                    WorkflowError::IllegalTransition { .. } => ApiError::new(StatusCode::CONFLICT, "illegal_transition", message),
                    WorkflowError::NotPermitted { .. } => ApiError::new(StatusCode::FORBIDDEN, "not_permitted", message),
                    WorkflowError::MissingReason { field } => ApiError::invalid(field, message),
                    WorkflowError::Invalid(_) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", message),
                }
            }
            ServiceError::Forbidden(message) => ApiError::forbidden(message),
            ServiceError::Unauthenticated(message) => ApiError::unauthenticated(message),
            ServiceError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            ServiceError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side; it was logged, please try again",
                )
            }
        }
    }
}

impl From<crate::storage::StorageError> for ApiError {
    fn from(error: crate::storage::StorageError) -> ApiError {
        ApiError::from(ServiceError::from(error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(ErrorEnvelope { error: self.body })).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
