//! Hot spots and early warning: the same category at the same place (grid or village)
//! within a window, well above that place's usual rate; and the month's most frequent
//! problem types per township (每月一题 candidates).

/// The thresholds of the hot-spot rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HotspotRule {
    /// The window looked at, in days.
    pub window_days: i64,
    /// How many earlier windows of the same length make the usual rate.
    pub history_windows: i64,
    /// Fewer appeals than this are never a hot spot.
    pub min_count: i64,
    /// The count must be at least this many times the usual count.
    pub min_ratio: f64,
    /// The count must be this unlikely under the usual rate (Poisson tail).
    pub max_probability: f64,
}

impl Default for HotspotRule {
    fn default() -> Self {
        HotspotRule { window_days: 7, history_windows: 8, min_count: 3, min_ratio: 3.0, max_probability: 0.01 }
    }
}

/// Why a place and category are a hot spot.
#[derive(Debug, Clone, PartialEq)]
pub struct HotspotFinding {
    /// The usual number of appeals in one window at this place.
    pub usual: f64,
    /// P(at least this many | usual rate).
    pub probability: f64,
}

/// P(X >= k) for X ~ Poisson(lambda).
pub fn poisson_tail(k: i64, lambda: f64) -> f64 {
    if k <= 0 {
        return 1.0;
    }
    let mut term = (-lambda).exp();
    let mut below = term;
    for i in 1..k {
        term *= lambda / i as f64;
        below += term;
    }
    (1.0 - below).clamp(0.0, 1.0)
}

/// Decides whether `recent` appeals in the window, against `earlier` ones in the
/// history windows before it, make a hot spot. Half an appeal is added to the history
/// so that a place with no past is not flagged for a single busy week of two.
pub fn assess(rule: &HotspotRule, recent: i64, earlier: i64) -> Option<HotspotFinding> {
    if recent < rule.min_count {
        return None;
    }
    let usual = (earlier as f64 + 0.5) / rule.history_windows.max(1) as f64;
    if (recent as f64) < rule.min_ratio * usual {
        return None;
    }
    let probability = poisson_tail(recent, usual);
    (probability <= rule.max_probability).then_some(HotspotFinding { usual, probability })
}

/// The words a person reads on the warning.
pub fn explain(rule: &HotspotRule, place: &str, category: &str, recent: i64, finding: &HotspotFinding) -> Vec<String> {
    vec![
        format!("近 {} 天 {place}「{category}」诉求 {recent} 件", rule.window_days),
        format!(
            "此前 {} 个同长周期平均每期 {:.1} 件，本期为常态的 {:.1} 倍",
            rule.history_windows,
            finding.usual,
            recent as f64 / finding.usual
        ),
        format!("按常态出现这么多的概率约 {:.4}，低于 {}", finding.probability, rule.max_probability),
    ]
}

/// One 每月一题 candidate: a problem type in a township with its count and share.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TopicCandidate {
    pub category_code: String,
    pub appeals: i64,
    /// Share of the township's categorised appeals in the month, 0 to 1.
    pub share: f64,
}

/// Per township (by code), the `top` most frequent categories, most frequent first
/// (ties by category code). Input rows are (township, category, count).
pub fn monthly_topics(counts: &[(String, String, i64)], top: usize) -> Vec<(String, i64, Vec<TopicCandidate>)> {
    let mut townships: Vec<String> = counts.iter().map(|(township, _, _)| township.clone()).collect();
    townships.sort();
    townships.dedup();
    townships
        .into_iter()
        .map(|township| {
            let mut rows: Vec<(&String, i64)> =
                counts.iter().filter(|(code, _, _)| *code == township).map(|(_, category, count)| (category, *count)).collect();
            let total: i64 = rows.iter().map(|(_, count)| count).sum();
            rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let candidates = rows
                .into_iter()
                .take(top)
                .map(|(category, count)| TopicCandidate {
                    category_code: category.clone(),
                    appeals: count,
                    share: if total > 0 { count as f64 / total as f64 } else { 0.0 },
                })
                .collect();
            (township, total, candidates)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_above_the_usual_rate_is_a_hot_spot_and_a_steady_rate_is_not() {
        let rule = HotspotRule::default();
        let cases: &[(i64, i64, bool)] = &[
            (5, 0, true),   // five in a week where there were none
            (5, 40, false), // five a week is usual here
            (2, 0, false),  // too few to say
            (3, 1, true),
            (6, 16, false), // twice the usual: not enough
        ];
        for (recent, earlier, hot) in cases {
            assert_eq!(assess(&rule, *recent, *earlier).is_some(), *hot, "recent {recent}, earlier {earlier}");
        }
        let finding = assess(&rule, 5, 0).unwrap();
        assert!(explain(&rule, "某村", "噪声扰民", 5, &finding)[0].contains("5 件"));
    }

    #[test]
    fn poisson_tail_is_a_probability() {
        assert!((poisson_tail(0, 2.0) - 1.0).abs() < 1e-12);
        assert!((poisson_tail(1, 2.0) - (1.0 - (-2.0f64).exp())).abs() < 1e-12);
        assert!(poisson_tail(10, 0.1) < 1e-9);
    }

    #[test]
    fn monthly_topics_rank_categories_within_each_township() {
        let counts = vec![
            ("511824101".to_string(), "0301".to_string(), 3),
            ("511824101".to_string(), "0302".to_string(), 5),
            ("511824101".to_string(), "0201".to_string(), 2),
            ("511824102".to_string(), "0201".to_string(), 1),
        ];
        let topics = monthly_topics(&counts, 2);
        assert_eq!(topics.len(), 2);
        assert_eq!(topics[0].1, 10);
        let codes: Vec<&str> = topics[0].2.iter().map(|topic| topic.category_code.as_str()).collect();
        assert_eq!(codes, vec!["0302", "0301"]);
        assert!((topics[0].2[0].share - 0.5).abs() < 1e-9);
    }
}
