//! A multinomial naive Bayes model over presence features, with Laplace smoothing.
//!
//! It is small, trains in one pass, stores as sparse counts, and its per-feature
//! log-likelihood ratios are the explanation of a decision.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Smoothing added to every feature count.
const ALPHA: f64 = 0.1;

/// One naive Bayes head: labels, their document counts and the feature counts per label.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NaiveBayes {
    pub labels: Vec<String>,
    /// Training documents per label.
    pub documents: Vec<u32>,
    /// Feature occurrences per label (the denominators).
    pub totals: Vec<u64>,
    /// For each feature, the labels it was seen with and how often.
    pub counts: HashMap<String, Vec<(u16, u32)>>,
}

/// Scores of every label for one text, best first, with the probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    /// (label index, log score), best first.
    pub scores: Vec<(usize, f64)>,
}

impl NaiveBayes {
    /// Trains from (features, label) pairs.
    pub fn train<'a>(examples: impl IntoIterator<Item = (&'a [String], &'a str)>) -> NaiveBayes {
        let mut model = NaiveBayes::default();
        let mut label_index: HashMap<String, usize> = HashMap::new();
        for (features, label) in examples {
            let index = *label_index.entry(label.to_string()).or_insert_with(|| {
                model.labels.push(label.to_string());
                model.documents.push(0);
                model.totals.push(0);
                model.labels.len() - 1
            });
            model.documents[index] += 1;
            model.totals[index] += features.len() as u64;
            for feature in features {
                let entry = model.counts.entry(feature.clone()).or_default();
                match entry.iter_mut().find(|(label, _)| usize::from(*label) == index) {
                    Some((_, count)) => *count += 1,
                    None => entry.push((index as u16, 1)),
                }
            }
        }
        model
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    fn vocabulary(&self) -> f64 {
        self.counts.len().max(1) as f64
    }

    /// Log P(feature | label) for every label, smoothed.
    fn feature_log_likelihoods(&self, feature: &str) -> Option<Vec<f64>> {
        let seen = self.counts.get(feature)?;
        let vocabulary = self.vocabulary();
        let mut values: Vec<f64> = self.totals.iter().map(|total| (ALPHA / (*total as f64 + ALPHA * vocabulary)).ln()).collect();
        for (label, count) in seen {
            let index = usize::from(*label);
            values[index] = ((f64::from(*count) + ALPHA) / (self.totals[index] as f64 + ALPHA * vocabulary)).ln();
        }
        Some(values)
    }

    /// Ranks every label for a text's features. Features never seen in training are
    /// ignored (they say nothing about any label).
    pub fn rank(&self, features: &[String]) -> Ranking {
        let all_documents: u32 = self.documents.iter().sum();
        let mut scores: Vec<f64> = self.documents.iter().map(|count| (f64::from(*count) / f64::from(all_documents.max(1))).ln()).collect();
        for feature in features {
            if let Some(values) = self.feature_log_likelihoods(feature) {
                for (score, value) in scores.iter_mut().zip(values) {
                    *score += value;
                }
            }
        }
        let mut ranked: Vec<(usize, f64)> = scores.into_iter().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ranking { scores: ranked }
    }

    /// The features that most favour `label` over `other`, strongest first.
    pub fn deciding_features<'a>(&self, features: &'a [String], label: usize, other: Option<usize>, limit: usize) -> Vec<&'a str> {
        let mut weighed: Vec<(&str, f64)> = features
            .iter()
            .filter_map(|feature| {
                let values = self.feature_log_likelihoods(feature)?;
                let against = match other {
                    Some(other) => values[other],
                    None => values.iter().sum::<f64>() / values.len().max(1) as f64,
                };
                let weight = values[label] - against;
                (weight > 0.0).then_some((feature.as_str(), weight))
            })
            .collect();
        weighed.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        weighed.into_iter().take(limit).map(|(feature, _)| feature).collect()
    }

    pub fn label_index(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|known| known == label)
    }
}

/// Softmax of scores divided by a temperature; returns probabilities in the same order.
pub fn softmax(scores: &[f64], temperature: f64) -> Vec<f64> {
    let temperature = if temperature > 0.0 { temperature } else { 1.0 };
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = scores.iter().map(|score| ((score - max) / temperature).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|value| if sum > 0.0 { value / sum } else { 0.0 }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn the_label_whose_words_appear_wins_and_says_why() {
        let gas = strings(&["w:燃气", "w:泄漏"]);
        let lamp = strings(&["w:路灯", "w:不亮"]);
        let lamp_again = strings(&["w:路灯", "w:坏了"]);
        let model = NaiveBayes::train([(gas.as_slice(), "0206"), (lamp.as_slice(), "0201"), (lamp_again.as_slice(), "0201")]);
        let query = strings(&["w:燃气", "w:味道"]);
        let ranking = model.rank(&query);
        let best = ranking.scores[0].0;
        assert_eq!(model.labels[best], "0206");
        assert_eq!(model.deciding_features(&query, best, Some(ranking.scores[1].0), 3), vec!["w:燃气"]);
    }

    #[test]
    fn softmax_sums_to_one() {
        let probabilities = softmax(&[-1.0, -2.0, -30.0], 1.0);
        assert!((probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(probabilities[0] > probabilities[1]);
    }
}
