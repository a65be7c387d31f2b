//! Passwords (argon2id), API tokens and sign-in.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use rand::Rng;
use sha2::{Digest, Sha256};

use super::{Hub, ServiceError};
use crate::domain::access::{Role, Staff};
use crate::storage::people::NewUser;

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| ServiceError::Internal(format!("hashing a password failed: {error}")))
}

pub fn verify_password(stored_hash: &str, password: &str) -> bool {
    PasswordHash::new(stored_hash).map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false)
}

/// A new random API token and the hash that is stored for it.
pub fn new_token() -> (String, String) {
    let bytes: [u8; 24] = rand::rng().random();
    let token = format!("mq_{}", hex::encode(bytes));
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// How long a sign-in token lasts.
pub const SESSION_HOURS: i64 = 12;

/// Checks a password and returns a session token valid for `SESSION_HOURS`.
/// A wrong name and a wrong password get the same answer.
pub async fn sign_in(hub: &Hub, username: &str, password: &str) -> Result<(String, Staff), ServiceError> {
    let refused = || ServiceError::Unauthenticated("the user name or the password is wrong".into());
    let user = hub.db.user_by_name(username).await?;
    let Some(user) = user else {
        // Spend the same time as a real check, so names cannot be probed by timing.
        let password = password.to_string();
        let _ = tokio::task::spawn_blocking(move || hash_password(&password)).await;
        return Err(refused());
    };
    let stored = user.password_hash.clone();
    let presented = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&stored, &presented))
        .await
        .map_err(|error| ServiceError::Internal(error.to_string()))?;
    if !ok || !user.active {
        return Err(refused());
    }
    let (token, hash) = new_token();
    let now = hub.clock.now_ms();
    hub.db.create_token(user.staff.user_id, &hash, "session", now, Some(now + SESSION_HOURS * 3_600_000)).await?;
    Ok((token, user.staff))
}

/// The staff member behind a bearer token.
pub async fn authenticate(hub: &Hub, token: &str) -> Result<Staff, ServiceError> {
    hub.db
        .user_by_token_hash(&token_hash(token), hub.clock.now_ms())
        .await?
        .map(|user| user.staff)
        .ok_or_else(|| ServiceError::Unauthenticated("the token is unknown, expired or revoked".into()))
}

/// Creates a long-lived API token for a user (for `minqing token create`).
pub async fn create_api_token(hub: &Hub, username: &str, label: &str) -> Result<String, ServiceError> {
    let user = hub.db.user_by_name(username).await?.ok_or_else(|| ServiceError::NotFound(format!("user {username}")))?;
    let (token, hash) = new_token();
    hub.db.create_token(user.staff.user_id, &hash, label, hub.clock.now_ms(), None).await?;
    Ok(token)
}

/// Creates a user with a password.
pub async fn create_user(
    hub: &Hub,
    username: &str,
    display_name: &str,
    unit_id: i64,
    roles: &[Role],
    password: &str,
) -> Result<i64, ServiceError> {
    if password.chars().count() < 8 {
        return Err(ServiceError::invalid("password", "a password needs at least 8 characters"));
    }
    let password_hash = hash_password(password)?;
    let id = hub
        .db
        .create_user(NewUser { username, display_name, unit_id, roles, password_hash: &password_hash }, hub.clock.now_ms())
        .await
        .map_err(|error| {
            if error.is_unique_violation() {
                ServiceError::Conflict(format!("a user named {username} already exists"))
            } else {
                error.into()
            }
        })?;
    Ok(id)
}
