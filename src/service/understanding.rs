//! Reading the appeals: classification at intake, classifier rules and training,
//! duplicate suggestions, full-text search, hot-spot warnings and 每月一题.
//!
//! One jieba segmenter per process (loading it costs memory and time) is shared by the
//! classifier and the search index.

use std::sync::{Arc, OnceLock, RwLock};

use jieba_rs::Jieba;
use serde::Serialize;
use utoipa::ToSchema;

use super::actions::visible_to;
use super::search::SearchIndex;
use super::{Hub, ServiceError};
use crate::domain::access::{Role, Staff};
use crate::domain::appeal::{AppealStatus, Channel, Tier};
use crate::domain::classify::corpus::{LabelledAppeal, SHIPPED_CORPUS, parse_jsonl};
use crate::domain::classify::rules::{ClassifierRule, seed_rules};
use crate::domain::classify::{Classifier, Model, TrainingExample};
use crate::domain::duplicates::{DuplicateFacts, DuplicateRule, assess};
use crate::domain::hotspot::{self, HotspotRule, TopicCandidate};
use crate::domain::ownership::owner_candidates;
use crate::domain::taxonomy::Category;
use crate::domain::triage::TriageSuggestion;
use crate::storage::appeals::{AppealFilter, AppealOrder, AppealRecord};
use crate::storage::understanding::HotspotWarning;

/// The process's one jieba segmenter.
pub fn shared_jieba() -> Arc<Jieba> {
    static JIEBA: OnceLock<Arc<Jieba>> = OnceLock::new();
    Arc::clone(JIEBA.get_or_init(|| Arc::new(Jieba::new())))
}

/// The model trained from the shipped corpus, trained once per process.
fn shipped_model() -> Result<Arc<Model>, ServiceError> {
    static MODEL: OnceLock<Arc<Model>> = OnceLock::new();
    if let Some(model) = MODEL.get() {
        return Ok(Arc::clone(model));
    }
    let appeals = parse_jsonl(SHIPPED_CORPUS).map_err(|error| ServiceError::Internal(format!("shipped corpus: {error}")))?;
    let examples: Vec<TrainingExample> = appeals.iter().map(LabelledAppeal::to_example).collect();
    let model = Arc::new(Model::train(&shared_jieba(), &examples));
    Ok(Arc::clone(MODEL.get_or_init(|| model)))
}

/// What a node knows about reading appeals: the segmenter, the classifier and the
/// search index. Lives in the `Hub`.
pub struct Understanding {
    pub jieba: Arc<Jieba>,
    classifier: RwLock<Arc<Classifier>>,
    /// Where the current model came from, e.g. `shipped corpus` or `database model 3`.
    model_source: RwLock<String>,
    pub search: SearchIndex,
}

impl Understanding {
    pub fn new() -> Result<Understanding, ServiceError> {
        let jieba = shared_jieba();
        Ok(Understanding {
            search: SearchIndex::new(Arc::clone(&jieba))?,
            jieba,
            classifier: RwLock::new(Arc::new(Classifier::default())),
            model_source: RwLock::new("none".into()),
        })
    }

    pub fn classifier(&self) -> Arc<Classifier> {
        self.classifier.read().map(|slot| Arc::clone(&slot)).unwrap_or_default()
    }

    pub fn model_source(&self) -> String {
        self.model_source.read().map(|slot| slot.clone()).unwrap_or_default()
    }

    fn replace(&self, classifier: Classifier, source: Option<String>) {
        if let Ok(mut slot) = self.classifier.write() {
            *slot = Arc::new(classifier);
        }
        if let Some(source) = source {
            if let Ok(mut slot) = self.model_source.write() {
                *slot = source;
            }
        }
    }
}

/// Loads the rules (seeding them once per database) and the newest stored model, or
/// the model of the shipped corpus when none is stored.
pub async fn load(hub: &Hub) -> Result<(), ServiceError> {
    hub.db.seed_classifier_rules_once(&seed_rules(), hub.clock.now_ms()).await?;
    let rules = hub.db.classifier_rules().await?;
    let (model, source) = match hub.db.latest_classifier_model().await? {
        Some(stored) => match serde_json::from_str::<Model>(&stored.model_json) {
            Ok(model) => (model, format!("database model {} ({}, {} examples)", stored.id, stored.source, stored.examples)),
            Err(error) => {
                tracing::error!(model = stored.id, %error, "stored classifier model unreadable; using the shipped corpus");
                ((*shipped_model()?).clone(), "shipped corpus".to_string())
            }
        },
        None => ((*shipped_model()?).clone(), "shipped corpus".to_string()),
    };
    hub.understanding.replace(Classifier { rules, model }, Some(source));
    Ok(())
}

/// Reloads only the rules after an edit (the model stays).
pub async fn reload_rules(hub: &Hub) -> Result<(), ServiceError> {
    let rules = hub.db.classifier_rules().await?;
    let model = hub.understanding.classifier().model.clone();
    hub.understanding.replace(Classifier { rules, model }, None);
    Ok(())
}

/// The suggestion intake uses: rules, then the model.
pub fn suggest(hub: &Hub, text: &str, channel: Channel, given_category: Option<&Category>, categories: &[Category]) -> TriageSuggestion {
    let understanding = &hub.understanding;
    understanding.classifier().classify(&understanding.jieba, text, Some(channel), given_category, categories).suggestion
}

/// Trains a model from examples, stores it, and starts using it. Returns the model id.
pub async fn train_and_store(hub: &Hub, examples: &[TrainingExample], source: &str) -> Result<i64, ServiceError> {
    if examples.is_empty() {
        return Err(ServiceError::invalid(
            "examples",
            "nothing to train from: no confirmed appeals (dispatched, with a category) and no file",
        ));
    }
    let model = Model::train(&hub.understanding.jieba, examples);
    let json = serde_json::to_string(&model).map_err(|error| ServiceError::Internal(error.to_string()))?;
    let id = hub.db.store_classifier_model(source, examples.len() as i64, &json, hub.clock.now_ms()).await?;
    let rules = hub.db.classifier_rules().await?;
    hub.understanding.replace(Classifier { rules, model }, Some(format!("database model {id} ({source}, {} examples)", examples.len())));
    Ok(id)
}

// ---------------------------------------------------------------------------------
// Rules.

fn require_admin(staff: &Staff) -> Result<(), ServiceError> {
    if staff.has(Role::Admin) { Ok(()) } else { Err(ServiceError::Forbidden("only an administrator edits classifier rules".into())) }
}

fn check_rule(hub: &Hub, rule: &ClassifierRule) -> Result<(), ServiceError> {
    let categories = hub.category_list();
    rule.validate(|code| categories.iter().any(|category| category.code == code))
        .map_err(|problem| ServiceError::invalid(problem.field, problem.message))
}

pub async fn create_rule(hub: &Hub, staff: &Staff, mut rule: ClassifierRule) -> Result<ClassifierRule, ServiceError> {
    require_admin(staff)?;
    check_rule(hub, &rule)?;
    rule.id = hub.db.insert_classifier_rule(&rule, hub.clock.now_ms()).await?;
    reload_rules(hub).await?;
    Ok(rule)
}

pub async fn update_rule(hub: &Hub, staff: &Staff, rule: ClassifierRule) -> Result<ClassifierRule, ServiceError> {
    require_admin(staff)?;
    check_rule(hub, &rule)?;
    hub.db.update_classifier_rule(&rule, hub.clock.now_ms()).await?;
    reload_rules(hub).await?;
    Ok(rule)
}

pub async fn delete_rule(hub: &Hub, staff: &Staff, id: i64) -> Result<(), ServiceError> {
    require_admin(staff)?;
    hub.db.delete_classifier_rule(id).await?;
    reload_rules(hub).await
}

// ---------------------------------------------------------------------------------
// Duplicates.

/// An open appeal that may be the same problem, with the reasons.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateSuggestion {
    pub number: String,
    pub status: AppealStatus,
    pub text: String,
    pub category_code: Option<String>,
    pub region_code: String,
    pub grid_id: Option<String>,
    /// RFC 3339.
    pub received_at: String,
    /// Character-bigram cosine of the two texts, 0 to 1.
    pub similarity: f64,
    pub reasons: Vec<String>,
}

fn facts(appeal: &AppealRecord) -> DuplicateFacts<'_> {
    DuplicateFacts {
        text: &appeal.text,
        grid_id: appeal.grid_id.as_deref(),
        region_code: &appeal.region_code,
        point: appeal.lng.zip(appeal.lat),
        category_code: appeal.category_code.as_deref(),
        received_ms: appeal.received_ms,
    }
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|at| at.to_string()).unwrap_or_default()
}

/// Open appeals in the reader's scope that look like the same problem as this one,
/// most similar first. The appeal itself must be in scope (else not found).
pub async fn duplicate_suggestions(hub: &Hub, number: &str, reader: &Staff) -> Result<Vec<DuplicateSuggestion>, ServiceError> {
    let not_found = || ServiceError::NotFound(format!("appeal {number}"));
    let appeal = hub.db.appeal_by_number(number).await?.ok_or_else(not_found)?;
    if !visible_to(hub, reader, &appeal).await? {
        return Err(not_found());
    }
    if appeal.merged_into_id.is_some() {
        return Ok(Vec::new());
    }
    let rule = DuplicateRule::default();
    // Candidates: open appeals in the same township (or the given region) in the window;
    // the pure rule then decides on grid, village or distance, category and text.
    let prefix: String = appeal.region_code.chars().take(9).collect();
    let filter = AppealFilter {
        statuses: AppealStatus::ALL.iter().copied().filter(|status| status.is_open()).collect(),
        region_prefix: Some(prefix),
        received_from_ms: Some(appeal.received_ms - rule.window_ms),
        received_before_ms: Some(appeal.received_ms + rule.window_ms + 1),
        ..AppealFilter::default()
    };
    let candidates = hub.db.list_appeals(Some(&reader.scope()), &filter, AppealOrder::Newest, None, 500).await?;
    let new = facts(&appeal);
    let mut found: Vec<DuplicateSuggestion> = candidates
        .iter()
        .filter(|candidate| candidate.id != appeal.id && candidate.merged_into_id.is_none())
        .filter_map(|candidate| {
            let matched = assess(&rule, &new, &facts(candidate))?;
            Some(DuplicateSuggestion {
                number: candidate.number.clone(),
                status: candidate.status,
                text: candidate.text.clone(),
                category_code: candidate.category_code.clone(),
                region_code: candidate.region_code.clone(),
                grid_id: candidate.grid_id.clone(),
                received_at: rfc3339(candidate.received_ms),
                similarity: matched.similarity,
                reasons: matched.reasons,
            })
        })
        .collect();
    found.sort_by(|a, b| b.similarity.total_cmp(&a.similarity).then(a.number.cmp(&b.number)));
    found.truncate(20);
    Ok(found)
}

// ---------------------------------------------------------------------------------
// Search.

/// Appeals in the reader's scope matching every word of the query, best first.
pub async fn search(hub: &Hub, reader: &Staff, query: &str, limit: usize) -> Result<Vec<AppealRecord>, ServiceError> {
    let query = query.trim();
    if query.is_empty() {
        return Err(ServiceError::invalid("q", "q must contain the words to search for"));
    }
    if query.chars().count() > 200 {
        return Err(ServiceError::invalid("q", "q is longer than 200 characters"));
    }
    let index = &hub.understanding.search;
    index.catch_up(&hub.db).await?;
    let scope = reader.scope();
    let hits = index.search(query, &scope, 500)?;
    let ids: Vec<i64> = hits.iter().map(|hit| hit.appeal_id).collect();
    let admitted = hub.db.ids_in_scope(&ids, &scope).await?;
    let mut records = Vec::new();
    for id in ids.into_iter().filter(|id| admitted.contains(id)).take(limit) {
        if let Some(record) = hub.db.appeal_by_id(id).await? {
            records.push(record);
        }
    }
    Ok(records)
}

// ---------------------------------------------------------------------------------
// Hot spots and 每月一题.

/// Looks for hot spots in the window ending now and stores a warning for each new one,
/// raised to the unit that owns the place (the village organisation, else the township).
/// A place and category already warned about in the current window are not warned again.
pub async fn scan_hotspots(hub: &Hub) -> Result<Vec<HotspotWarning>, ServiceError> {
    let rule = HotspotRule::default();
    let now = hub.clock.now_ms();
    let window_ms = rule.window_days * 86_400_000;
    let recent_from = now - window_ms;
    let earlier_from = recent_from - rule.history_windows * window_ms;
    let categories = hub.category_list();
    let mut raised = Vec::new();
    for by_grid in [true, false] {
        let counts = hub.db.place_category_counts(by_grid, earlier_from, recent_from, now + 1).await?;
        for count in counts {
            let Some(finding) = hotspot::assess(&rule, count.recent, count.earlier) else { continue };
            let place_kind = if by_grid { "grid" } else { "region" };
            if hub.db.warning_exists_since(place_kind, &count.place_code, &count.category_code, recent_from).await? {
                continue;
            }
            let appeals = hub.db.cluster_appeals(by_grid, &count.place_code, &count.category_code, recent_from, now + 1).await?;
            let Some(region_code) = appeals.first().map(|(_, region)| region.clone()) else { continue };
            // A region-level hot spot already covered by a grid-level warning is skipped.
            if !by_grid && hub.db.region_warning_exists_since(&region_code, &count.category_code, recent_from).await? {
                continue;
            }
            let category_name = categories
                .iter()
                .find(|category| category.code == count.category_code)
                .map_or(count.category_code.clone(), |category| category.name.clone());
            let place_name = match hub.db.region(&region_code).await? {
                Some(region) if by_grid => format!("{} 网格 {}", region.name, count.place_code),
                Some(region) => region.name,
                None => count.place_code.clone(),
            };
            let mut unit_id = None;
            for (kind, region) in owner_candidates(Tier::Blue, &region_code, &hub.config.county_code) {
                if let Some(unit) = hub.db.unit_for_region(kind, &region).await? {
                    unit_id = Some(unit.id);
                    break;
                }
            }
            let mut warning = HotspotWarning {
                id: 0,
                place_kind: place_kind.into(),
                place_code: count.place_code.clone(),
                region_code,
                category_code: count.category_code.clone(),
                unit_id,
                window_start_ms: recent_from,
                window_end_ms: now,
                appeal_count: count.recent,
                usual_count: finding.usual,
                reasons: hotspot::explain(&rule, &place_name, &category_name, count.recent, &finding),
                appeal_numbers: appeals.into_iter().map(|(number, _)| number).collect(),
                status: "open".into(),
                created_ms: now,
            };
            warning.id = hub.db.insert_warning(&warning).await?;
            tracing::warn!(place = %warning.place_code, category = %warning.category_code, count = warning.appeal_count, "hot spot");
            raised.push(warning);
        }
    }
    Ok(raised)
}

/// Warnings the reader may see: in their region subtree (territorial units) or raised to their unit.
pub async fn warnings_for(hub: &Hub, reader: &Staff, status: Option<&str>, limit: i64) -> Result<Vec<HotspotWarning>, ServiceError> {
    let prefix = reader.unit.kind.is_territorial().then_some(reader.unit.region_code.as_str());
    Ok(hub.db.warnings_for(prefix, reader.unit.id, status, limit).await?)
}

/// Marks a warning as read by its unit (or anyone whose scope covers it).
pub async fn acknowledge_warning(hub: &Hub, reader: &Staff, id: i64) -> Result<HotspotWarning, ServiceError> {
    let not_found = || ServiceError::NotFound(format!("warning {id}"));
    let warning = hub.db.warning(id).await?.ok_or_else(not_found)?;
    let in_scope = warning.unit_id == Some(reader.unit.id)
        || (reader.unit.kind.is_territorial() && warning.region_code.starts_with(reader.unit.region_code.as_str()));
    if !in_scope {
        return Err(not_found());
    }
    hub.db.set_warning_status(id, "acknowledged").await?;
    Ok(HotspotWarning { status: "acknowledged".into(), ..warning })
}

/// 每月一题 candidates of one township.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TownshipTopics {
    pub region_code: String,
    pub region_name: Option<String>,
    /// Categorised appeals received in the month (merged duplicates counted once).
    pub appeals: i64,
    pub candidates: Vec<TopicCandidateView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopicCandidateView {
    #[serde(flatten)]
    pub candidate: TopicCandidate,
    pub category_name: Option<String>,
    /// Why it is a candidate, in words.
    pub reason: String,
}

/// The month's most frequent problem types per township in the reader's region.
pub async fn monthly_topics(
    hub: &Hub,
    reader: &Staff,
    from_ms: i64,
    until_ms: i64,
    top: usize,
) -> Result<Vec<TownshipTopics>, ServiceError> {
    let prefix = if reader.unit.kind.is_territorial() { reader.unit.region_code.clone() } else { hub.config.county_code.clone() };
    let counts = hub.db.township_category_counts(&prefix, from_ms, until_ms).await?;
    let categories = hub.category_list();
    let mut result = Vec::new();
    for (township, total, candidates) in hotspot::monthly_topics(&counts, top) {
        let region_name = hub.db.region(&township).await?.map(|region| region.name);
        let candidates = candidates
            .into_iter()
            .enumerate()
            .map(|(rank, candidate)| {
                let category_name =
                    categories.iter().find(|category| category.code == candidate.category_code).map(|category| category.name.clone());
                let reason =
                    format!("本月 {} 件，占本乡镇已分类诉求的 {:.0}%，排第 {}", candidate.appeals, candidate.share * 100.0, rank + 1);
                TopicCandidateView { candidate, category_name, reason }
            })
            .collect();
        result.push(TownshipTopics { region_code: township, region_name, appeals: total, candidates });
    }
    result.sort_by(|a, b| b.appeals.cmp(&a.appeals).then(a.region_code.cmp(&b.region_code)));
    Ok(result)
}
