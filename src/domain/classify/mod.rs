//! Reading an appeal: suggest its category, urgency, triage class and tier from the
//! Chinese text and the channel, with a confidence and the words that decided it.
//!
//! Rules come first (an administrator's keyword rules, stored in the database), then a
//! naive Bayes model over jieba words and character bigrams trained from confirmed
//! appeals or a labelled file. Pure: the caller passes the segmenter, the rules, the
//! model and the taxonomy; nothing here reads a file, a database or the clock.

pub mod bayes;
pub mod centroid;
pub mod corpus;
pub mod eval;
pub mod features;
pub mod rules;

use jieba_rs::Jieba;
use serde::{Deserialize, Serialize};

use super::appeal::{Channel, Tier, Triage};
use super::taxonomy::Category;
use super::triage::TriageSuggestion;
use bayes::{NaiveBayes, softmax};
use centroid::Centroids;
use features::feature_text;
use rules::{ClassifierRule, DECISIVE_WEIGHT};

/// One appeal whose category, triage class, tier and urgency a person confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingExample {
    pub text: String,
    pub category_code: String,
    pub triage: Triage,
    pub tier: Tier,
    pub urgent: bool,
    pub channel: Option<Channel>,
}

/// The trained statistical part: one naive Bayes head per question.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Model {
    /// How many examples it was trained on.
    pub examples: u32,
    pub category: Centroids,
    pub triage: NaiveBayes,
    pub tier: NaiveBayes,
    /// Labels `urgent` and `calm`.
    pub urgent: NaiveBayes,
}

/// Temperature that turns naive Bayes log scores (sums over many correlated features,
/// hence far too sure of themselves) into usable probabilities for the urgency head.
pub const TEMPERATURE: f64 = 6.0;

/// Scale from category cosine similarity (0 to 1) to logits; rule weights add to these.
/// Chosen on the corpus so that confidence roughly tracks accuracy (docs/CLASSIFICATION.md).
pub const COSINE_SCALE: f64 = 30.0;

/// The model flags urgency at or above this probability (rules flag it regardless).
/// Low on purpose: a missed danger costs far more than a red appeal that a person
/// turns back to blue.
pub const URGENT_PROBABILITY: f64 = 0.5;

/// The model calls a matter big (township or county) only at or above this probability.
pub const BIG_PROBABILITY: f64 = 0.7;

const CHANNEL_PREFIX: &str = "c:";

fn head_features(features: &[String], channel: Option<Channel>) -> Vec<String> {
    let mut with_channel = features.to_vec();
    if let Some(channel) = channel {
        with_channel.push(format!("{CHANNEL_PREFIX}{}", channel.as_str()));
    }
    with_channel
}

impl Model {
    /// Trains every head from confirmed examples.
    pub fn train(jieba: &Jieba, examples: &[TrainingExample]) -> Model {
        let featured: Vec<(Vec<String>, Vec<String>)> = examples
            .iter()
            .map(|example| {
                let text_features = features::features(jieba, &example.text);
                let with_channel = head_features(&text_features, example.channel);
                (text_features, with_channel)
            })
            .collect();
        let category =
            Centroids::train(featured.iter().zip(examples).map(|((text, _), example)| (text.as_slice(), example.category_code.as_str())));
        let triage = NaiveBayes::train(
            featured.iter().zip(examples).map(|((_, with_channel), example)| (with_channel.as_slice(), example.triage.as_str())),
        );
        let tier = NaiveBayes::train(
            featured.iter().zip(examples).map(|((_, with_channel), example)| (with_channel.as_slice(), example.tier.as_str())),
        );
        let urgent = NaiveBayes::train(
            featured.iter().zip(examples).map(|((text, _), example)| (text.as_slice(), if example.urgent { "urgent" } else { "calm" })),
        );
        Model { examples: examples.len() as u32, category, triage, tier, urgent }
    }
}

/// Everything the classifier decided, with the alternatives it weighed.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub suggestion: TriageSuggestion,
    /// Runner-up categories with their probabilities, best first (at most three).
    pub alternatives: Vec<(String, f64)>,
}

/// The rules and the model together.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    pub rules: Vec<ClassifierRule>,
    pub model: Model,
}

fn readable(features: &[&str], limit: usize) -> Vec<String> {
    let mut chosen: Vec<String> = Vec::new();
    // Whole words first, then bigrams that are not already part of a chosen word.
    for wanted_prefix in ["w:", "b:"] {
        for feature in features.iter().filter(|feature| feature.starts_with(wanted_prefix)) {
            let text = feature_text(feature);
            if chosen.len() < limit && !chosen.iter().any(|word| word.contains(text) || text.contains(word.as_str())) {
                chosen.push(text.to_string());
            }
        }
    }
    chosen
}

fn category_label(code: &str, categories: &[Category]) -> String {
    match categories.iter().find(|category| category.code == code) {
        Some(category) => format!("{} {}", category.code, category.name),
        None => code.to_string(),
    }
}

impl Classifier {
    /// Suggests category, urgency, triage class and tier for a text.
    ///
    /// A category given by a person is kept (confidence 1); urgency is still decided
    /// from the text. Only categories in `categories` are suggested.
    pub fn classify(
        &self,
        jieba: &Jieba,
        text: &str,
        channel: Option<Channel>,
        given_category: Option<&Category>,
        categories: &[Category],
    ) -> Classification {
        let text_features = features::features(jieba, text);
        let mut reasons = Vec::new();

        // Rules first.
        let mut rule_weights: Vec<(String, f64)> = Vec::new();
        let mut urgent_by_rule: Vec<String> = Vec::new();
        for rule in &self.rules {
            let Some(hits) = rule.matches(text) else { continue };
            let hits = hits.join("、");
            if rule.urgent {
                urgent_by_rule.push(format!("规则「{}」命中: {hits}", rule.name));
            }
            if let Some(code) = &rule.category_code {
                if rule.weight != 0.0 {
                    rule_weights.push((code.clone(), rule.weight));
                    reasons.push(format!("规则「{}」命中: {hits} → {}", rule.name, category_label(code, categories)));
                }
            }
        }

        // Urgency: any urgent rule, or the model above its (low) threshold.
        let urgent_probability = self.urgent_probability(&text_features);
        let urgent =
            !urgent_by_rule.is_empty() || urgent_probability.as_ref().is_some_and(|(probability, _)| *probability >= URGENT_PROBABILITY);
        if !urgent_by_rule.is_empty() {
            reasons.push(format!("紧急危险: {}", urgent_by_rule.join("；")));
        } else if let Some((probability, words)) = urgent_probability.filter(|(probability, _)| *probability >= URGENT_PROBABILITY) {
            reasons.push(format!("紧急危险: 模型判断紧急的概率 {probability:.2}（依据: {}）", words.join("、")));
        }

        // Category.
        let mut alternatives = Vec::new();
        let (category_code, confidence) = match given_category {
            Some(category) => {
                reasons.push(format!("人工指定分类 {} {}", category.code, category.name));
                (Some(category.code.clone()), 1.0)
            }
            None => {
                let ranked = self.rank_categories(&text_features, &rule_weights, categories);
                match ranked.first() {
                    None => {
                        reasons.push("模型与规则都无法判断分类，需人工研判".into());
                        (None, 0.0)
                    }
                    Some((best_code, best_probability, best_index)) => {
                        let words = match best_index {
                            Some(index) => {
                                let deciding = self.model.category.deciding_features(&text_features, *index, 12);
                                readable(&deciding.iter().map(String::as_str).collect::<Vec<_>>(), 5)
                            }
                            None => Vec::new(),
                        };
                        let because = if words.is_empty() { String::from("规则") } else { words.join("、") };
                        reasons.insert(
                            0,
                            format!("建议分类 {}，置信度 {best_probability:.2}；依据: {because}", category_label(best_code, categories)),
                        );
                        alternatives = ranked.iter().skip(1).take(3).map(|(code, probability, _)| (code.clone(), *probability)).collect();
                        if let Some((code, probability)) = alternatives.first() {
                            reasons.push(format!("次选 {}，{probability:.2}", category_label(code, categories)));
                        }
                        (Some(best_code.clone()), *best_probability)
                    }
                }
            }
        };

        // Triage class and tier.
        let with_channel = head_features(&text_features, channel);
        // Start low unless the model is fairly sure it is a big matter: a deadline missed
        // climbs the ladder anyway, while a village affair sent to the township waits.
        let big_probability = {
            let ranking = self.model.triage.rank(&with_channel);
            let mut scores = vec![0.0; self.model.triage.labels.len()];
            for (index, score) in &ranking.scores {
                scores[*index] = *score / TEMPERATURE;
            }
            let probabilities = softmax(&scores, 1.0);
            self.model.triage.label_index("big").map_or(0.0, |index| probabilities[index])
        };
        let (mut triage, triage_words) =
            self.best_label(&self.model.triage, &with_channel, &|label| label != "big" || big_probability >= BIG_PROBABILITY);
        // The tier agrees with the triage class: small matters stay green or blue, big
        // ones yellow or red, private ones green (三事分流 decides who owns it).
        let allowed_tiers: &[&str] = match triage.as_deref() {
            Some("private") => &["green"],
            Some("small") => &["green", "blue"],
            Some("big") => &["yellow", "red"],
            _ => &["green", "blue", "yellow", "red"],
        };
        let (mut tier, tier_words) = self.best_label(&self.model.tier, &with_channel, &|label| allowed_tiers.contains(&label));
        let category = category_code.as_deref().and_then(|code| categories.iter().find(|category| category.code == code));
        if urgent {
            triage = Some(Triage::Big.as_str().to_string());
            tier = Some(Tier::Red.as_str().to_string());
            reasons.push("紧急诉求直接定为红色、大事".into());
        } else {
            if let Some(words) = triage_words.filter(|words| !words.is_empty()) {
                reasons.push(format!("三事分流依据: {}", words.join("、")));
            }
            if let Some(words) = tier_words.filter(|words| !words.is_empty()) {
                reasons.push(format!("四色分级依据: {}", words.join("、")));
            }
        }
        let triage = triage.and_then(|label| label.parse::<Triage>().ok()).unwrap_or_else(|| fallback_triage(category));
        let tier = tier.and_then(|label| label.parse::<Tier>().ok()).unwrap_or_else(|| super::triage::default_tier(triage));
        Classification { suggestion: TriageSuggestion { category_code, triage, tier, urgent, confidence, reasons }, alternatives }
    }

    /// Categories ranked by probability: model scores (tempered) plus rule weights.
    /// Each entry is (code, probability, index in the model if the model knows it).
    fn rank_categories(
        &self,
        text_features: &[String],
        rule_weights: &[(String, f64)],
        categories: &[Category],
    ) -> Vec<(String, f64, Option<usize>)> {
        let model = &self.model.category;
        let mut logits: Vec<(String, f64, Option<usize>)> = Vec::new();
        if !model.is_empty() {
            for (index, cosine) in model.rank(text_features) {
                logits.push((model.labels[index].clone(), cosine * COSINE_SCALE, Some(index)));
            }
        }
        logits.retain(|(code, _, _)| categories.iter().any(|category| &category.code == code));
        let floor = logits.iter().map(|(_, logit, _)| *logit).fold(f64::INFINITY, f64::min);
        let floor = if floor.is_finite() { floor } else { 0.0 };
        for (code, weight) in rule_weights {
            if !categories.iter().any(|category| &category.code == code) {
                continue;
            }
            let weight = if *weight >= DECISIVE_WEIGHT { 1000.0 } else { *weight };
            match logits.iter_mut().find(|(known, _, _)| known == code) {
                Some(entry) => entry.1 += weight,
                None => logits.push((code.clone(), floor + weight, None)),
            }
        }
        let probabilities = softmax(&logits.iter().map(|(_, logit, _)| *logit).collect::<Vec<_>>(), 1.0);
        let mut ranked: Vec<(String, f64, Option<usize>)> =
            logits.into_iter().zip(probabilities).map(|((code, _, index), probability)| (code, probability, index)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    /// The probability that the text is urgent, with the words that say so.
    fn urgent_probability(&self, text_features: &[String]) -> Option<(f64, Vec<String>)> {
        let model = &self.model.urgent;
        let urgent_index = model.label_index("urgent")?;
        let calm_index = model.label_index("calm");
        let ranking = model.rank(text_features);
        let mut scores = vec![0.0; model.labels.len()];
        for (index, score) in &ranking.scores {
            scores[*index] = *score / TEMPERATURE;
        }
        let probability = softmax(&scores, 1.0)[urgent_index];
        let words = readable(&model.deciding_features(text_features, urgent_index, calm_index, 12), 5);
        Some((probability, words))
    }

    fn best_label(
        &self,
        model: &NaiveBayes,
        with_channel: &[String],
        allowed: &dyn Fn(&str) -> bool,
    ) -> (Option<String>, Option<Vec<String>>) {
        let ranking = model.rank(with_channel);
        let mut allowed_scores = ranking.scores.iter().filter(|(index, _)| allowed(&model.labels[*index]));
        let Some(&(best, _)) = allowed_scores.next() else { return (None, None) };
        let runner_up = allowed_scores.next().map(|(index, _)| *index);
        let words = readable(&model.deciding_features(with_channel, best, runner_up, 12), 4);
        (Some(model.labels[best].clone()), Some(words))
    }
}

/// Triage class when no model is trained: long-running categories are big matters.
fn fallback_triage(category: Option<&Category>) -> Triage {
    match category {
        Some(category) if category.default_working_days >= 15 => Triage::Big,
        Some(category) if category.code.starts_with("14") => Triage::Private,
        _ => Triage::Small,
    }
}

#[cfg(test)]
mod tests;
