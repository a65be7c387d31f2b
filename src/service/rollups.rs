//! When the county dashboards read the monthly rollup instead of aggregating live.
//!
//! Aggregating a month live reads every appeal received in it: fine for a county's
//! ordinary month (a few thousand), too slow at Beijing-12345 volumes (a million a month
//! is several seconds). So the scheduler stores a rollup per month
//! (`storage::rollups`): the current and the previous month are recomputed every
//! `REFRESH_EVERY`, older months when they have none (appeals received two months ago
//! rarely change; `minqing bench rollup` recomputes every month on demand).
//!
//! The dashboards use a stored rollup only when both hold:
//! - the reader sees the whole county (the service centre, leaders): the rollup counts
//!   every appeal, and a township's or department's scope is computed live;
//! - the month holds at least `MIN_APPEALS` appeals: below that the live answer is fast
//!   and exact, so small counties (and every test) always see live figures, and only a
//!   month too big to aggregate quickly is served from a rollup at most
//!   `REFRESH_EVERY` old.

use std::time::Duration;

use super::metrics::{Month, month};
use super::{Hub, ServiceError};
use crate::domain::access::{Scope, Staff};
use crate::storage::rollups::MonthRollup;

/// How often the scheduler recomputes the current and the previous month.
pub const REFRESH_EVERY: Duration = Duration::from_secs(300);

/// Below this many appeals in a month, dashboards aggregate live.
pub const MIN_APPEALS: i64 = 20_000;

/// Computes and stores the rollup of one month (`YYYY-MM`). Returns its appeal count.
pub async fn refresh_month(hub: &Hub, label: &str) -> Result<i64, ServiceError> {
    let now_ms = hub.clock.now_ms();
    let bounds = month(Some(label), now_ms)?;
    let rollup = hub.db.compute_month_rollup(&bounds.label, bounds.from_ms, bounds.to_ms, now_ms).await?;
    hub.db.store_month_rollup(&rollup).await?;
    Ok(rollup.received())
}

/// Refreshes the current and the previous month, and every older month that holds
/// appeals but has no rollup yet (or, with `all`, every month). Returns the months done.
pub async fn refresh_due(hub: &Hub, all: bool) -> Result<Vec<(String, i64)>, ServiceError> {
    let now_ms = hub.clock.now_ms();
    let current = month(None, now_ms)?;
    let mut done = Vec::new();
    let Some((first_ms, _)) = hub.db.received_span().await? else {
        return Ok(done);
    };
    let mut cursor = current.clone();
    let mut recent = 0;
    loop {
        let must = all || recent < 2 || hub.db.month_rollup_state(&cursor.label).await?.is_none();
        if must {
            let received = refresh_month(hub, &cursor.label).await?;
            done.push((cursor.label.clone(), received));
        }
        recent += 1;
        if cursor.from_ms <= first_ms {
            break;
        }
        cursor = previous(&cursor, now_ms)?;
    }
    Ok(done)
}

fn previous(of: &Month, now_ms: i64) -> Result<Month, ServiceError> {
    // The day before the month's first day falls in the previous month.
    let label = {
        let at = jiff::Timestamp::from_millisecond(of.from_ms - 1).map_err(|error| ServiceError::Internal(error.to_string()))?;
        let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or_else(|_| jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
        let date = at.to_zoned(tz).date();
        format!("{:04}-{:02}", date.year(), date.month())
    };
    month(Some(&label), now_ms)
}

/// The stored rollup the dashboards may use for this reader and month, if any.
pub async fn usable(hub: &Hub, reader: &Staff, period: &Month) -> Result<Option<MonthRollup>, ServiceError> {
    let whole_county = match reader.scope() {
        Scope::RegionSubtreeOrHandledBy { region_prefix, .. } => hub.config.county_code.starts_with(region_prefix.as_str()),
        Scope::HandledBy { .. } => false,
    };
    if !whole_county {
        return Ok(None);
    }
    match hub.db.month_rollup_state(&period.label).await? {
        Some((_, received)) if received >= MIN_APPEALS => Ok(hub.db.month_rollup(&period.label).await?),
        _ => Ok(None),
    }
}
