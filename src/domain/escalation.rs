//! The escalation ladder's pure decisions: which step's clock is running, what a breach
//! does, who is late, and the metrics that decide a monthly reminder notice.
//!
//! No IO and no clock: the sweep passes the appeal's fields and "now" in.

use super::appeal::{AppealStatus, Tier};
use super::deadline_policy::{ReminderThresholds, Step};

/// The step whose deadline is running in a status (`None` when no clock runs).
pub fn timed_step(status: AppealStatus) -> Option<Step> {
    match status {
        AppealStatus::Received | AppealStatus::Accepted | AppealStatus::Returned => Some(Step::Dispatch),
        AppealStatus::Dispatched => Some(Step::SignFor),
        AppealStatus::SignedFor | AppealStatus::InProgress => Some(Step::Resolve),
        _ => None,
    }
}

/// What a missed deadline does to an appeal at a tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breach {
    /// Climb one tier; ownership moves to the new tier's unit, which gets a fresh deadline.
    Climb { to: Tier },
    /// Already red: a supervision notice (督办) to the head of the late unit, and the key
    /// supervision list (重点督办库).
    Supervise,
}

pub fn on_breach(tier: Tier) -> Breach {
    match tier {
        Tier::Red => Breach::Supervise,
        other => Breach::Climb { to: other.escalated() },
    }
}

/// The unit that is late: the lead unit once the appeal is dispatched (it failed to sign
/// for or to resolve), otherwise the owner (it failed to dispatch).
pub fn late_unit(status: AppealStatus, owner_unit_id: Option<i64>, lead_unit_id: Option<i64>) -> Option<i64> {
    match status {
        AppealStatus::Dispatched | AppealStatus::SignedFor | AppealStatus::InProgress => lead_unit_id.or(owner_unit_id),
        _ => owner_unit_id,
    }
}

/// A unit's counts for one month, from which the rates are computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnitMonthCounts {
    /// Appeals dispatched to the unit as lead in the month.
    pub dispatched: i64,
    /// Of those, signed for by the sign-for deadline.
    pub signed_on_time: i64,
    /// Appeals the unit resolved in the month.
    pub resolved: i64,
    /// Of those, resolved by the resolution deadline.
    pub resolved_on_time: i64,
    /// Appeals rated in the month (unit as lead).
    pub rated: i64,
    /// Of those, rated satisfied or basically satisfied.
    pub satisfied: i64,
    /// Dispatches the unit returned in the month.
    pub returned: i64,
}

/// A metric that fell below (or above) its threshold.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Shortfall {
    pub metric: &'static str,
    pub label_zh: &'static str,
    pub value: f64,
    pub threshold: f64,
}

/// The rates of a month and which thresholds they miss. A unit with too few appeals is
/// not judged; a rate with no denominator is not judged either.
pub fn shortfalls(counts: &UnitMonthCounts, thresholds: &ReminderThresholds) -> Vec<Shortfall> {
    let volume = counts.dispatched.max(counts.resolved).max(counts.rated);
    if volume < thresholds.min_appeals.max(1) {
        return Vec::new();
    }
    let rate = |part: i64, whole: i64| (whole > 0).then(|| part as f64 / whole as f64);
    let mut found = Vec::new();
    let mut below = |metric, label_zh, value: Option<f64>, threshold: f64| {
        if let Some(value) = value {
            if value < threshold {
                found.push(Shortfall { metric, label_zh, value, threshold });
            }
        }
    };
    below("response_rate", "响应率", rate(counts.signed_on_time, counts.dispatched), thresholds.min_response_rate);
    below("on_time_rate", "按时办结率", rate(counts.resolved_on_time, counts.resolved), thresholds.min_on_time_rate);
    below("satisfaction_rate", "满意率", rate(counts.satisfied, counts.rated), thresholds.min_satisfaction_rate);
    if let Some(value) = rate(counts.returned, counts.dispatched + counts.returned) {
        if value > thresholds.max_return_rate {
            found.push(Shortfall { metric: "return_rate", label_zh: "退单率", value, threshold: thresholds.max_return_rate });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deadline_policy::DeadlinePolicy;

    #[test]
    fn the_ladder_climbs_one_tier_and_red_is_supervised() {
        let cases = [
            (Tier::Green, Breach::Climb { to: Tier::Blue }),
            (Tier::Blue, Breach::Climb { to: Tier::Yellow }),
            (Tier::Yellow, Breach::Climb { to: Tier::Red }),
            (Tier::Red, Breach::Supervise),
        ];
        for (tier, breach) in cases {
            assert_eq!(on_breach(tier), breach, "{tier}");
        }
    }

    #[test]
    fn the_late_unit_is_the_lead_once_dispatched() {
        assert_eq!(late_unit(AppealStatus::Received, Some(1), None), Some(1));
        assert_eq!(late_unit(AppealStatus::Dispatched, Some(1), Some(2)), Some(2));
        assert_eq!(late_unit(AppealStatus::InProgress, Some(1), None), Some(1));
        assert_eq!(timed_step(AppealStatus::Closed), None);
        assert_eq!(timed_step(AppealStatus::Dispatched), Some(Step::SignFor));
    }

    #[test]
    fn shortfalls_follow_the_thresholds() {
        let thresholds = DeadlinePolicy::shipped_default().reminders;
        let good = UnitMonthCounts {
            dispatched: 10,
            signed_on_time: 10,
            resolved: 10,
            resolved_on_time: 10,
            rated: 10,
            satisfied: 9,
            returned: 0,
        };
        assert!(shortfalls(&good, &thresholds).is_empty());
        let bad = UnitMonthCounts { signed_on_time: 5, satisfied: 5, returned: 5, ..good };
        let metrics: Vec<&str> = shortfalls(&bad, &thresholds).iter().map(|shortfall| shortfall.metric).collect();
        assert_eq!(metrics, ["response_rate", "satisfaction_rate", "return_rate"]);
        let few = UnitMonthCounts { dispatched: 1, ..UnitMonthCounts::default() };
        assert!(shortfalls(&few, &thresholds).is_empty());
    }
}
