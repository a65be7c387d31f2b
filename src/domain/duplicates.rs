//! Spotting a new appeal that describes the same concrete problem at the same place as
//! an open one, so that a person can merge them (and every reporter hears the outcome).
//!
//! Residents describe one problem in very different words (the corpus's `same_as`
//! pairs share few character bigrams), so the text measure is lenient and the place
//! and the category carry most of the weight: same grid, same village or within a
//! short distance; the same category; some shared wording; within a time window.

use std::collections::BTreeSet;

use super::classify::features::han_bigrams;

/// The thresholds of the duplicate rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DuplicateRule {
    /// Two points closer than this are the same place, whatever their grids.
    pub max_distance_m: f64,
    /// Only appeals received within this long before (or after) the new one.
    pub window_ms: i64,
    /// Least bigram cosine when both appeals have the same category.
    pub min_similarity_same_category: f64,
    /// Least bigram cosine when the categories differ or one is unknown.
    pub min_similarity_other_category: f64,
}

impl Default for DuplicateRule {
    fn default() -> Self {
        DuplicateRule {
            max_distance_m: 300.0,
            window_ms: 30 * 24 * 3600 * 1000,
            min_similarity_same_category: 0.05,
            min_similarity_other_category: 0.30,
        }
    }
}

/// What the rule needs to know of an appeal.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateFacts<'a> {
    pub text: &'a str,
    pub grid_id: Option<&'a str>,
    pub region_code: &'a str,
    /// WGS84 (lng, lat).
    pub point: Option<(f64, f64)>,
    pub category_code: Option<&'a str>,
    pub received_ms: i64,
}

/// A suggested merge with the reasons a person can check.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateMatch {
    /// Cosine of the two texts' character-bigram sets, 0 to 1.
    pub similarity: f64,
    pub reasons: Vec<String>,
}

/// Cosine similarity of character-bigram sets (Ochiai), with the shared bigrams.
pub fn bigram_similarity(a: &str, b: &str) -> (f64, Vec<String>) {
    let left: BTreeSet<String> = han_bigrams(a).into_iter().collect();
    let right: BTreeSet<String> = han_bigrams(b).into_iter().collect();
    if left.is_empty() || right.is_empty() {
        return (0.0, Vec::new());
    }
    let shared: Vec<String> = left.intersection(&right).cloned().collect();
    let similarity = shared.len() as f64 / ((left.len() * right.len()) as f64).sqrt();
    (similarity, shared)
}

/// Great-circle distance in metres between two WGS84 points (lng, lat).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let radius = 6_371_000.0;
    let (lng1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lng2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lng2 - lng1) / 2.0).sin().powi(2);
    2.0 * radius * h.sqrt().min(1.0).asin()
}

/// Whether `candidate` (an open appeal) looks like the same problem as `new`.
pub fn assess(rule: &DuplicateRule, new: &DuplicateFacts, candidate: &DuplicateFacts) -> Option<DuplicateMatch> {
    let mut reasons = Vec::new();
    let apart_ms = (new.received_ms - candidate.received_ms).abs();
    if apart_ms > rule.window_ms {
        return None;
    }
    let same_grid = new.grid_id.is_some() && new.grid_id == candidate.grid_id;
    let distance = match (new.point, candidate.point) {
        (Some(a), Some(b)) => Some(distance_m(a, b)),
        _ => None,
    };
    let near = distance.is_some_and(|metres| metres <= rule.max_distance_m);
    let same_region = new.region_code == candidate.region_code && new.region_code.len() >= 9;
    if same_grid {
        reasons.push(format!("同一网格 {}", new.grid_id.unwrap_or_default()));
    } else if near {
        reasons.push(format!("两处相距约 {:.0} 米", distance.unwrap_or_default()));
    } else if same_region {
        reasons.push(format!("同一村(社区)/乡镇 {}", new.region_code));
    } else {
        return None;
    }
    let same_category = new.category_code.is_some() && new.category_code == candidate.category_code;
    let (similarity, shared) = bigram_similarity(new.text, candidate.text);
    let needed = if same_category { rule.min_similarity_same_category } else { rule.min_similarity_other_category };
    if similarity < needed {
        return None;
    }
    if same_category {
        reasons.push(format!("同一分类 {}", new.category_code.unwrap_or_default()));
    }
    let shown: Vec<&str> = shared.iter().map(String::as_str).take(8).collect();
    reasons.push(format!("文本相似度 {similarity:.2}（共同字词: {}）", shown.join("、")));
    reasons.push(format!("相隔 {:.1} 天", apart_ms as f64 / 86_400_000.0));
    Some(DuplicateMatch { similarity, reasons })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(text: &'a str, region: &'a str, category: Option<&'a str>, received_ms: i64) -> DuplicateFacts<'a> {
        DuplicateFacts { text, grid_id: None, region_code: region, point: None, category_code: category, received_ms }
    }

    #[test]
    fn same_place_same_category_and_shared_words_suggest_a_merge() {
        let rule = DuplicateRule::default();
        let first = facts("竹马村五组房子后面的排洪沟被垃圾和树枝堵了一大半，汛期马上就来了", "511824101203", Some("1202"), 0);
        let second =
            facts("院坝会上五组的群众说，那条排洪沟里全是杂草和淤泥，今年汛期前一定要清出来", "511824101203", Some("1202"), 86_400_000);
        let found = assess(&rule, &second, &first).expect("a duplicate");
        assert!(found.reasons.iter().any(|reason| reason.contains("排洪")), "{:?}", found.reasons);
        // Another village, another category, or too long ago: no suggestion.
        assert!(assess(&rule, &facts(second.text, "511824101204", Some("1202"), 0), &first).is_none());
        assert!(assess(&rule, &facts(second.text, "511824101203", Some("0302"), 0), &first).is_none());
        assert!(assess(&rule, &facts(second.text, "511824101203", Some("1202"), rule.window_ms + 1), &first).is_none());
    }

    #[test]
    fn nearby_points_count_as_the_same_place() {
        let rule = DuplicateRule::default();
        let mut a = facts("路灯坏了", "511824001001", Some("0201"), 0);
        let mut b = facts("这里的路灯不亮", "511824002002", Some("0201"), 0);
        a.point = Some((102.3590, 29.2340));
        b.point = Some((102.3600, 29.2345));
        assert!(distance_m(a.point.unwrap(), b.point.unwrap()) < 150.0);
        assert!(assess(&rule, &a, &b).is_some());
    }
}
