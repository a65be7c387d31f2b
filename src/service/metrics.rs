//! The dashboards' use cases: a month's rates, series, ranking and top categories for the
//! reader's scope. Read-only. The definitions of the rates are in `domain::metrics`.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Hub, ServiceError};
use crate::domain::access::Staff;
use std::collections::BTreeMap;

use crate::domain::metrics::{
    RateCounts, Rates, ScoreWeights, UnitEvent, UnitScore, per_day, rank_counts, rank_units, rates, top_categories,
};
use crate::storage::rollups::MonthRollup;

/// A calendar month in China time, as epoch-millisecond bounds and day starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Month {
    /// `YYYY-MM`.
    pub label: String,
    pub from_ms: i64,
    pub to_ms: i64,
    /// The start of every day of the month, then the end of the month.
    pub day_starts: Vec<i64>,
    pub days: Vec<String>,
}

fn china() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(8)))
}

/// Parses `YYYY-MM` (or takes the month of `now_ms` when absent) into a `Month`.
pub fn month(text: Option<&str>, now_ms: i64) -> Result<Month, ServiceError> {
    let bad = || ServiceError::invalid("month", "month must look like 2026-05");
    let first: Date = match text.map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => {
            let (year, month) = text.split_once('-').ok_or_else(bad)?;
            if year.len() != 4 || month.len() != 2 {
                return Err(bad());
            }
            let year: i16 = year.parse().map_err(|_| bad())?;
            let month: i8 = month.parse().map_err(|_| bad())?;
            if !(2000..=2100).contains(&year) {
                return Err(bad());
            }
            Date::new(year, month, 1).map_err(|_| bad())?
        }
        None => {
            let now = jiff::Timestamp::from_millisecond(now_ms).map_err(|error| ServiceError::Internal(error.to_string()))?;
            now.to_zoned(china()).date().first_of_month()
        }
    };
    let zone = china();
    let mut day_starts = Vec::new();
    let mut days = Vec::new();
    let mut day = first;
    let next_month = first.last_of_month().tomorrow().map_err(|error| ServiceError::Internal(error.to_string()))?;
    while day <= next_month {
        let start = day.to_zoned(zone.clone()).map_err(|error| ServiceError::Internal(error.to_string()))?;
        day_starts.push(start.timestamp().as_millisecond());
        if day < next_month {
            days.push(day.to_string());
        }
        day = day.tomorrow().map_err(|error| ServiceError::Internal(error.to_string()))?;
    }
    let from_ms = day_starts.first().copied().unwrap_or_default();
    let to_ms = day_starts.last().copied().unwrap_or_default();
    Ok(Month { label: format!("{:04}-{:02}", first.year(), first.month()), from_ms, to_ms, day_starts, days })
}

/// Checks the weight of "basically satisfied" in the satisfaction rate.
pub fn basic_weight(value: Option<f64>) -> Result<f64, ServiceError> {
    match value {
        None => Ok(1.0),
        Some(weight) if weight.is_finite() && (0.0..=1.0).contains(&weight) => Ok(weight),
        Some(_) => Err(ServiceError::invalid("basic_weight", "basic_weight must be between 0 and 1")),
    }
}

/// One day of the in/resolved series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayCount {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub received: i64,
    pub resolved: i64,
}

/// One category of the month's top list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryCount {
    /// Empty when the appeals have no category yet.
    pub code: String,
    pub name: String,
    pub count: i64,
}

/// The month at a glance for the reader's scope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Summary {
    pub month: String,
    pub rates: Rates,
    pub days: Vec<DayCount>,
    pub top_categories: Vec<CategoryCount>,
}

/// One unit in the monthly ranking, with its name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitLine {
    pub unit_name: String,
    pub unit_kind: String,
    #[serde(flatten)]
    pub line: UnitScore,
}

/// The monthly ranking of units in the reader's scope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ranking {
    pub month: String,
    pub weights: ScoreWeights,
    pub units: Vec<UnitLine>,
}

/// The month's rates, daily series and top categories in the reader's scope.
pub async fn summary(hub: &Hub, reader: &Staff, month: &Month, basic_weight: f64) -> Result<Summary, ServiceError> {
    if let Some(rollup) = super::rollups::usable(hub, reader, month).await? {
        return Ok(summary_from_rollup(hub, &rollup, month, basic_weight));
    }
    let scope = reader.scope();
    let facts = hub.db.appeal_facts_received(&scope, month.from_ms, month.to_ms).await?;
    let events = hub.db.dispatch_and_return_events(&scope, month.from_ms, month.to_ms).await?;
    let dispatches = events.iter().filter(|event| matches!(event, UnitEvent::DispatchedTo(_))).count() as i64;
    let returns = events.len() as i64 - dispatches;
    let resolved_times = hub.db.resolved_times(&scope, month.from_ms, month.to_ms).await?;
    let received = per_day(facts.iter().map(|fact| fact.received_ms), &month.day_starts);
    let resolved = per_day(resolved_times, &month.day_starts);
    let days = month
        .days
        .iter()
        .enumerate()
        .map(|(index, day)| DayCount {
            day: day.clone(),
            received: received.get(index).copied().unwrap_or(0),
            resolved: resolved.get(index).copied().unwrap_or(0),
        })
        .collect();
    let categories = hub.category_list();
    let top_categories = top_categories(&facts, 10)
        .into_iter()
        .map(|(code, count)| {
            let name = categories.iter().find(|category| category.code == code).map(|category| category.name.clone()).unwrap_or_default();
            CategoryCount { code, name, count }
        })
        .collect();
    Ok(Summary { month: month.label.clone(), rates: rates(&facts, dispatches, returns, basic_weight), days, top_categories })
}

/// The summary from a monthly rollup (the whole county; see `service::rollups`).
pub fn summary_from_rollup(hub: &Hub, rollup: &MonthRollup, month: &Month, basic_weight: f64) -> Summary {
    let mut total = RateCounts::default();
    let mut per_category: BTreeMap<&str, i64> = BTreeMap::new();
    for (category, counts) in &rollup.by_category {
        total.merge(counts);
        *per_category.entry(category.as_str()).or_default() += counts.received;
    }
    let dispatches = rollup.events.values().map(|(dispatches, _)| dispatches).sum();
    let returns = rollup.events.values().map(|(_, returns)| returns).sum();
    let days = month
        .days
        .iter()
        .enumerate()
        .map(|(index, day)| {
            let (received, resolved) = rollup
                .days
                .iter()
                .find(|(day_index, _, _)| *day_index == index as i64)
                .map(|(_, received, resolved)| (*received, *resolved))
                .unwrap_or((0, 0));
            DayCount { day: day.clone(), received, resolved }
        })
        .collect();
    let mut top: Vec<(String, i64)> =
        per_category.into_iter().filter(|(_, count)| *count > 0).map(|(code, count)| (code.to_string(), count)).collect();
    top.sort_by(|left, right| right.1.cmp(&left.1).then(left.0.cmp(&right.0)));
    top.truncate(10);
    let categories = hub.category_list();
    let top_categories = top
        .into_iter()
        .map(|(code, count)| {
            let name = categories.iter().find(|category| category.code == code).map(|category| category.name.clone()).unwrap_or_default();
            CategoryCount { code, name, count }
        })
        .collect();
    Summary { month: month.label.clone(), rates: total.rates(dispatches, returns, basic_weight), days, top_categories }
}

/// The ranked unit scores of a monthly rollup (the whole county).
pub fn scores_from_rollup(rollup: &MonthRollup, weights: &ScoreWeights, basic_weight: f64) -> Vec<UnitScore> {
    let mut by_unit: BTreeMap<i64, RateCounts> = BTreeMap::new();
    for (unit_id, counts) in rollup.by_unit.iter().filter(|(unit_id, _)| *unit_id != 0) {
        by_unit.entry(*unit_id).or_default().merge(counts);
    }
    rank_counts(&by_unit, &rollup.events, weights, basic_weight)
}

/// The monthly ranking of the units handling appeals in the reader's scope.
pub async fn ranking(hub: &Hub, reader: &Staff, month: &Month, basic_weight: f64) -> Result<Ranking, ServiceError> {
    let weights = ScoreWeights::default();
    let scores = match super::rollups::usable(hub, reader, month).await? {
        Some(rollup) => scores_from_rollup(&rollup, &weights, basic_weight),
        None => {
            let scope = reader.scope();
            let facts = hub.db.appeal_facts_received(&scope, month.from_ms, month.to_ms).await?;
            let events = hub.db.dispatch_and_return_events(&scope, month.from_ms, month.to_ms).await?;
            rank_units(&facts, &events, &weights, basic_weight)
        }
    };
    let units = hub.db.units().await?;
    let lines = scores
        .into_iter()
        .map(|line| {
            let unit = units.iter().find(|unit| unit.id == line.unit_id);
            UnitLine {
                unit_name: unit.map(|unit| unit.name.clone()).unwrap_or_else(|| format!("#{}", line.unit_id)),
                unit_kind: unit.map(|unit| unit.kind.as_str().to_string()).unwrap_or_default(),
                line,
            }
        })
        .collect();
    Ok(Ranking { month: month.label.clone(), weights, units: lines })
}

/// Open and overdue appeals per grid under a region, in the reader's scope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridLoad {
    pub grid_id: String,
    pub open: i64,
    pub overdue: i64,
}

pub async fn grid_load(hub: &Hub, reader: &Staff, region_prefix: &str) -> Result<Vec<GridLoad>, ServiceError> {
    let rows = hub.db.open_appeals_by_grid(&reader.scope(), region_prefix, hub.clock.now_ms()).await?;
    Ok(rows.into_iter().map(|(grid_id, open, overdue)| GridLoad { grid_id, open, overdue }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_has_its_days_in_china_time() {
        let february = month(Some("2026-02"), 0).unwrap();
        assert_eq!(february.days.len(), 28);
        assert_eq!(february.day_starts.len(), 29);
        // 2026-02-01T00:00+08:00 is 2026-01-31T16:00Z.
        assert_eq!(february.from_ms, "2026-01-31T16:00:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond());
        assert_eq!(february.days[0], "2026-02-01");
        for bad in ["2026", "2026-13", "26-01", "2026-1x", "1900-01"] {
            assert!(month(Some(bad), 0).is_err(), "{bad}");
        }
        assert!(basic_weight(Some(1.5)).is_err());
        assert_eq!(basic_weight(None).unwrap(), 1.0);
    }
}
