//! How units are judged: the monthly rates, the composite score and the ranking.
//!
//! Pure arithmetic over facts the storage layer reads; no IO, no clock.
//!
//! # Definitions
//!
//! The period is a calendar month in China time (Asia/Shanghai). The *cohort* of a
//! period is every appeal received in it (merged duplicates left out, because their
//! primary is counted). An appeal is credited to its lead unit, or to its owning unit
//! when nobody was dispatched (a green appeal solved on the spot by the grid).
//!
//! - **Response rate (响应率)**: of the cohort's appeals that had a sign-for deadline,
//!   the share signed for by that deadline. The hub does not record a separate "resident
//!   contacted" step, so signing for in time is the measure.
//! - **Resolution rate (解决率)**: of the cohort's rated appeals, the share rated
//!   `resolved`.
//! - **Satisfaction rate (满意率)**: of the cohort's rated appeals, (satisfied +
//!   `basic_weight` × basically satisfied) / rated. `basic_weight` is 1.0 by default
//!   (the common 满意+基本满意 reading) and may be set per request between 0 and 1.
//! - **On-time completion rate (按时办结率)**: of the cohort's resolved appeals that had
//!   a resolve deadline, the share resolved by it.
//! - **Return rate (退单率)**: returns made by the unit in the period / dispatches to the
//!   unit (as lead) in the period. Counted from the history, because a returned appeal
//!   leaves the unit. An appeal dispatched late in one month and returned early in the
//!   next counts in different months, so a unit with very few dispatches can show a rate
//!   above 100 %; the counts are shown next to the rate for that reason.
//! - **Reopen rate (重办率)**: of the cohort's resolved appeals, the share reopened at
//!   least once.
//! - **Mean handling time (平均办理时长)**: mean hours from receipt to resolution over
//!   the cohort's resolved appeals (calendar hours, which is what a resident feels).
//! - **Composite score (综合得分)**: `weights.response × response + weights.resolution ×
//!   resolution + weights.satisfaction × satisfaction`, in points out of 100; the
//!   default 10/45/45 split is the example in the county material. A unit with a rate
//!   that cannot be computed (no rated appeals yet) has no score and ranks after every
//!   scored unit, by number of appeals.
//!
//! A rate whose denominator is zero is `None` ("no data"), never 0 or 100 %.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::appeal::{AppealStatus, Resolution, Satisfaction};

/// What the dashboards need to know of one appeal.
#[derive(Debug, Clone, PartialEq)]
pub struct AppealFacts {
    pub status: AppealStatus,
    pub category_code: Option<String>,
    /// The lead unit, else the owning unit.
    pub unit_id: Option<i64>,
    pub received_ms: i64,
    pub signed_ms: Option<i64>,
    pub sign_due_ms: Option<i64>,
    pub resolved_ms: Option<i64>,
    pub resolve_due_ms: Option<i64>,
    pub resolution: Option<Resolution>,
    pub satisfaction: Option<Satisfaction>,
    pub reopen_count: i64,
}

/// A dispatch to a unit or a return by a unit, from the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitEvent {
    DispatchedTo(i64),
    ReturnedBy(i64),
}

/// The weights of the composite score, in points (they should add up to 100).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct ScoreWeights {
    pub response: f64,
    pub resolution: f64,
    pub satisfaction: f64,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        ScoreWeights { response: 10.0, resolution: 45.0, satisfaction: 45.0 }
    }
}

/// The rates of a set of appeals (a unit's, or the whole scope's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Rates {
    /// Appeals received in the period.
    pub received: i64,
    /// Of those, resolved (at any time up to now).
    pub resolved: i64,
    /// Of those, rated by the resident or at follow-up.
    pub rated: i64,
    pub response_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub return_rate: Option<f64>,
    pub reopen_rate: Option<f64>,
    pub mean_handling_hours: Option<f64>,
    /// Dispatches to the unit in the period (for the return rate).
    pub dispatches: i64,
    /// Returns made in the period.
    pub returns: i64,
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The counts the rates are made of. They add up: the counts of two sets of appeals are
/// the sums of their counts, which is what lets a monthly rollup store them per unit and
/// category and the dashboard add them up again (`storage::rollups`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateCounts {
    pub received: i64,
    pub with_sign_due: i64,
    pub signed_in_time: i64,
    pub resolved: i64,
    pub with_resolve_due: i64,
    pub resolved_in_time: i64,
    pub reopened: i64,
    pub rated: i64,
    pub rated_resolved: i64,
    pub satisfied: i64,
    pub basically: i64,
    /// The sum of receipt-to-resolution times of the resolved appeals.
    pub handling_ms: i64,
}

impl RateCounts {
    /// Counts one appeal of the cohort.
    pub fn add(&mut self, fact: &AppealFacts) {
        self.received += 1;
        if let Some(due) = fact.sign_due_ms {
            self.with_sign_due += 1;
            if fact.signed_ms.is_some_and(|signed| signed <= due) {
                self.signed_in_time += 1;
            }
        }
        if let Some(resolved_ms) = fact.resolved_ms {
            self.resolved += 1;
            self.handling_ms = self.handling_ms.saturating_add((resolved_ms - fact.received_ms).max(0));
            if let Some(due) = fact.resolve_due_ms {
                self.with_resolve_due += 1;
                if resolved_ms <= due {
                    self.resolved_in_time += 1;
                }
            }
            if fact.reopen_count > 0 {
                self.reopened += 1;
            }
        }
        if let (Some(resolution), Some(satisfaction)) = (fact.resolution, fact.satisfaction) {
            self.rated += 1;
            if resolution == Resolution::Resolved {
                self.rated_resolved += 1;
            }
            match satisfaction {
                Satisfaction::Satisfied => self.satisfied += 1,
                Satisfaction::Basically => self.basically += 1,
                Satisfaction::Dissatisfied => {}
            }
        }
    }

    /// Adds another set's counts to these.
    pub fn merge(&mut self, other: &RateCounts) {
        self.received += other.received;
        self.with_sign_due += other.with_sign_due;
        self.signed_in_time += other.signed_in_time;
        self.resolved += other.resolved;
        self.with_resolve_due += other.with_resolve_due;
        self.resolved_in_time += other.resolved_in_time;
        self.reopened += other.reopened;
        self.rated += other.rated;
        self.rated_resolved += other.rated_resolved;
        self.satisfied += other.satisfied;
        self.basically += other.basically;
        self.handling_ms = self.handling_ms.saturating_add(other.handling_ms);
    }

    /// The rates these counts give, with the period's dispatch and return counts.
    pub fn rates(&self, dispatches: i64, returns: i64, basic_weight: f64) -> Rates {
        let satisfaction_points = self.satisfied as f64 + basic_weight * self.basically as f64;
        Rates {
            received: self.received,
            resolved: self.resolved,
            rated: self.rated,
            response_rate: share(self.signed_in_time, self.with_sign_due),
            resolution_rate: share(self.rated_resolved, self.rated),
            satisfaction_rate: (self.rated > 0).then(|| satisfaction_points / self.rated as f64),
            on_time_rate: share(self.resolved_in_time, self.with_resolve_due),
            return_rate: share(returns, dispatches),
            reopen_rate: share(self.reopened, self.resolved),
            mean_handling_hours: (self.resolved > 0).then(|| self.handling_ms as f64 / self.resolved as f64 / 3_600_000.0),
            dispatches,
            returns,
        }
    }
}

/// Computes the rates of a set of appeals and the dispatch/return counts that go with it.
pub fn rates<'a>(facts: impl IntoIterator<Item = &'a AppealFacts>, dispatches: i64, returns: i64, basic_weight: f64) -> Rates {
    let mut counts = RateCounts::default();
    for fact in facts {
        counts.add(fact);
    }
    counts.rates(dispatches, returns, basic_weight)
}

/// Ranks units from their counts and their dispatch/return counts: the same ordering as
/// `rank_units`, for callers that hold counts instead of facts (the monthly rollup).
pub fn rank_counts(
    by_unit: &BTreeMap<i64, RateCounts>,
    events: &BTreeMap<i64, (i64, i64)>,
    weights: &ScoreWeights,
    basic_weight: f64,
) -> Vec<UnitScore> {
    let mut units: BTreeMap<i64, RateCounts> = by_unit.clone();
    for unit_id in events.keys() {
        units.entry(*unit_id).or_default();
    }
    let lines = units
        .into_iter()
        .map(|(unit_id, counts)| {
            let (dispatches, returns) = events.get(&unit_id).copied().unwrap_or_default();
            let rates = counts.rates(dispatches, returns, basic_weight);
            let score = score(&rates, weights);
            UnitScore { unit_id, rates, score, rank: 0 }
        })
        .collect();
    order_and_rank(lines)
}

fn order_and_rank(mut lines: Vec<UnitScore>) -> Vec<UnitScore> {
    lines.sort_by(|left, right| match (left.score, right.score) {
        (Some(a), Some(b)) => b.total_cmp(&a).then(right.rates.received.cmp(&left.rates.received)).then(left.unit_id.cmp(&right.unit_id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => right.rates.received.cmp(&left.rates.received).then(left.unit_id.cmp(&right.unit_id)),
    });
    for (index, line) in lines.iter_mut().enumerate() {
        line.rank = index as i64 + 1;
    }
    lines
}

/// One unit's line of the monthly ranking.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UnitScore {
    pub unit_id: i64,
    #[serde(flatten)]
    pub rates: Rates,
    /// Points out of 100; absent when a rate of the score has no data.
    pub score: Option<f64>,
    /// 1 is best. Units without a score rank after every scored unit.
    pub rank: i64,
}

/// The composite score of a set of rates, if every rate in it has data.
pub fn score(rates: &Rates, weights: &ScoreWeights) -> Option<f64> {
    Some(
        weights.response * rates.response_rate?
            + weights.resolution * rates.resolution_rate?
            + weights.satisfaction * rates.satisfaction_rate?,
    )
}

/// Groups the cohort by unit, computes each unit's rates and score, and ranks them.
pub fn rank_units(facts: &[AppealFacts], events: &[UnitEvent], weights: &ScoreWeights, basic_weight: f64) -> Vec<UnitScore> {
    let mut by_unit: BTreeMap<i64, Vec<&AppealFacts>> = BTreeMap::new();
    for fact in facts {
        if let Some(unit_id) = fact.unit_id {
            by_unit.entry(unit_id).or_default().push(fact);
        }
    }
    let mut counts: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for event in events {
        match *event {
            UnitEvent::DispatchedTo(unit_id) => counts.entry(unit_id).or_default().0 += 1,
            UnitEvent::ReturnedBy(unit_id) => counts.entry(unit_id).or_default().1 += 1,
        }
    }
    for unit_id in counts.keys() {
        by_unit.entry(*unit_id).or_default();
    }
    let lines: Vec<UnitScore> = by_unit
        .into_iter()
        .map(|(unit_id, facts)| {
            let (dispatches, returns) = counts.get(&unit_id).copied().unwrap_or_default();
            let rates = rates(facts, dispatches, returns, basic_weight);
            let score = score(&rates, weights);
            UnitScore { unit_id, rates, score, rank: 0 }
        })
        .collect();
    order_and_rank(lines)
}

/// How many appeals fall in each category, most frequent first (每月一题 candidates).
pub fn top_categories(facts: &[AppealFacts], limit: usize) -> Vec<(String, i64)> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for fact in facts {
        *counts.entry(fact.category_code.as_deref().unwrap_or("")).or_default() += 1;
    }
    let mut list: Vec<(String, i64)> = counts.into_iter().map(|(code, count)| (code.to_string(), count)).collect();
    list.sort_by(|left, right| right.1.cmp(&left.1).then(left.0.cmp(&right.0)));
    list.truncate(limit);
    list
}

/// Counts instants per day: `day_starts` are the sorted starts of each day (epoch ms),
/// the last entry being the end of the period.
pub fn per_day(instants: impl IntoIterator<Item = i64>, day_starts: &[i64]) -> Vec<i64> {
    let days = day_starts.len().saturating_sub(1);
    let mut counts = vec![0; days];
    for instant in instants {
        let index = day_starts.partition_point(|start| *start <= instant);
        if index >= 1 && index <= days {
            counts[index - 1] += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(unit: i64) -> AppealFacts {
        AppealFacts {
            status: AppealStatus::Received,
            category_code: None,
            unit_id: Some(unit),
            received_ms: 0,
            signed_ms: None,
            sign_due_ms: None,
            resolved_ms: None,
            resolve_due_ms: None,
            resolution: None,
            satisfaction: None,
            reopen_count: 0,
        }
    }

    fn handled(
        unit: i64,
        signed: i64,
        sign_due: i64,
        resolved: i64,
        resolve_due: i64,
        rating: Option<(Resolution, Satisfaction)>,
        reopens: i64,
    ) -> AppealFacts {
        AppealFacts {
            status: AppealStatus::Closed,
            signed_ms: Some(signed),
            sign_due_ms: Some(sign_due),
            resolved_ms: Some(resolved),
            resolve_due_ms: Some(resolve_due),
            resolution: rating.map(|rating| rating.0),
            satisfaction: rating.map(|rating| rating.1),
            reopen_count: reopens,
            ..fact(unit)
        }
    }

    const HOUR: i64 = 3_600_000;

    #[test]
    fn rates_follow_the_written_definitions() {
        let facts = vec![
            // Signed in time, resolved in time, resolved and satisfied.
            handled(1, HOUR, 2 * HOUR, 10 * HOUR, 20 * HOUR, Some((Resolution::Resolved, Satisfaction::Satisfied)), 0),
            // Signed late, resolved late, partly resolved, basically satisfied, reopened once.
            handled(1, 3 * HOUR, 2 * HOUR, 30 * HOUR, 20 * HOUR, Some((Resolution::Partly, Satisfaction::Basically)), 1),
            // Not signed yet, deadline set: counts against the response rate.
            AppealFacts { sign_due_ms: Some(2 * HOUR), ..fact(1) },
            // No deadline at all: in no denominator but the count.
            fact(1),
        ];
        let rates = rates(&facts, 4, 1, 0.5);
        assert_eq!(rates.received, 4);
        assert_eq!(rates.resolved, 2);
        assert_eq!(rates.rated, 2);
        assert_eq!(rates.response_rate, Some(1.0 / 3.0));
        assert_eq!(rates.resolution_rate, Some(0.5));
        assert_eq!(rates.satisfaction_rate, Some(0.75));
        assert_eq!(rates.on_time_rate, Some(0.5));
        assert_eq!(rates.reopen_rate, Some(0.5));
        assert_eq!(rates.return_rate, Some(0.25));
        assert_eq!(rates.mean_handling_hours, Some(20.0));
    }

    #[test]
    fn empty_denominators_give_no_data_not_zero() {
        let rates = rates(&[fact(1)], 0, 0, 1.0);
        assert_eq!(rates.response_rate, None);
        assert_eq!(rates.resolution_rate, None);
        assert_eq!(rates.satisfaction_rate, None);
        assert_eq!(rates.on_time_rate, None);
        assert_eq!(rates.return_rate, None);
        assert_eq!(rates.mean_handling_hours, None);
        assert_eq!(score(&rates, &ScoreWeights::default()), None);
    }

    #[test]
    fn ranking_puts_scored_units_first_by_score() {
        let good = handled(2, 0, 1, 1, 2, Some((Resolution::Resolved, Satisfaction::Satisfied)), 0);
        let poor = handled(1, 5, 1, 9, 2, Some((Resolution::NotResolved, Satisfaction::Dissatisfied)), 0);
        let facts = vec![poor, good, fact(3), fact(3)];
        let events = vec![UnitEvent::DispatchedTo(4), UnitEvent::ReturnedBy(4)];
        let ranking = rank_units(&facts, &events, &ScoreWeights::default(), 1.0);
        let order: Vec<(i64, i64)> = ranking.iter().map(|line| (line.unit_id, line.rank)).collect();
        assert_eq!(order, vec![(2, 1), (1, 2), (3, 3), (4, 4)]);
        assert_eq!(ranking[0].score, Some(100.0));
        assert_eq!(ranking[1].score, Some(0.0));
        assert_eq!(ranking[3].rates.return_rate, Some(1.0));
    }

    #[test]
    fn days_and_categories_are_counted() {
        assert_eq!(per_day([0, 5, 10, 15, 25, -1], &[0, 10, 20]), vec![2, 2]);
        let mut facts = vec![fact(1), fact(1), fact(1)];
        facts[0].category_code = Some("b".into());
        facts[1].category_code = Some("b".into());
        facts[2].category_code = Some("a".into());
        assert_eq!(top_categories(&facts, 1), vec![("b".to_string(), 2)]);
    }
}
