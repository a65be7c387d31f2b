//! An administrator's keyword and pattern rules. A rule matches when the text contains
//! every word of `all_of`, at least one of `any_of` (if given) and none of `none_of`.
//! A matching rule adds `weight` to its category's score (a large weight decides alone)
//! and, when `urgent`, marks the appeal as urgent danger so that it starts red.

use serde::{Deserialize, Serialize};

/// Weight at or above which a matching rule decides the category by itself.
pub const DECISIVE_WEIGHT: f64 = 10.0;

/// One rule as stored and edited through the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClassifierRule {
    pub id: i64,
    /// What the rule is for, shown in explanations, e.g. `燃气泄漏`.
    pub name: String,
    /// The category the rule points to; none for a rule that only marks urgency.
    pub category_code: Option<String>,
    pub all_of: Vec<String>,
    pub any_of: Vec<String>,
    pub none_of: Vec<String>,
    pub urgent: bool,
    /// Added to the category's score (in the model's log-odds units) when the rule matches.
    pub weight: f64,
    pub active: bool,
}

/// Why a rule is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RuleProblem {
    pub field: &'static str,
    pub message: String,
}

impl ClassifierRule {
    /// The words of the text that made the rule match, or None when it does not match.
    pub fn matches<'a>(&'a self, text: &str) -> Option<Vec<&'a str>> {
        if !self.active || (self.all_of.is_empty() && self.any_of.is_empty()) {
            return None;
        }
        if self.none_of.iter().any(|word| !word.is_empty() && text.contains(word.as_str())) {
            return None;
        }
        let mut hits: Vec<&str> = Vec::new();
        for word in &self.all_of {
            if !text.contains(word.as_str()) {
                return None;
            }
            hits.push(word);
        }
        if !self.any_of.is_empty() {
            let any: Vec<&str> = self.any_of.iter().map(String::as_str).filter(|word| !word.is_empty() && text.contains(word)).collect();
            if any.is_empty() {
                return None;
            }
            hits.extend(any);
        }
        Some(hits)
    }

    /// Checks a rule before it is stored: it must say something and point somewhere.
    pub fn validate(&self, known_category: impl Fn(&str) -> bool) -> Result<(), RuleProblem> {
        let clean = |words: &[String]| words.iter().all(|word| !word.trim().is_empty() && word.chars().count() <= 40);
        if self.name.trim().is_empty() {
            return Err(RuleProblem { field: "name", message: "name must say what the rule is for".into() });
        }
        if self.all_of.is_empty() && self.any_of.is_empty() {
            return Err(RuleProblem { field: "all_of", message: "give at least one word in all_of or any_of".into() });
        }
        if !clean(&self.all_of) || !clean(&self.any_of) || !clean(&self.none_of) {
            return Err(RuleProblem { field: "any_of", message: "words must be non-empty and at most 40 characters".into() });
        }
        if self.all_of.len() + self.any_of.len() + self.none_of.len() > 200 {
            return Err(RuleProblem { field: "any_of", message: "a rule has at most 200 words".into() });
        }
        if let Some(code) = &self.category_code {
            if !known_category(code) {
                return Err(RuleProblem { field: "category_code", message: format!("category_code `{code}` is not in the taxonomy") });
            }
        } else if !self.urgent {
            return Err(RuleProblem { field: "category_code", message: "a rule needs a category_code, or urgent = true, or both".into() });
        }
        if !self.weight.is_finite() || !(-50.0..=50.0).contains(&self.weight) {
            return Err(RuleProblem { field: "weight", message: "weight must be a number between -50 and 50".into() });
        }
        Ok(())
    }
}

/// How people on the hotline say that something is happening now and needs someone
/// there now, and dangers the triage word list lacks. Added after reading the corpus's
/// urgent examples, so the corpus overstates their recall (docs/CLASSIFICATION.md).
const URGENT_CALLS: &[&str] = &[
    "马上派人",
    "马上来",
    "马上处理",
    "赶快",
    "赶紧",
    "速来",
    "立即",
    "请马上",
    "快通知",
    "怎么办啊",
    "帮帮我",
    "现在还在",
    "冒火花",
    "被水围",
    "撤出来",
    "中毒",
    "上吐下泻",
    "砸到",
    "出血",
];

/// The rules a new deployment starts with: the keyword lists of `domain::triage`, one
/// urgency rule, and decisive rules for the dangers that must start red.
pub fn seed_rules() -> Vec<ClassifierRule> {
    let rule = |name: &str, category: Option<&str>, all_of: &[&str], any_of: &[&str], urgent: bool, weight: f64| ClassifierRule {
        id: 0,
        name: name.to_string(),
        category_code: category.map(str::to_string),
        all_of: all_of.iter().map(|word| word.to_string()).collect(),
        any_of: any_of.iter().map(|word| word.to_string()).collect(),
        none_of: Vec::new(),
        urgent,
        weight,
        active: true,
    };
    let mut rules = vec![
        rule("紧急危险", None, &[], super::super::triage::URGENT_WORDS, true, 0.0),
        rule("紧急求助用语", None, &[], URGENT_CALLS, true, 0.0),
        rule(
            "燃气泄漏",
            Some("0206"),
            &[],
            &["燃气泄漏", "燃气泄露", "天然气泄漏", "天然气泄露", "煤气泄漏", "漏气"],
            true,
            DECISIVE_WEIGHT,
        ),
        rule("滑坡塌方", Some("1201"), &[], &["滑坡", "塌方", "泥石流", "落石"], false, 3.0),
        rule("洪水内涝", Some("1202"), &[], &["洪水", "决堤", "溃坝", "涨水"], false, 3.0),
        rule("山火", Some("1203"), &[], &["山火", "森林火灾"], true, DECISIVE_WEIGHT),
    ];
    for (code, words) in super::super::triage::CATEGORY_WORDS {
        rules.push(rule("分类关键词", Some(code), &[], words, false, 1.0));
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_needs_all_of_any_of_and_none_of_none() {
        let mut rule = seed_rules().into_iter().find(|rule| rule.name == "燃气泄漏").unwrap();
        rule.all_of = vec!["单元".into()];
        rule.none_of = vec!["演练".into()];
        assert_eq!(rule.matches("单元楼燃气泄漏"), Some(vec!["单元", "燃气泄漏"]));
        assert_eq!(rule.matches("燃气泄漏"), None);
        assert_eq!(rule.matches("单元楼燃气泄漏演练"), None);
        rule.active = false;
        assert_eq!(rule.matches("单元楼燃气泄漏"), None);
    }

    #[test]
    fn rules_are_validated() {
        let known = |code: &str| code == "0206";
        let mut rule = seed_rules().into_iter().find(|rule| rule.name == "燃气泄漏").unwrap();
        assert!(rule.validate(known).is_ok());
        rule.category_code = Some("9999".into());
        assert_eq!(rule.validate(known).unwrap_err().field, "category_code");
        rule.category_code = Some("0206".into());
        rule.any_of = vec![" ".into()];
        assert_eq!(rule.validate(known).unwrap_err().field, "any_of");
        rule.any_of.clear();
        assert_eq!(rule.validate(known).unwrap_err().field, "all_of");
    }
}
