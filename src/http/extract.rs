//! Extractors that turn requests into typed input, with errors in our envelope.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::domain::access::Staff;
use crate::service::{Hub, auth};

/// JSON body parsed with a clear error (line, column and what was wrong).
pub struct ApiJson<T>(pub T);

/// Parses JSON bytes into `T`, explaining failures in words.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::invalid("body", "the request body is empty; send a JSON object"));
    }
    serde_json::from_slice(bytes).map_err(|error| ApiError::invalid("body", format!("the JSON body is not valid: {error}")))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|error| ApiError::invalid("body", format!("the request body could not be read: {error}")))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Query string parsed with a clear error.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded_parse(query).map(ApiQuery)
    }
}

fn serde_urlencoded_parse<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{query}").parse().map_err(|_| ApiError::invalid("query", "the query string is malformed"))?,
    )
    .map(|axum::extract::Query(value)| value)
    .map_err(|error| ApiError::invalid("query", format!("the query string is not valid: {}", error.body_text())))
}

fn bearer_token(parts: &Parts) -> Option<&str> {
    let header = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()).filter(|token| !token.is_empty())
}

/// A signed-in staff member. Rejects with 401 when the token is missing or invalid.
pub struct SignedIn(pub Staff);

impl FromRequestParts<Hub> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Hub) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts)
            .ok_or_else(|| ApiError::unauthenticated("send `Authorization: Bearer TOKEN`; get a token from POST /api/v1/auth/login"))?;
        Ok(SignedIn(auth::authenticate(hub, token).await?))
    }
}

/// A staff member if a token was sent, or nobody (a resident).
pub struct MaybeSignedIn(pub Option<Staff>);

impl FromRequestParts<Hub> for MaybeSignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Hub) -> Result<Self, Self::Rejection> {
        match bearer_token(parts) {
            None => Ok(MaybeSignedIn(None)),
            Some(token) => Ok(MaybeSignedIn(Some(auth::authenticate(hub, token).await?))),
        }
    }
}
