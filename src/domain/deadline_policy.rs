//! Deadline policies: the time limits of each step, per tier and per category, with the
//! urgent overrides, the warning share and the thresholds of the monthly reminders.
//!
//! A policy is versioned as a whole. An appeal records the version it was given at intake
//! and keeps it: editing the policy writes a new version and never rewrites history.
//! This module is pure: it checks a policy and looks limits up; storage keeps the versions.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::appeal::Tier;
use super::deadline::TimeLimit;
use super::ownership::{StepLimits, UTILITY_CATEGORIES};

/// A step of the handling that has its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// From intake (or a return) to dispatch: the owner's triage.
    Dispatch,
    /// From dispatch to signing for it (签收).
    SignFor,
    /// From dispatch to the first contact with the resident (首次响应).
    Response,
    /// From dispatch to resolution (办结; the feedback limit for urgent appeals).
    Resolve,
}

/// One rule: the limit of a step, optionally only for a tier and/or a category.
///
/// A category rule matches the category itself and its children (a rule for `02` covers
/// `0203`). When several rules match, the most specific wins: a rule naming a category
/// beats one that does not (a longer code beats a shorter one), then a rule naming a tier
/// beats one that does not, then the later rule in the list wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyRule {
    pub step: Step,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub tier: Option<Tier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_code: Option<String>,
    #[schema(value_type = Object)]
    pub limit: TimeLimit,
}

/// Limits that override every rule for urgent appeals and for utilities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UrgentOverrides {
    /// Danger to life or property now: every step, and feedback (resolve) within 2 h.
    #[schema(value_type = Object)]
    pub urgent_dispatch: TimeLimit,
    #[schema(value_type = Object)]
    pub urgent_sign_for: TimeLimit,
    #[schema(value_type = Object)]
    pub urgent_response: TimeLimit,
    #[schema(value_type = Object)]
    pub urgent_resolve: TimeLimit,
    /// Water, power, gas and heating: feedback within 24 h.
    pub utility_categories: Vec<String>,
    #[schema(value_type = Object)]
    pub utility_resolve: TimeLimit,
}

/// Below these monthly rates (or above the return rate) a unit gets a reminder notice
/// (工作提示函). Rates are shares between 0 and 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReminderThresholds {
    /// Share of dispatched appeals signed for within the limit (响应率).
    pub min_response_rate: f64,
    /// Share of resolved appeals resolved by their deadline (按时办结率).
    pub min_on_time_rate: f64,
    /// Share of rated appeals rated satisfied or basically satisfied (满意率).
    pub min_satisfaction_rate: f64,
    /// Share of dispatches returned by the unit (退单率).
    pub max_return_rate: f64,
    /// Units with fewer appeals in the month are not judged.
    pub min_appeals: i64,
}

/// A whole policy: what an administrator edits, stored as one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeadlinePolicy {
    /// Share of a deadline's time after which the owner is warned (0.8 = at 80%).
    pub warn_share: f64,
    /// Resolution limit when no rule matches and the category has no default of its own.
    #[schema(value_type = Object)]
    pub default_resolve: TimeLimit,
    pub rules: Vec<PolicyRule>,
    pub overrides: UrgentOverrides,
    pub reminders: ReminderThresholds,
}

/// Why a policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    pub field: &'static str,
    pub message: String,
}

fn policy_error(field: &'static str, message: impl Into<String>) -> PolicyError {
    PolicyError { field, message: message.into() }
}

fn limit_is_positive(limit: TimeLimit) -> bool {
    match limit {
        TimeLimit::WorkingDays(n) | TimeLimit::WorkingHours(n) | TimeLimit::ClockHours(n) => n > 0,
    }
}

impl DeadlinePolicy {
    /// The policy shipped as version 1: the limits seen in practice (DOMAIN.md).
    pub fn shipped_default() -> DeadlinePolicy {
        DeadlinePolicy {
            warn_share: 0.8,
            default_resolve: TimeLimit::WorkingDays(7),
            rules: vec![
                PolicyRule { step: Step::Dispatch, tier: None, category_code: None, limit: TimeLimit::WorkingHours(4) },
                PolicyRule { step: Step::SignFor, tier: None, category_code: None, limit: TimeLimit::WorkingHours(4) },
                PolicyRule { step: Step::Response, tier: None, category_code: None, limit: TimeLimit::WorkingDays(1) },
            ],
            overrides: UrgentOverrides {
                urgent_dispatch: TimeLimit::ClockHours(1),
                urgent_sign_for: TimeLimit::ClockHours(1),
                urgent_response: TimeLimit::ClockHours(1),
                urgent_resolve: TimeLimit::ClockHours(2),
                utility_categories: UTILITY_CATEGORIES.iter().map(|code| code.to_string()).collect(),
                utility_resolve: TimeLimit::ClockHours(24),
            },
            reminders: ReminderThresholds {
                min_response_rate: 0.9,
                min_on_time_rate: 0.9,
                min_satisfaction_rate: 0.8,
                max_return_rate: 0.2,
                min_appeals: 3,
            },
        }
    }

    /// Checks a policy before it is stored. A refused policy changes nothing.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if !(self.warn_share > 0.0 && self.warn_share < 1.0) {
            return Err(policy_error("warn_share", "warn_share is a share of the time between 0 and 1, e.g. 0.8 to warn at 80%"));
        }
        let overrides = &self.overrides;
        let limits = [
            ("default_resolve", self.default_resolve),
            ("overrides.urgent_dispatch", overrides.urgent_dispatch),
            ("overrides.urgent_sign_for", overrides.urgent_sign_for),
            ("overrides.urgent_response", overrides.urgent_response),
            ("overrides.urgent_resolve", overrides.urgent_resolve),
            ("overrides.utility_resolve", overrides.utility_resolve),
        ];
        for (field, limit) in limits {
            if !limit_is_positive(limit) {
                return Err(policy_error("policy", format!("{field} must be a limit above zero")));
            }
        }
        for (index, rule) in self.rules.iter().enumerate() {
            if !limit_is_positive(rule.limit) {
                return Err(policy_error("rules", format!("rule {index} has a zero limit; every limit must be above zero")));
            }
            if let Some(code) = &rule.category_code {
                if code.is_empty() || code.len() > 16 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
                    return Err(policy_error("rules", format!("rule {index}: category_code `{code}` must be digits, e.g. 0203")));
                }
            }
        }
        for code in &overrides.utility_categories {
            if code.is_empty() || !code.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(policy_error("overrides.utility_categories", format!("`{code}` is not a category code")));
            }
        }
        let reminders = &self.reminders;
        for (field, rate) in [
            ("reminders.min_response_rate", reminders.min_response_rate),
            ("reminders.min_on_time_rate", reminders.min_on_time_rate),
            ("reminders.min_satisfaction_rate", reminders.min_satisfaction_rate),
            ("reminders.max_return_rate", reminders.max_return_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(policy_error("reminders", format!("{field} is a share between 0 and 1")));
            }
        }
        if reminders.min_appeals < 0 {
            return Err(policy_error("reminders", "reminders.min_appeals must not be negative"));
        }
        Ok(())
    }

    /// The limit of one step for an appeal. `category_days` is the category's own default
    /// resolution limit in working days, used when no rule sets the resolution limit.
    pub fn limit(&self, step: Step, tier: Tier, urgent: bool, category_code: Option<&str>, category_days: Option<u32>) -> TimeLimit {
        let overrides = &self.overrides;
        if urgent {
            return match step {
                Step::Dispatch => overrides.urgent_dispatch,
                Step::SignFor => overrides.urgent_sign_for,
                Step::Response => overrides.urgent_response,
                Step::Resolve => overrides.urgent_resolve,
            };
        }
        if step == Step::Resolve {
            let utility =
                category_code.is_some_and(|code| overrides.utility_categories.iter().any(|utility| code.starts_with(utility.as_str())));
            if utility {
                return overrides.utility_resolve;
            }
        }
        let mut best: Option<((usize, u8), TimeLimit)> = None;
        for rule in &self.rules {
            if rule.step != step {
                continue;
            }
            if rule.tier.is_some_and(|rule_tier| rule_tier != tier) {
                continue;
            }
            let category_rank = match (&rule.category_code, category_code) {
                (None, _) => 0,
                (Some(rule_code), Some(code)) if code.starts_with(rule_code.as_str()) => rule_code.len(),
                (Some(_), _) => continue,
            };
            let rank = (category_rank, u8::from(rule.tier.is_some()));
            if best.is_none_or(|(best_rank, _)| rank >= best_rank) {
                best = Some((rank, rule.limit));
            }
        }
        match (best, step) {
            (Some((_, limit)), _) => limit,
            (None, Step::Resolve) => category_days.filter(|days| *days > 0).map_or(self.default_resolve, TimeLimit::WorkingDays),
            (None, Step::Response) => TimeLimit::WorkingDays(1),
            (None, Step::Dispatch | Step::SignFor) => TimeLimit::WorkingHours(4),
        }
    }

    /// The limits of the steps the workflow times, for an appeal.
    pub fn step_limits(&self, tier: Tier, urgent: bool, category_code: Option<&str>, category_days: Option<u32>) -> StepLimits {
        StepLimits {
            dispatch: self.limit(Step::Dispatch, tier, urgent, category_code, category_days),
            sign_for: self.limit(Step::SignFor, tier, urgent, category_code, category_days),
            resolve: self.limit(Step::Resolve, tier, urgent, category_code, category_days),
        }
    }
}

/// Fills a template's `{placeholder}`s from `values`; unknown placeholders stay as written,
/// so a mistyped name is visible in the message rather than silently empty.
pub fn render_template(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match values.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ownership::default_step_limits;

    #[test]
    fn the_shipped_policy_matches_the_old_defaults() {
        let policy = DeadlinePolicy::shipped_default();
        policy.validate().unwrap();
        let cases: &[(bool, Option<&str>, Option<u32>)] =
            &[(true, Some("0101"), Some(7)), (false, Some("0206"), Some(1)), (false, Some("0701"), Some(15)), (false, None, None)];
        for (urgent, code, days) in cases {
            for tier in [Tier::Green, Tier::Blue, Tier::Yellow, Tier::Red] {
                assert_eq!(
                    policy.step_limits(tier, *urgent, *code, *days),
                    default_step_limits(*urgent, *code, *days),
                    "{urgent} {code:?}"
                );
            }
        }
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let mut policy = DeadlinePolicy::shipped_default();
        policy.rules.extend([
            PolicyRule { step: Step::Resolve, tier: Some(Tier::Red), category_code: None, limit: TimeLimit::WorkingDays(3) },
            PolicyRule { step: Step::Resolve, tier: None, category_code: Some("01".into()), limit: TimeLimit::WorkingDays(10) },
            PolicyRule { step: Step::Resolve, tier: Some(Tier::Red), category_code: Some("0101".into()), limit: TimeLimit::WorkingDays(2) },
        ]);
        let resolve = |tier, code: Option<&str>| policy.limit(Step::Resolve, tier, false, code, Some(7));
        assert_eq!(resolve(Tier::Green, Some("0102")), TimeLimit::WorkingDays(10));
        assert_eq!(resolve(Tier::Red, Some("0102")), TimeLimit::WorkingDays(10));
        assert_eq!(resolve(Tier::Red, Some("0101")), TimeLimit::WorkingDays(2));
        assert_eq!(resolve(Tier::Red, Some("0501")), TimeLimit::WorkingDays(3));
        assert_eq!(resolve(Tier::Blue, Some("0501")), TimeLimit::WorkingDays(7));
        assert_eq!(policy.limit(Step::Resolve, Tier::Blue, true, Some("0101"), None), TimeLimit::ClockHours(2));
    }

    #[test]
    fn bad_policies_are_refused_with_the_field() {
        let mut policy = DeadlinePolicy::shipped_default();
        policy.warn_share = 1.5;
        assert_eq!(policy.validate().unwrap_err().field, "warn_share");
        let mut policy = DeadlinePolicy::shipped_default();
        policy.rules.push(PolicyRule {
            step: Step::SignFor,
            tier: None,
            category_code: Some("x".into()),
            limit: TimeLimit::WorkingHours(1),
        });
        assert_eq!(policy.validate().unwrap_err().field, "rules");
        let mut policy = DeadlinePolicy::shipped_default();
        policy.rules.push(PolicyRule { step: Step::SignFor, tier: None, category_code: None, limit: TimeLimit::WorkingHours(0) });
        assert!(policy.validate().is_err());
    }

    #[test]
    fn templates_fill_known_placeholders_only() {
        let values = [("number", "MQ-1".to_string()), ("tier", "红".to_string())];
        assert_eq!(render_template("诉求{number}升级为{tier}", &values), "诉求MQ-1升级为红");
        assert_eq!(render_template("{unknown} {number", &values), "{unknown} {number");
    }
}
