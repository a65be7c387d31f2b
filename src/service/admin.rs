//! Administration as use cases: editing users and units, the taxonomy, grid members and
//! the holiday calendar. Every function here checks that the caller is an administrator.

use serde::Serialize;
use utoipa::ToSchema;

use super::{Hub, ServiceError, auth};
use crate::domain::access::{GridRole, Role, Staff};
use crate::domain::calendar::{CalendarDay, DayKind, parse_ics};
use crate::domain::taxonomy::Category;
use crate::storage::admin::UserChange;

pub fn require_admin(staff: &Staff) -> Result<(), ServiceError> {
    if staff.has(Role::Admin) { Ok(()) } else { Err(ServiceError::Forbidden("only an administrator may do this".into())) }
}

/// What an administrator asks to change on a user; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct UserEdit {
    pub display_name: Option<String>,
    pub unit_id: Option<i64>,
    pub roles: Option<Vec<Role>>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// Changes a user. An administrator cannot deactivate themself or take away their own
/// admin role, so a county can never lock its last administrator out by a slip.
pub async fn edit_user(hub: &Hub, staff: &Staff, user_id: i64, edit: UserEdit) -> Result<(), ServiceError> {
    require_admin(staff)?;
    if user_id == staff.user_id {
        if edit.active == Some(false) {
            return Err(ServiceError::invalid("active", "you cannot deactivate yourself; ask another administrator"));
        }
        if edit.roles.as_ref().is_some_and(|roles| !roles.contains(&Role::Admin)) {
            return Err(ServiceError::invalid("roles", "you cannot take away your own administrator role; ask another administrator"));
        }
    }
    let display_name = edit.display_name.as_deref().map(str::trim);
    if display_name.is_some_and(|name| name.is_empty() || name.chars().count() > 60) {
        return Err(ServiceError::invalid("display_name", "display_name must be 1–60 characters"));
    }
    if let Some(roles) = &edit.roles {
        if roles.is_empty() {
            return Err(ServiceError::invalid("roles", "give the user at least one role"));
        }
    }
    if let Some(unit_id) = edit.unit_id {
        if hub.db.unit(unit_id).await?.is_none() {
            return Err(ServiceError::invalid("unit_id", format!("unit {unit_id} does not exist")));
        }
    }
    let password_hash = match edit.password.as_deref() {
        None => None,
        Some(password) if password.chars().count() < 8 => {
            return Err(ServiceError::invalid("password", "a password needs at least 8 characters"));
        }
        Some(password) => {
            let password = password.to_string();
            Some(
                tokio::task::spawn_blocking(move || auth::hash_password(&password))
                    .await
                    .map_err(|error| ServiceError::Internal(error.to_string()))??,
            )
        }
    };
    let change = UserChange {
        display_name,
        unit_id: edit.unit_id,
        roles: edit.roles.as_deref(),
        active: edit.active,
        password_hash: password_hash.as_deref(),
    };
    if !hub.db.change_user(user_id, &change).await? {
        return Err(ServiceError::NotFound(format!("user {user_id}")));
    }
    tracing::info!(user_id, by = %staff.username, "user changed by an administrator");
    Ok(())
}

/// Renames a unit and/or names its head (who receives its 督办 notices).
pub async fn edit_unit(
    hub: &Hub,
    staff: &Staff,
    unit_id: i64,
    name: Option<&str>,
    head_user_id: Option<Option<i64>>,
) -> Result<(), ServiceError> {
    require_admin(staff)?;
    let name = name.map(str::trim);
    if name.is_some_and(|name| name.is_empty() || name.chars().count() > 100) {
        return Err(ServiceError::invalid("name", "name must be 1–100 characters"));
    }
    if let Some(name) = name {
        if hub.db.unit_by_name(name).await?.is_some_and(|other| other.id != unit_id) {
            return Err(ServiceError::Conflict(format!("another unit is named {name}")));
        }
    }
    if let Some(Some(head)) = head_user_id {
        let listing = hub.db.user_listing().await?;
        match listing.iter().find(|user| user.id == head) {
            Some(user) if user.unit_id == unit_id => {}
            Some(_) => return Err(ServiceError::invalid("head_user_id", "the head must be a member of the unit")),
            None => return Err(ServiceError::invalid("head_user_id", format!("user {head} does not exist"))),
        }
    }
    if !hub.db.change_unit(unit_id, name, head_user_id).await? {
        return Err(ServiceError::NotFound(format!("unit {unit_id}")));
    }
    Ok(())
}

/// Checks the fields a category carries.
fn check_category_fields(name: &str, department: &str, working_days: u32) -> Result<(), ServiceError> {
    if name.trim().is_empty() || name.chars().count() > 60 {
        return Err(ServiceError::invalid("name", "name must be 1–60 characters"));
    }
    if department.trim().is_empty() || department.chars().count() > 100 {
        return Err(ServiceError::invalid("department", "department must be 1–100 characters"));
    }
    if !(1..=365).contains(&working_days) {
        return Err(ServiceError::invalid("default_working_days", "default_working_days must be between 1 and 365"));
    }
    Ok(())
}

/// Adds a category: a two-digit top level, or a child whose code is its parent's code
/// followed by two digits (the shipped taxonomy's shape).
pub async fn create_category(hub: &Hub, staff: &Staff, category: Category) -> Result<(), ServiceError> {
    require_admin(staff)?;
    let code = category.code.trim();
    if code.is_empty() || code.len() > 8 || code.len() % 2 != 0 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(ServiceError::invalid("code", "code must be 2, 4, 6 or 8 digits"));
    }
    let parent = category.parent_code.as_deref().map(str::trim).filter(|parent| !parent.is_empty());
    match parent {
        None if code.len() != 2 => {
            return Err(ServiceError::invalid("parent_code", "a code longer than 2 digits needs its parent_code"));
        }
        None => {}
        Some(parent) => {
            if code.len() != parent.len() + 2 || !code.starts_with(parent) {
                return Err(ServiceError::invalid("code", format!("a child of {parent} has a code of {parent} followed by two digits")));
            }
            if hub.db.category_by_code(parent).await?.is_none() {
                return Err(ServiceError::invalid("parent_code", format!("category {parent} does not exist")));
            }
        }
    }
    check_category_fields(&category.name, &category.department, category.default_working_days)?;
    let category = Category {
        code: code.to_string(),
        name: category.name.trim().to_string(),
        parent_code: parent.map(str::to_string),
        department: category.department.trim().to_string(),
        default_working_days: category.default_working_days,
    };
    hub.db.insert_category(&category).await?;
    hub.reload_caches().await?;
    Ok(())
}

/// Renames, re-assigns or (de)activates a category. A deactivated category is no longer
/// offered or suggested; appeals that carry it keep it.
pub async fn edit_category(
    hub: &Hub,
    staff: &Staff,
    code: &str,
    name: &str,
    department: &str,
    working_days: u32,
    active: bool,
) -> Result<(), ServiceError> {
    require_admin(staff)?;
    check_category_fields(name, department, working_days)?;
    if !hub.db.update_category(code, name.trim(), department.trim(), working_days, active).await? {
        return Err(ServiceError::NotFound(format!("category {code}")));
    }
    hub.reload_caches().await?;
    Ok(())
}

/// Takes a person off a grid.
pub async fn remove_grid_member(hub: &Hub, staff: &Staff, grid_id: &str, user_id: i64, role: GridRole) -> Result<(), ServiceError> {
    require_admin(staff)?;
    if !hub.db.remove_grid_member(grid_id, user_id, role).await? {
        return Err(ServiceError::NotFound(format!("user {user_id} as {} on grid {grid_id}", role.as_str())));
    }
    Ok(())
}

/// One special day of the calendar, as the administration screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CalendarDayView {
    /// YYYY-MM-DD, local (Asia/Shanghai).
    pub date: String,
    /// `off` (a holiday, 休) or `working` (a make-up working day, 班).
    pub kind: &'static str,
    /// The holiday's name when an imported file gave one.
    pub name: Option<String>,
    /// `shipped` (the built-in State Council table) or `imported`.
    pub source: &'static str,
    /// True when the running server does not count this day yet (imported since it started).
    pub pending_restart: bool,
}

/// The holidays and make-up working days of one year: what the running server counts,
/// with the imported days (and their names) on top.
pub fn calendar_year(hub: &Hub, imported: &[CalendarDay], year: i16) -> Vec<CalendarDayView> {
    let mut days: std::collections::BTreeMap<jiff::civil::Date, CalendarDayView> = std::collections::BTreeMap::new();
    for (set, kind) in [(hub.calendar.holidays(), "off"), (hub.calendar.makeup_workdays(), "working")] {
        for date in set.iter().filter(|date| date.year() == year) {
            days.insert(*date, CalendarDayView { date: date.to_string(), kind, name: None, source: "shipped", pending_restart: false });
        }
    }
    for day in imported.iter().filter(|day| day.date.year() == year) {
        let kind = match day.kind {
            DayKind::Off => "off",
            DayKind::Working => "working",
        };
        let counted = match day.kind {
            DayKind::Off => hub.calendar.holidays().contains(&day.date),
            DayKind::Working => hub.calendar.makeup_workdays().contains(&day.date),
        };
        days.insert(
            day.date,
            CalendarDayView {
                date: day.date.to_string(),
                kind,
                name: Some(day.name.clone()).filter(|name| !name.is_empty()),
                source: "imported",
                pending_restart: !counted,
            },
        );
    }
    days.into_values().collect()
}

/// Imports holidays and make-up working days from an iCalendar text (the same logic as
/// `minqing calendar import`). Returns how many days were stored.
///
/// The running servers read the calendar when they start: deadlines count the new days
/// after each node restarts. The calendar screen marks such days `pending_restart`.
pub async fn import_calendar(hub: &Hub, staff: &Staff, ics: &str) -> Result<(usize, bool), ServiceError> {
    require_admin(staff)?;
    let days = parse_ics(ics).map_err(|error| ServiceError::invalid("body", error.to_string()))?;
    if days.is_empty() {
        return Err(ServiceError::invalid("body", "the file has no event whose summary ends in (休) or (班); nothing imported"));
    }
    hub.db.upsert_calendar_days(&days).await?;
    tracing::info!(days = days.len(), by = %staff.username, "calendar days imported");
    let restart_needed = days.iter().any(|day| match day.kind {
        DayKind::Off => !hub.calendar.holidays().contains(&day.date),
        DayKind::Working => !hub.calendar.makeup_workdays().contains(&day.date),
    });
    Ok((days.len(), restart_needed))
}
