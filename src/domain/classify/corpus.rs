//! The labelled appeal format (one JSON object per line), as in `data/appeals/corpus.jsonl`:
//! `{"id","text","category","region","triage","tier","urgent","channel","same_as"?}`.

use serde::Deserialize;

use super::TrainingExample;
use crate::domain::appeal::{Channel, Tier, Triage};

/// The corpus shipped with the binary; the model is trained from it when none is stored.
pub const SHIPPED_CORPUS: &str = include_str!("../../../data/appeals/corpus.jsonl");

/// One labelled appeal.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LabelledAppeal {
    pub id: String,
    pub text: String,
    pub category: String,
    #[serde(default)]
    pub region: Option<String>,
    pub triage: Triage,
    pub tier: Tier,
    pub urgent: bool,
    #[serde(default)]
    pub channel: Option<Channel>,
    /// The id of an earlier appeal describing the same concrete problem.
    #[serde(default)]
    pub same_as: Option<String>,
}

impl LabelledAppeal {
    pub fn to_example(&self) -> TrainingExample {
        TrainingExample {
            text: self.text.clone(),
            category_code: self.category.clone(),
            triage: self.triage,
            tier: self.tier,
            urgent: self.urgent,
            channel: self.channel,
        }
    }
}

/// Why a labelled file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct CorpusError {
    pub line: usize,
    pub problem: String,
}

/// Parses JSON lines; blank lines are skipped, any bad line refuses the whole file.
pub fn parse_jsonl(text: &str) -> Result<Vec<LabelledAppeal>, CorpusError> {
    let mut appeals = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let appeal: LabelledAppeal =
            serde_json::from_str(line).map_err(|error| CorpusError { line: index + 1, problem: error.to_string() })?;
        if appeal.text.trim().is_empty() {
            return Err(CorpusError { line: index + 1, problem: "text is empty".into() });
        }
        appeals.push(appeal);
    }
    if appeals.is_empty() {
        return Err(CorpusError { line: 0, problem: "the file has no labelled appeals".into() });
    }
    Ok(appeals)
}
