//! Units, users, API tokens, grid members and categories.

use sqlx::AssertSqlSafe;
use sqlx::Row;

use super::{Db, Result, StorageError};
use crate::domain::access::{GridRole, Role, Staff, UnitKind, UnitRef};
use crate::domain::taxonomy::Category;

/// A unit (单位) as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Unit {
    pub id: i64,
    pub name: String,
    pub kind: UnitKind,
    pub region_code: String,
    pub head_user_id: Option<i64>,
}

impl Unit {
    pub fn as_ref(&self) -> UnitRef {
        UnitRef { id: self.id, kind: self.kind, region_code: self.region_code.clone() }
    }
}

/// A new user to create.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub unit_id: i64,
    pub roles: &'a [Role],
    pub password_hash: &'a str,
}

/// A user with the fields sign-in needs.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub staff: Staff,
    pub display_name: String,
    pub password_hash: String,
    pub active: bool,
}

fn parse_roles(text: &str) -> Result<Vec<Role>> {
    text.split(',')
        .filter(|part| !part.is_empty())
        .map(|part| part.parse::<Role>().map_err(|error| StorageError::Corrupt(error.to_string())))
        .collect()
}

fn unit_from_row(row: &sqlx::any::AnyRow) -> Result<Unit> {
    let kind: String = row.try_get("kind")?;
    Ok(Unit {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: kind.parse().map_err(|error: crate::domain::text_enum::UnknownVariant| StorageError::Corrupt(error.to_string()))?,
        region_code: row.try_get("region_code")?,
        head_user_id: row.try_get("head_user_id")?,
    })
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.roles, u.password_hash, u.active, \
     n.id AS unit_id, n.kind AS unit_kind, n.region_code AS unit_region";

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<UserRecord> {
    let kind: String = row.try_get("unit_kind")?;
    let roles: String = row.try_get("roles")?;
    Ok(UserRecord {
        staff: Staff {
            user_id: row.try_get("id")?,
            username: row.try_get("username")?,
            unit: UnitRef {
                id: row.try_get("unit_id")?,
                kind: kind.parse().map_err(|error: crate::domain::text_enum::UnknownVariant| StorageError::Corrupt(error.to_string()))?,
                region_code: row.try_get("unit_region")?,
            },
            roles: parse_roles(&roles)?,
        },
        display_name: row.try_get("display_name")?,
        password_hash: row.try_get("password_hash")?,
        active: row.try_get::<i64, _>("active")? != 0,
    })
}

impl Db {
    /// Creates a unit, or returns the existing one with the same name.
    pub async fn ensure_unit(&self, name: &str, kind: UnitKind, region_code: &str) -> Result<Unit> {
        if let Some(unit) = self.unit_by_name(name).await? {
            return Ok(unit);
        }
        let row = sqlx::query(
            "INSERT INTO units (name, kind, region_code) VALUES ($1, $2, $3) RETURNING id, name, kind, region_code, head_user_id",
        )
        .bind(name)
        .bind(kind.as_str())
        .bind(region_code)
        .fetch_one(&self.pool)
        .await?;
        unit_from_row(&row)
    }

    pub async fn unit_by_name(&self, name: &str) -> Result<Option<Unit>> {
        let row = sqlx::query("SELECT id, name, kind, region_code, head_user_id FROM units WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| unit_from_row(&row)).transpose()
    }

    pub async fn unit(&self, id: i64) -> Result<Option<Unit>> {
        let row = sqlx::query("SELECT id, name, kind, region_code, head_user_id FROM units WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| unit_from_row(&row)).transpose()
    }

    /// The unit of a kind that sits on exactly this region, e.g. a village's organisation.
    pub async fn unit_for_region(&self, kind: UnitKind, region_code: &str) -> Result<Option<Unit>> {
        let row = sqlx::query(
            "SELECT id, name, kind, region_code, head_user_id FROM units WHERE kind = $1 AND region_code = $2 ORDER BY id LIMIT 1",
        )
        .bind(kind.as_str())
        .bind(region_code)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| unit_from_row(&row)).transpose()
    }

    pub async fn units(&self) -> Result<Vec<Unit>> {
        let rows = sqlx::query("SELECT id, name, kind, region_code, head_user_id FROM units ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(unit_from_row).collect()
    }

    pub async fn set_unit_head(&self, unit_id: i64, user_id: i64) -> Result<()> {
        sqlx::query("UPDATE units SET head_user_id = $1 WHERE id = $2").bind(user_id).bind(unit_id).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn create_user(&self, user: NewUser<'_>, now_ms: i64) -> Result<i64> {
        let roles: Vec<&str> = user.roles.iter().map(|role| role.as_str()).collect();
        let row = sqlx::query(
            "INSERT INTO users (username, display_name, unit_id, roles, password_hash, active, created_ms) \
             VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
        )
        .bind(user.username)
        .bind(user.display_name)
        .bind(user.unit_id)
        .bind(roles.join(","))
        .bind(user.password_hash)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u JOIN units n ON n.id = u.unit_id WHERE u.username = $1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(username).fetch_optional(&self.pool).await?;
        row.map(|row| user_from_row(&row)).transpose()
    }

    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?.try_get(0)?)
    }

    /// Stores a token by its hash; the token itself is shown once and never stored.
    pub async fn create_token(&self, user_id: i64, token_hash: &str, label: &str, now_ms: i64, expires_ms: Option<i64>) -> Result<()> {
        sqlx::query("INSERT INTO api_tokens (user_id, token_hash, label, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(user_id)
            .bind(token_hash)
            .bind(label)
            .bind(now_ms)
            .bind(expires_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The active user behind a token hash, if the token is valid at `now_ms`.
    pub async fn user_by_token_hash(&self, token_hash: &str, now_ms: i64) -> Result<Option<UserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN units n ON n.id = u.unit_id \
             WHERE t.token_hash = $1 AND t.revoked_ms IS NULL AND (t.expires_ms IS NULL OR t.expires_ms > $2) AND u.active = 1"
        );
        let row = sqlx::query(AssertSqlSafe(sql)).bind(token_hash).bind(now_ms).fetch_optional(&self.pool).await?;
        row.map(|row| user_from_row(&row)).transpose()
    }

    pub async fn revoke_token(&self, token_hash: &str, now_ms: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_ms = $1 WHERE token_hash = $2 AND revoked_ms IS NULL")
            .bind(now_ms)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn add_grid_member(&self, grid_id: &str, user_id: i64, role: GridRole) -> Result<()> {
        sqlx::query("INSERT INTO grid_members (grid_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(grid_id)
            .bind(user_id)
            .bind(role.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// People on a grid: (user id, display name, role).
    pub async fn grid_members(&self, grid_id: &str) -> Result<Vec<(i64, String, GridRole)>> {
        let rows = sqlx::query(
            "SELECT u.id, u.display_name, m.role FROM grid_members m JOIN users u ON u.id = m.user_id WHERE m.grid_id = $1 ORDER BY u.id",
        )
        .bind(grid_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let role: String = row.try_get("role")?;
                Ok((
                    row.try_get("id")?,
                    row.try_get("display_name")?,
                    role.parse().map_err(|error: crate::domain::text_enum::UnknownVariant| StorageError::Corrupt(error.to_string()))?,
                ))
            })
            .collect()
    }

    pub async fn upsert_categories(&self, categories: &[Category]) -> Result<()> {
        let mut transaction = self.begin_write().await?;
        for category in categories {
            sqlx::query(
                "INSERT INTO categories (code, name, parent_code, department, default_working_days, active) VALUES ($1, $2, $3, $4, $5, 1) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, \
                 department = excluded.department, default_working_days = excluded.default_working_days",
            )
            .bind(&category.code)
            .bind(&category.name)
            .bind(&category.parent_code)
            .bind(&category.department)
            .bind(i64::from(category.default_working_days))
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    pub async fn categories(&self) -> Result<Vec<Category>> {
        let rows =
            sqlx::query("SELECT code, name, parent_code, department, default_working_days FROM categories WHERE active = 1 ORDER BY code")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(Category {
                    code: row.try_get("code")?,
                    name: row.try_get("name")?,
                    parent_code: row.try_get("parent_code")?,
                    department: row.try_get("department")?,
                    default_working_days: u32::try_from(row.try_get::<i64, _>("default_working_days")?).unwrap_or(7),
                })
            })
            .collect()
    }
}
