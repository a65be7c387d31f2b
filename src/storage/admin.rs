//! Administration reads and writes: the user list and edits, the whole taxonomy (inactive
//! categories included) and its edits, unit edits, and removing a person from a grid.

use sqlx::Row;

use super::{Db, Result, StorageError};
use crate::domain::access::{GridRole, Role};
use crate::domain::taxonomy::Category;

/// A user as the administration screen lists it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct UserListing {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub roles: Vec<Role>,
    pub active: bool,
}

/// A category with its active flag, as administrators see the taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CategoryListing {
    #[serde(flatten)]
    pub category: Category,
    pub active: bool,
}

/// The fields of a user an administrator may change; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct UserChange<'a> {
    pub display_name: Option<&'a str>,
    pub unit_id: Option<i64>,
    pub roles: Option<&'a [Role]>,
    pub active: Option<bool>,
    pub password_hash: Option<&'a str>,
}

fn corrupt(error: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(error.to_string())
}

impl Db {
    /// Every user with their unit, ordered by unit then username.
    pub async fn user_listing(&self) -> Result<Vec<UserListing>> {
        let rows = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.unit_id, n.name AS unit_name, u.roles, u.active \
             FROM users u JOIN units n ON n.id = u.unit_id ORDER BY u.unit_id, u.username",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let roles: String = row.try_get("roles")?;
                Ok(UserListing {
                    id: row.try_get("id")?,
                    username: row.try_get("username")?,
                    display_name: row.try_get("display_name")?,
                    unit_id: row.try_get("unit_id")?,
                    unit_name: row.try_get("unit_name")?,
                    roles: roles
                        .split(',')
                        .filter(|part| !part.is_empty())
                        .map(|part| part.parse::<Role>().map_err(corrupt))
                        .collect::<Result<_>>()?,
                    active: row.try_get::<i64, _>("active")? != 0,
                })
            })
            .collect()
    }

    /// Applies an administrator's change to one user in one statement per field, inside
    /// one transaction. Returns false when no such user exists.
    pub async fn change_user(&self, user_id: i64, change: &UserChange<'_>) -> Result<bool> {
        let mut transaction = self.begin_write().await?;
        let exists = sqlx::query("SELECT 1 FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *transaction).await?.is_some();
        if !exists {
            return Ok(false);
        }
        if let Some(name) = change.display_name {
            sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2").bind(name).bind(user_id).execute(&mut *transaction).await?;
        }
        if let Some(unit_id) = change.unit_id {
            sqlx::query("UPDATE users SET unit_id = $1 WHERE id = $2").bind(unit_id).bind(user_id).execute(&mut *transaction).await?;
        }
        if let Some(roles) = change.roles {
            let text: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
            sqlx::query("UPDATE users SET roles = $1 WHERE id = $2").bind(text.join(",")).bind(user_id).execute(&mut *transaction).await?;
        }
        if let Some(active) = change.active {
            sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
                .bind(i64::from(active))
                .bind(user_id)
                .execute(&mut *transaction)
                .await?;
        }
        if let Some(hash) = change.password_hash {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(user_id).execute(&mut *transaction).await?;
        }
        transaction.commit().await?;
        Ok(true)
    }

    /// Renames a unit and/or names its head. Returns false when no such unit exists.
    pub async fn change_unit(&self, unit_id: i64, name: Option<&str>, head_user_id: Option<Option<i64>>) -> Result<bool> {
        let mut transaction = self.begin_write().await?;
        let exists = sqlx::query("SELECT 1 FROM units WHERE id = $1").bind(unit_id).fetch_optional(&mut *transaction).await?.is_some();
        if !exists {
            return Ok(false);
        }
        if let Some(name) = name {
            sqlx::query("UPDATE units SET name = $1 WHERE id = $2").bind(name).bind(unit_id).execute(&mut *transaction).await?;
        }
        if let Some(head) = head_user_id {
            sqlx::query("UPDATE units SET head_user_id = $1 WHERE id = $2").bind(head).bind(unit_id).execute(&mut *transaction).await?;
        }
        transaction.commit().await?;
        Ok(true)
    }

    /// The whole taxonomy, inactive categories included, ordered by code.
    pub async fn category_listing(&self) -> Result<Vec<CategoryListing>> {
        let rows = sqlx::query("SELECT code, name, parent_code, department, default_working_days, active FROM categories ORDER BY code")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(category_from_row).collect()
    }

    pub async fn category_by_code(&self, code: &str) -> Result<Option<CategoryListing>> {
        let row = sqlx::query("SELECT code, name, parent_code, department, default_working_days, active FROM categories WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(category_from_row).transpose()
    }

    /// Adds a new category (active). A code that exists already is a conflict.
    pub async fn insert_category(&self, category: &Category) -> Result<()> {
        sqlx::query(
            "INSERT INTO categories (code, name, parent_code, department, default_working_days, active) VALUES ($1, $2, $3, $4, $5, 1)",
        )
        .bind(&category.code)
        .bind(&category.name)
        .bind(&category.parent_code)
        .bind(&category.department)
        .bind(i64::from(category.default_working_days))
        .execute(&self.pool)
        .await
        .map_err(StorageError::from)
        .map_err(|error| {
            if error.is_unique_violation() { StorageError::Conflict(format!("category {} exists already", category.code)) } else { error }
        })?;
        Ok(())
    }

    /// Replaces a category's name, department, limit and active flag (the code and the
    /// parent stay: appeals refer to the code).
    pub async fn update_category(&self, code: &str, name: &str, department: &str, working_days: u32, active: bool) -> Result<bool> {
        let done = sqlx::query("UPDATE categories SET name = $1, department = $2, default_working_days = $3, active = $4 WHERE code = $5")
            .bind(name)
            .bind(department)
            .bind(i64::from(working_days))
            .bind(i64::from(active))
            .bind(code)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Takes a person off a grid in one role. Returns false when they were not on it.
    pub async fn remove_grid_member(&self, grid_id: &str, user_id: i64, role: GridRole) -> Result<bool> {
        let done = sqlx::query("DELETE FROM grid_members WHERE grid_id = $1 AND user_id = $2 AND role = $3")
            .bind(grid_id)
            .bind(user_id)
            .bind(role.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// People on a grid with their usernames: (user id, username, display name, role).
    pub async fn grid_member_listing(&self, grid_id: &str) -> Result<Vec<(i64, String, String, GridRole)>> {
        let rows = sqlx::query(
            "SELECT u.id, u.username, u.display_name, m.role FROM grid_members m JOIN users u ON u.id = m.user_id \
             WHERE m.grid_id = $1 ORDER BY u.id, m.role",
        )
        .bind(grid_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let role: String = row.try_get("role")?;
                Ok((row.try_get("id")?, row.try_get("username")?, row.try_get("display_name")?, role.parse().map_err(corrupt)?))
            })
            .collect()
    }
}

fn category_from_row(row: &sqlx::any::AnyRow) -> Result<CategoryListing> {
    Ok(CategoryListing {
        category: Category {
            code: row.try_get("code")?,
            name: row.try_get("name")?,
            parent_code: row.try_get("parent_code")?,
            department: row.try_get("department")?,
            default_working_days: u32::try_from(row.try_get::<i64, _>("default_working_days")?).unwrap_or(7),
        },
        active: row.try_get::<i64, _>("active")? != 0,
    })
}
