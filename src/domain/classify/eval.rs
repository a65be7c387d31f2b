//! Measuring the classifier: accuracy, per-category precision and recall, urgent
//! recall, triage and tier accuracy, a confusion table, and k-fold cross-validation.

use std::collections::BTreeMap;
use std::fmt::Write;

use jieba_rs::Jieba;

use super::corpus::LabelledAppeal;
use super::rules::ClassifierRule;
use super::{Classifier, Model};
use crate::domain::taxonomy::Category;

/// One prediction next to its truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub id: String,
    pub true_category: String,
    pub predicted_category: Option<String>,
    pub confidence: f64,
    pub true_urgent: bool,
    pub predicted_urgent: bool,
    pub triage_right: bool,
    pub tier_right: bool,
}

/// Classifies each appeal with a classifier and records the outcome.
pub fn evaluate(jieba: &Jieba, classifier: &Classifier, appeals: &[LabelledAppeal], categories: &[Category]) -> Vec<Outcome> {
    appeals
        .iter()
        .map(|appeal| {
            let result = classifier.classify(jieba, &appeal.text, appeal.channel, None, categories);
            let suggestion = result.suggestion;
            Outcome {
                id: appeal.id.clone(),
                true_category: appeal.category.clone(),
                predicted_category: suggestion.category_code.clone(),
                confidence: suggestion.confidence,
                true_urgent: appeal.urgent,
                predicted_urgent: suggestion.urgent,
                triage_right: suggestion.triage == appeal.triage,
                tier_right: suggestion.tier == appeal.tier,
            }
        })
        .collect()
}

/// K-fold cross-validation: appeal i is in fold i mod k; each fold is classified by a
/// model trained on the other folds, with the same rules throughout.
pub fn cross_validate(
    jieba: &Jieba,
    rules: &[ClassifierRule],
    appeals: &[LabelledAppeal],
    categories: &[Category],
    folds: usize,
) -> Vec<Outcome> {
    let folds = folds.max(2);
    let mut outcomes = Vec::with_capacity(appeals.len());
    for fold in 0..folds {
        let training: Vec<_> =
            appeals.iter().enumerate().filter(|(index, _)| index % folds != fold).map(|(_, appeal)| appeal.to_example()).collect();
        let testing: Vec<LabelledAppeal> =
            appeals.iter().enumerate().filter(|(index, _)| index % folds == fold).map(|(_, appeal)| appeal.clone()).collect();
        let classifier = Classifier { rules: rules.to_vec(), model: Model::train(jieba, &training) };
        outcomes.extend(evaluate(jieba, &classifier, &testing, categories));
    }
    outcomes
}

/// The figures of an evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub total: usize,
    pub accuracy: f64,
    pub urgent_recall: f64,
    pub urgent_precision: f64,
    pub triage_accuracy: f64,
    pub tier_accuracy: f64,
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

pub fn summarize(outcomes: &[Outcome]) -> Summary {
    let total = outcomes.len();
    let right = outcomes.iter().filter(|outcome| outcome.predicted_category.as_deref() == Some(outcome.true_category.as_str())).count();
    let urgent = outcomes.iter().filter(|outcome| outcome.true_urgent).count();
    let urgent_found = outcomes.iter().filter(|outcome| outcome.true_urgent && outcome.predicted_urgent).count();
    let flagged = outcomes.iter().filter(|outcome| outcome.predicted_urgent).count();
    Summary {
        total,
        accuracy: ratio(right, total),
        urgent_recall: ratio(urgent_found, urgent),
        urgent_precision: ratio(urgent_found, flagged),
        triage_accuracy: ratio(outcomes.iter().filter(|outcome| outcome.triage_right).count(), total),
        tier_accuracy: ratio(outcomes.iter().filter(|outcome| outcome.tier_right).count(), total),
    }
}

/// The printable report; its last line is exactly `accuracy: 0.NNN`.
pub fn report(outcomes: &[Outcome], categories: &[Category], threshold: f64) -> String {
    let summary = summarize(outcomes);
    let mut out = String::new();
    let name =
        |code: &str| categories.iter().find(|category| category.code == code).map_or(String::new(), |category| category.name.clone());
    let _ = writeln!(out, "appeals: {}", summary.total);
    let _ = writeln!(out, "category top-1 accuracy: {:.3}", summary.accuracy);
    let _ = writeln!(
        out,
        "urgent recall: {:.3} ({} of {} urgent appeals flagged)",
        summary.urgent_recall,
        outcomes.iter().filter(|o| o.true_urgent && o.predicted_urgent).count(),
        outcomes.iter().filter(|o| o.true_urgent).count()
    );
    let _ = writeln!(
        out,
        "urgent precision: {:.3} ({} flagged)",
        summary.urgent_precision,
        outcomes.iter().filter(|o| o.predicted_urgent).count()
    );
    let _ = writeln!(out, "triage class accuracy: {:.3}", summary.triage_accuracy);
    let _ = writeln!(out, "tier accuracy: {:.3}", summary.tier_accuracy);
    let routed: Vec<&Outcome> = outcomes.iter().filter(|outcome| outcome.confidence >= threshold).collect();
    let routed_right = routed.iter().filter(|o| o.predicted_category.as_deref() == Some(o.true_category.as_str())).count();
    let _ = writeln!(
        out,
        "at confidence threshold {threshold:.2}: {:.3} routed automatically, {:.3} of those right; the rest go to a person",
        ratio(routed.len(), outcomes.len()),
        ratio(routed_right, routed.len())
    );

    let _ = writeln!(out, "\nper category (precision, recall, support):");
    let mut codes: Vec<&str> = outcomes.iter().map(|outcome| outcome.true_category.as_str()).collect();
    codes.extend(outcomes.iter().filter_map(|outcome| outcome.predicted_category.as_deref()));
    codes.sort_unstable();
    codes.dedup();
    for code in &codes {
        let support = outcomes.iter().filter(|o| o.true_category == *code).count();
        let predicted = outcomes.iter().filter(|o| o.predicted_category.as_deref() == Some(*code)).count();
        let right = outcomes.iter().filter(|o| o.true_category == *code && o.predicted_category.as_deref() == Some(*code)).count();
        let _ = writeln!(
            out,
            "  {code} {:<12} precision {:.3}  recall {:.3}  support {support}",
            name(code),
            ratio(right, predicted),
            ratio(right, support)
        );
    }

    // Confusion table by top-level category (rows: truth, columns: prediction).
    let top = |code: &str| code.chars().take(2).collect::<String>();
    let mut tops: Vec<String> = codes.iter().map(|code| top(code)).collect();
    tops.dedup();
    let mut matrix: BTreeMap<(String, String), usize> = BTreeMap::new();
    for outcome in outcomes {
        let predicted = outcome.predicted_category.as_deref().map_or_else(|| "--".to_string(), top);
        *matrix.entry((top(&outcome.true_category), predicted)).or_default() += 1;
    }
    let _ = writeln!(out, "\nconfusion by top-level category (rows true, columns predicted, -- = none):");
    let mut columns = tops.clone();
    if outcomes.iter().any(|outcome| outcome.predicted_category.is_none()) {
        columns.push("--".into());
    }
    let _ = writeln!(out, "     {}", columns.iter().map(|column| format!("{column:>4}")).collect::<String>());
    for row in &tops {
        let cells: String =
            columns.iter().map(|column| format!("{:>4}", matrix.get(&(row.clone(), column.clone())).copied().unwrap_or(0))).collect();
        let _ = writeln!(out, "  {row} {cells}");
    }

    // Leaf-level confusions, most frequent first.
    let mut confusions: BTreeMap<(String, String), usize> = BTreeMap::new();
    for outcome in outcomes {
        let predicted = outcome.predicted_category.clone().unwrap_or_else(|| "none".into());
        if predicted != outcome.true_category {
            *confusions.entry((outcome.true_category.clone(), predicted)).or_default() += 1;
        }
    }
    let mut confusions: Vec<((String, String), usize)> = confusions.into_iter().collect();
    confusions.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let _ = writeln!(out, "\nconfusions (true -> predicted: count):");
    for ((truth, predicted), count) in confusions {
        let _ = writeln!(out, "  {truth} {} -> {predicted} {}: {count}", name(&truth), name(&predicted));
    }
    let _ = write!(out, "\naccuracy: {:.3}", summary.accuracy);
    out
}

/// Precision and recall of the duplicate rule on the corpus's `same_as` pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateFigures {
    pub true_pairs: usize,
    pub suggested: usize,
    pub right: usize,
    pub precision: f64,
    pub recall: f64,
}

/// Runs the duplicate rule over every pair of corpus appeals. The corpus has region
/// codes but no points, grids or times, so "same place" is the same region code and
/// the time window is not exercised. `category_of` gives each appeal's category as the
/// hub would know it (the label, or the classifier's cross-validated prediction).
pub fn duplicate_figures(appeals: &[LabelledAppeal], category_of: &dyn Fn(usize) -> Option<String>) -> DuplicateFigures {
    use crate::domain::duplicates::{DuplicateFacts, DuplicateRule, assess};
    let rule = DuplicateRule::default();
    let categories: Vec<Option<String>> = (0..appeals.len()).map(category_of).collect();
    let facts = |index: usize| DuplicateFacts {
        text: &appeals[index].text,
        grid_id: None,
        region_code: appeals[index].region.as_deref().unwrap_or(""),
        point: None,
        category_code: categories[index].as_deref(),
        received_ms: 0,
    };
    let is_true =
        |a: &LabelledAppeal, b: &LabelledAppeal| a.same_as.as_deref() == Some(b.id.as_str()) || b.same_as.as_deref() == Some(a.id.as_str());
    let true_pairs = appeals.iter().filter(|appeal| appeal.same_as.is_some()).count();
    let (mut suggested, mut right) = (0, 0);
    for i in 0..appeals.len() {
        for j in (i + 1)..appeals.len() {
            if assess(&rule, &facts(j), &facts(i)).is_some() {
                suggested += 1;
                if is_true(&appeals[i], &appeals[j]) {
                    right += 1;
                }
            }
        }
    }
    DuplicateFigures { true_pairs, suggested, right, precision: ratio(right, suggested), recall: ratio(right, true_pairs) }
}
