//! Who owns an appeal at each tier, and the time limits of its steps.

use super::access::UnitKind;
use super::appeal::Tier;
use super::deadline::TimeLimit;
use super::region::{RegionLevel, ancestor_at};

/// The units that may own an appeal at `tier` in `region_code`, best first.
///
/// green and blue belong to the village or community organisation, yellow to the township
/// committee, red to the county service centre. When the region is not precise enough
/// (an appeal placed only at township or county level), ownership falls back up the tree
/// and finally to the service centre, whose triage queue catches everything.
pub fn owner_candidates(tier: Tier, region_code: &str, county_code: &str) -> Vec<(UnitKind, String)> {
    let village = ancestor_at(region_code, RegionLevel::Village).map(str::to_string);
    let township = ancestor_at(region_code, RegionLevel::Township).map(str::to_string);
    let mut candidates = Vec::new();
    if matches!(tier, Tier::Green | Tier::Blue) {
        if let Some(village) = village {
            candidates.push((UnitKind::VillageOrganisation, village));
        }
    }
    if matches!(tier, Tier::Green | Tier::Blue | Tier::Yellow) {
        if let Some(township) = township {
            candidates.push((UnitKind::TownshipCommittee, township));
        }
    }
    candidates.push((UnitKind::ServiceCentre, county_code.to_string()));
    candidates
}

/// The time limits of an appeal's steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StepLimits {
    /// From intake (or a return) to dispatch: the owner's triage.
    pub dispatch: TimeLimit,
    /// From dispatch to signing for it.
    pub sign_for: TimeLimit,
    /// From dispatch to resolution (the feedback limit for urgent appeals).
    pub resolve: TimeLimit,
}

/// Category codes of water, power, gas and heating, which must see feedback within 24 h.
pub const UTILITY_CATEGORIES: &[&str] = &["0203", "0205", "0206", "0703"];

/// The default limits: 2 clock hours of feedback for danger to life or property now,
/// 24 clock hours for water, power, gas and heating, otherwise the category's working
/// days (7 when unknown); signing for takes at most 4 working hours (1 clock hour when urgent).
pub fn default_step_limits(urgent: bool, category_code: Option<&str>, category_working_days: Option<u32>) -> StepLimits {
    if urgent {
        return StepLimits { dispatch: TimeLimit::ClockHours(1), sign_for: TimeLimit::ClockHours(1), resolve: TimeLimit::ClockHours(2) };
    }
    let resolve = if category_code.is_some_and(|code| UTILITY_CATEGORIES.contains(&code)) {
        TimeLimit::ClockHours(24)
    } else {
        TimeLimit::WorkingDays(category_working_days.unwrap_or(7).max(1))
    };
    StepLimits { dispatch: TimeLimit::WorkingHours(4), sign_for: TimeLimit::WorkingHours(4), resolve }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_follows_the_tier_and_falls_back_up_the_tree() {
        let cases: &[(Tier, &str, &[UnitKind])] = &[
            (Tier::Green, "511824002006", &[UnitKind::VillageOrganisation, UnitKind::TownshipCommittee, UnitKind::ServiceCentre]),
            (Tier::Blue, "511824002", &[UnitKind::TownshipCommittee, UnitKind::ServiceCentre]),
            (Tier::Yellow, "511824002006", &[UnitKind::TownshipCommittee, UnitKind::ServiceCentre]),
            (Tier::Red, "511824002006", &[UnitKind::ServiceCentre]),
            (Tier::Blue, "511824", &[UnitKind::ServiceCentre]),
        ];
        for (tier, region, kinds) in cases {
            let got: Vec<UnitKind> = owner_candidates(*tier, region, "511824").into_iter().map(|(kind, _)| kind).collect();
            assert_eq!(&got, kinds, "{tier} {region}");
        }
    }

    #[test]
    fn urgent_and_utility_limits_override_the_category() {
        assert_eq!(default_step_limits(true, Some("0101"), Some(7)).resolve, TimeLimit::ClockHours(2));
        assert_eq!(default_step_limits(false, Some("0206"), Some(1)).resolve, TimeLimit::ClockHours(24));
        assert_eq!(default_step_limits(false, Some("0701"), Some(15)).resolve, TimeLimit::WorkingDays(15));
        assert_eq!(default_step_limits(false, None, None).resolve, TimeLimit::WorkingDays(7));
    }
}
