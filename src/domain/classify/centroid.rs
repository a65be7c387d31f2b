//! A TF-IDF nearest-centroid (Rocchio) model: each label is the normalised sum of its
//! examples' TF-IDF vectors; a text goes to the label whose centroid is closest by
//! cosine. With a handful of examples per category it beats naive Bayes clearly on
//! the corpus (docs/CLASSIFICATION.md), and the shared features are its explanation.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Centroids {
    pub labels: Vec<String>,
    /// Training documents.
    pub documents: u32,
    /// Documents each feature occurs in.
    pub document_frequency: HashMap<String, u32>,
    /// Per label, feature → weight (unit length).
    pub centroids: Vec<HashMap<String, f64>>,
    /// The centroids turned round, built on first use (the model is not changed after
    /// training or loading).
    #[serde(skip)]
    postings: Postings,
}

/// Feature → (label, weight): ranking a text reads one entry per feature instead of one
/// per feature and label. Derived from the centroids, so it takes no part in equality.
#[derive(Debug, Clone, Default)]
struct Postings(std::sync::OnceLock<HashMap<String, Vec<(usize, f64)>>>);

impl PartialEq for Postings {
    fn eq(&self, _: &Postings) -> bool {
        true
    }
}

impl Centroids {
    fn idf(&self, feature: &str) -> Option<f64> {
        let frequency = *self.document_frequency.get(feature)?;
        Some((f64::from(self.documents) / f64::from(frequency.max(1))).ln() + 1.0)
    }

    /// The unit TF-IDF vector of a text's (distinct) features; unknown features drop out.
    pub fn vector(&self, features: &[String]) -> Vec<(String, f64)> {
        let mut vector: Vec<(String, f64)> = features.iter().filter_map(|feature| Some((feature.clone(), self.idf(feature)?))).collect();
        normalise(&mut vector);
        vector
    }

    pub fn train<'a>(examples: impl IntoIterator<Item = (&'a [String], &'a str)>) -> Centroids {
        let examples: Vec<(&[String], &str)> = examples.into_iter().collect();
        let mut model = Centroids { documents: examples.len() as u32, ..Centroids::default() };
        for (features, _) in &examples {
            for feature in *features {
                *model.document_frequency.entry(feature.clone()).or_default() += 1;
            }
        }
        for (features, label) in &examples {
            let index = match model.labels.iter().position(|known| known == label) {
                Some(index) => index,
                None => {
                    model.labels.push(label.to_string());
                    model.centroids.push(HashMap::new());
                    model.labels.len() - 1
                }
            };
            for (feature, weight) in model.vector(features) {
                *model.centroids[index].entry(feature).or_default() += weight;
            }
        }
        for centroid in &mut model.centroids {
            let norm = centroid.values().map(|weight| weight * weight).sum::<f64>().sqrt();
            if norm > 0.0 {
                centroid.values_mut().for_each(|weight| *weight /= norm);
            }
        }
        model
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Cosine similarity to every label, best first: (label index, cosine). Each label's
    /// sum takes the text's features in the same order as a label-by-label loop would, so
    /// the figures are the same to the last bit.
    pub fn rank(&self, features: &[String]) -> Vec<(usize, f64)> {
        let vector = self.vector(features);
        let postings = self.postings.0.get_or_init(|| {
            let mut postings: HashMap<String, Vec<(usize, f64)>> = HashMap::new();
            for (label, centroid) in self.centroids.iter().enumerate() {
                for (feature, weight) in centroid {
                    postings.entry(feature.clone()).or_default().push((label, *weight));
                }
            }
            postings
        });
        let mut cosines = vec![0.0_f64; self.centroids.len()];
        for (feature, weight) in &vector {
            for (label, centre) in postings.get(feature).map(Vec::as_slice).unwrap_or_default() {
                cosines[*label] += weight * centre;
            }
        }
        let mut ranked: Vec<(usize, f64)> = cosines.into_iter().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    /// The features that contribute most to the cosine with `label`, strongest first.
    pub fn deciding_features(&self, features: &[String], label: usize, limit: usize) -> Vec<String> {
        let Some(centroid) = self.centroids.get(label) else { return Vec::new() };
        let mut weighed: Vec<(String, f64)> = self
            .vector(features)
            .into_iter()
            .filter_map(|(feature, weight)| centroid.get(&feature).map(|centre| (feature, weight * centre)))
            .collect();
        weighed.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        weighed.into_iter().take(limit).map(|(feature, _)| feature).collect()
    }
}

fn normalise(vector: &mut [(String, f64)]) {
    let norm = vector.iter().map(|(_, weight)| weight * weight).sum::<f64>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|(_, weight)| *weight /= norm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closest_centroid_wins_and_says_why() {
        let strings = |items: &[&str]| items.iter().map(|item| item.to_string()).collect::<Vec<_>>();
        let gas = strings(&["w:燃气", "w:泄漏"]);
        let lamp = strings(&["w:路灯", "w:不亮"]);
        let model = Centroids::train([(gas.as_slice(), "0206"), (lamp.as_slice(), "0201")]);
        let query = strings(&["w:燃气", "w:味道"]);
        let ranked = model.rank(&query);
        assert_eq!(model.labels[ranked[0].0], "0206");
        // The same cosines as a label-by-label sum.
        let vector = model.vector(&query);
        for (label, cosine) in &ranked {
            let direct: f64 =
                vector.iter().map(|(feature, weight)| weight * model.centroids[*label].get(feature).copied().unwrap_or(0.0)).sum();
            assert_eq!(direct.to_bits(), cosine.to_bits());
        }
        assert_eq!(model.deciding_features(&query, ranked[0].0, 3), vec!["w:燃气"]);
    }
}
