//! Full-text search over appeals (number, text, address) with tantivy and jieba.
//!
//! The index is a cache of the database held in memory by each node: it is built from
//! the appeals table on first use and caught up before every search from the event log
//! (every change to an appeal appends an event in the same transaction), so intake,
//! actions, merges and escalations on any node show up without hooks.
//! Scope is applied twice: the index holds each appeal's region path and units, so a
//! territorial reader's query only walks their subtree; the hits are then re-checked
//! with the storage scope rule before anything is shown.

use std::collections::HashMap;
use std::sync::Arc;

use jieba_rs::Jieba;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use tokio::sync::Mutex;

use super::ServiceError;
use crate::domain::access::Scope;
use crate::domain::classify::features::is_content_token;
use crate::storage::Db;
use crate::storage::understanding::SearchRow;

/// The name the jieba tokenizer is registered under.
const TOKENIZER: &str = "jieba_zh";
/// Rows read from the database per catch-up batch.
const BATCH: i64 = 2000;
/// Each catch-up re-reads the events recorded this long before the newest one seen, so
/// that writes committed late, in the same millisecond, or by a node whose clock lags a
/// little are not missed.
const OVERLAP_MS: i64 = 10 * 60 * 1000;
/// Hits taken from the index before the scope re-check.
const CANDIDATES: usize = 500;

/// Jieba in search mode, keeping only tokens with a Han character, letter or digit
/// (punctuation would otherwise become terms), lower-cased.
#[derive(Clone)]
pub struct JiebaTokenizer {
    pub jieba: Arc<Jieba>,
}

pub struct JiebaTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = JiebaTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> JiebaTokenStream {
        let tokens = self
            .jieba
            .cut_for_search(text, true)
            .into_iter()
            .filter(|token| is_content_token(token.word))
            .enumerate()
            .map(|(position, token)| Token {
                offset_from: token.byte_start,
                offset_to: token.byte_end,
                position,
                text: token.word.to_lowercase(),
                position_length: 1,
            })
            .collect();
        JiebaTokenStream { tokens, index: 0 }
    }
}

impl TokenStream for JiebaTokenStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index.saturating_sub(1).min(self.tokens.len().saturating_sub(1))]
    }

    fn token_mut(&mut self) -> &mut Token {
        let index = self.index.saturating_sub(1).min(self.tokens.len().saturating_sub(1));
        &mut self.tokens[index]
    }
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    number: Field,
    text: Field,
    address: Field,
    region_path: Field,
    units: Field,
}

struct Writer {
    writer: IndexWriter,
    /// Whether every appeal has been indexed once (`catch_up` then reads the event log).
    built: bool,
    /// The instant of the newest event indexed; the next catch-up re-reads from a little
    /// before it.
    watermark_ms: i64,
    /// Versions of the appeals indexed within the overlap, so that re-read events of an
    /// unchanged appeal are skipped and changes within the same millisecond are not.
    recent: HashMap<i64, (i64, i64)>,
}

/// The in-memory search index of one node.
pub struct SearchIndex {
    jieba: Arc<Jieba>,
    fields: Fields,
    index: Index,
    reader: IndexReader,
    writer: Mutex<Writer>,
}

/// One hit: the appeal id and its relevance.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub appeal_id: i64,
    pub score: f32,
}

fn internal(error: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("search index: {error}"))
}

/// The prefixes a region code is found under: 2, 4, 6, 9 and 12 digits.
fn region_prefixes(code: &str) -> Vec<&str> {
    [2, 4, 6, 9, 12].iter().filter(|length| code.len() >= **length).map(|length| &code[..*length]).chain(std::iter::once(code)).collect()
}

impl SearchIndex {
    pub fn new(jieba: Arc<Jieba>) -> Result<SearchIndex, ServiceError> {
        let mut builder = Schema::builder();
        let text_options = TextOptions::default()
            .set_indexing_options(TextFieldIndexing::default().set_tokenizer(TOKENIZER).set_index_option(IndexRecordOption::WithFreqs));
        let fields = Fields {
            id: builder.add_i64_field("id", INDEXED | STORED | FAST),
            number: builder.add_text_field("number", STRING),
            text: builder.add_text_field("text", text_options.clone()),
            address: builder.add_text_field("address", text_options),
            region_path: builder.add_text_field("region_path", STRING),
            units: builder.add_i64_field("units", INDEXED),
        };
        let index = Index::create_in_ram(builder.build());
        index.tokenizers().register(TOKENIZER, JiebaTokenizer { jieba: Arc::clone(&jieba) });
        let writer = index.writer(50_000_000).map_err(internal)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(internal)?;
        Ok(SearchIndex {
            jieba,
            fields,
            index,
            reader,
            writer: Mutex::new(Writer { writer, built: false, watermark_ms: i64::MIN, recent: HashMap::new() }),
        })
    }

    /// Indexes every appeal changed since the last catch-up (the first time, every
    /// appeal). Returns how many appeals were indexed.
    pub async fn catch_up(&self, db: &Db) -> Result<usize, ServiceError> {
        let mut guard = self.writer.lock().await;
        let writer = &mut *guard;
        let mut total = 0;
        if !writer.built {
            // Every appeal in id order; the changes recorded meanwhile are re-read from
            // the event log by the next catch-up, which starts a little before this one.
            let started_ms = db.latest_event_ms().await?.unwrap_or(i64::MIN);
            let mut after_id = i64::MIN;
            loop {
                let rows = db.search_rows_by_id(after_id, BATCH).await?;
                for row in &rows {
                    after_id = row.id;
                    self.add_row(&writer.writer, row)?;
                    total += 1;
                }
                if (rows.len() as i64) < BATCH {
                    break;
                }
            }
            writer.built = true;
            writer.watermark_ms = started_ms;
        } else {
            let mut cursor = (writer.watermark_ms.saturating_sub(OVERLAP_MS), i64::MIN);
            loop {
                let rows = db.search_rows_changed_after(cursor.0, cursor.1, BATCH).await?;
                for row in &rows {
                    cursor = (row.changed_ms, row.event_id);
                    writer.watermark_ms = writer.watermark_ms.max(row.changed_ms);
                    if writer.recent.get(&row.id).is_some_and(|(_, version)| *version == row.version) {
                        continue;
                    }
                    self.add_row(&writer.writer, row)?;
                    writer.recent.insert(row.id, (row.changed_ms, row.version));
                    total += 1;
                }
                if (rows.len() as i64) < BATCH {
                    break;
                }
            }
            let oldest_kept = writer.watermark_ms.saturating_sub(OVERLAP_MS);
            writer.recent.retain(|_, (changed_ms, _)| *changed_ms >= oldest_kept);
        }
        if total > 0 {
            writer.writer.commit().map_err(internal)?;
            self.reader.reload().map_err(internal)?;
        }
        Ok(total)
    }

    /// Replaces one appeal's document (not yet committed).
    fn add_row(&self, writer: &IndexWriter, row: &SearchRow) -> Result<(), ServiceError> {
        writer.delete_term(Term::from_field_i64(self.fields.id, row.id));
        let mut document = TantivyDocument::default();
        document.add_i64(self.fields.id, row.id);
        document.add_text(self.fields.number, &row.number);
        document.add_text(self.fields.text, &row.text);
        if let Some(address) = &row.address {
            document.add_text(self.fields.address, address);
        }
        for prefix in region_prefixes(&row.region_code) {
            document.add_text(self.fields.region_path, prefix);
        }
        for unit in &row.unit_ids {
            document.add_i64(self.fields.units, *unit);
        }
        writer.add_document(document).map_err(internal)?;
        Ok(())
    }

    /// Indexes rows directly and commits (benchmarks and tests; nodes use `catch_up`).
    pub async fn index_rows(&self, rows: &[SearchRow]) -> Result<(), ServiceError> {
        let mut guard = self.writer.lock().await;
        for row in rows {
            self.add_row(&guard.writer, row)?;
        }
        guard.writer.commit().map_err(internal)?;
        self.reader.reload().map_err(internal)?;
        Ok(())
    }

    /// The query's content words as jieba cuts them (what every hit must contain).
    pub fn query_words(&self, query: &str) -> Vec<String> {
        let mut words: Vec<String> =
            self.jieba.cut(query, true).into_iter().map(|token| token.word.to_lowercase()).filter(|word| is_content_token(word)).collect();
        words.dedup();
        words
    }

    /// Appeals matching every word of the query (in text or address) or its number,
    /// within the scope's index filter, best first. The caller re-checks scope in storage.
    pub fn search(&self, query: &str, scope: &Scope, limit: usize) -> Result<Vec<SearchHit>, ServiceError> {
        let fields = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let words = self.query_words(query);
        let number = query.trim().to_ascii_uppercase();
        let mut matching: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if number.starts_with("MQ-") {
            matching
                .push((Occur::Should, Box::new(TermQuery::new(Term::from_field_text(fields.number, &number), IndexRecordOption::Basic))));
        }
        if !words.is_empty() {
            let every_word: Vec<(Occur, Box<dyn Query>)> = words
                .iter()
                .map(|word| {
                    let either: Vec<(Occur, Box<dyn Query>)> = vec![
                        (
                            Occur::Should,
                            Box::new(TermQuery::new(Term::from_field_text(fields.text, word), IndexRecordOption::WithFreqs))
                                as Box<dyn Query>,
                        ),
                        (
                            Occur::Should,
                            Box::new(TermQuery::new(Term::from_field_text(fields.address, word), IndexRecordOption::WithFreqs)),
                        ),
                    ];
                    (Occur::Must, Box::new(BooleanQuery::new(either)) as Box<dyn Query>)
                })
                .collect();
            matching.push((Occur::Should, Box::new(BooleanQuery::new(every_word))));
        }
        if matching.is_empty() {
            return Ok(Vec::new());
        }
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(matching))));
        let scope_clause: Vec<(Occur, Box<dyn Query>)> = match scope {
            Scope::RegionSubtreeOrHandledBy { region_prefix, unit_id } => vec![
                (
                    Occur::Should,
                    Box::new(TermQuery::new(Term::from_field_text(fields.region_path, region_prefix), IndexRecordOption::Basic)),
                ),
                (Occur::Should, Box::new(TermQuery::new(Term::from_field_i64(fields.units, *unit_id), IndexRecordOption::Basic))),
            ],
            Scope::HandledBy { unit_id } => {
                vec![(Occur::Should, Box::new(TermQuery::new(Term::from_field_i64(fields.units, *unit_id), IndexRecordOption::Basic)))]
            }
        };
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(scope_clause))));
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit.clamp(1, CANDIDATES)).order_by_score())
            .map_err(internal)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let document: TantivyDocument = searcher.doc(address).map_err(internal)?;
            if let Some(id) = document.get_first(fields.id).and_then(|value| value.as_i64()) {
                hits.push(SearchHit { appeal_id: id, score });
            }
        }
        Ok(hits)
    }

    /// How many appeals the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[doc(hidden)]
    pub fn index(&self) -> &Index {
        &self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tokenizer_drops_punctuation_and_keeps_words() {
        let mut tokenizer = JiebaTokenizer { jieba: Arc::new(Jieba::new()) };
        let mut stream = tokenizer.token_stream("燃气泄漏！请快来，ABC路12号");
        let mut words = Vec::new();
        while stream.advance() {
            words.push(stream.token().text.clone());
        }
        assert!(words.contains(&"燃气".to_string()), "{words:?}");
        assert!(words.contains(&"abc".to_string()), "{words:?}");
        assert!(!words.iter().any(|word| word == "！" || word == "，"), "{words:?}");
    }

    /// Indexes 200,000 appeals made from the corpus texts and times queries in a
    /// township's scope. A measurement, not a test: `cargo test --release -- --ignored
    /// search_bench --nocapture`.
    #[tokio::test]
    #[ignore]
    async fn search_bench() {
        let appeals = crate::domain::classify::corpus::parse_jsonl(crate::domain::classify::corpus::SHIPPED_CORPUS).unwrap();
        let index = SearchIndex::new(Arc::new(Jieba::new())).unwrap();
        let total = 200_000;
        let started = std::time::Instant::now();
        for chunk in 0..(total / 10_000) {
            let rows: Vec<SearchRow> = (0..10_000)
                .map(|offset| {
                    let id = (chunk * 10_000 + offset) as i64;
                    let appeal = &appeals[id as usize % appeals.len()];
                    SearchRow {
                        id,
                        number: format!("MQ-20260101-{id:06}"),
                        text: appeal.text.clone(),
                        address: None,
                        region_code: format!("511824{:03}{:03}", 100 + id % 17, 200 + id % 23),
                        unit_ids: vec![id % 50],
                        changed_ms: id,
                        event_id: id,
                        version: 1,
                    }
                })
                .collect();
            index.index_rows(&rows).await.unwrap();
        }
        eprintln!("indexed {total} appeals in {:?}", started.elapsed());
        let scope = Scope::RegionSubtreeOrHandledBy { region_prefix: "511824101".into(), unit_id: 7 };
        let queries = ["路灯", "燃气泄漏", "噪音扰民", "低保", "排洪沟 堵", "自来水 黄色"];
        let started = std::time::Instant::now();
        let mut hits = 0;
        for round in 0..100 {
            hits += index.search(queries[round % queries.len()], &scope, 20).unwrap().len();
        }
        eprintln!("100 scoped queries in {:?} ({hits} hits)", started.elapsed());
    }

    #[test]
    fn region_prefixes_cover_every_level() {
        assert_eq!(region_prefixes("511824101203"), vec!["51", "5118", "511824", "511824101", "511824101203", "511824101203"]);
    }
}
