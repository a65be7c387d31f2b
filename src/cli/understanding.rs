//! `minqing classify train|eval` and `minqing hotspots scan`, and the background work
//! of a serving node (search index warm-up, hourly hot-spot scan).

use std::path::PathBuf;

use clap::Subcommand;

use super::{DatabaseArgs, read_text};
use crate::domain::classify::TrainingExample;
use crate::domain::classify::corpus::{LabelledAppeal, SHIPPED_CORPUS, parse_jsonl};
use crate::domain::classify::eval::{cross_validate, duplicate_figures, evaluate, report};
use crate::domain::taxonomy::{DEFAULT_CATEGORIES_CSV, parse_categories_csv};
use crate::service::{Hub, understanding};

#[derive(Debug, Subcommand)]
pub enum ClassifyCommand {
    /// Retrain from the confirmed appeals in the database (dispatched, with a category)
    /// together with the shipped corpus, or from a labelled JSONL file alone, and store
    /// the model; serving nodes load it on start.
    Train {
        #[command(flatten)]
        database: DatabaseArgs,
        /// A labelled JSONL file (the format of data/appeals/corpus.jsonl).
        #[arg(long)]
        from: Option<PathBuf>,
        /// Leave the shipped corpus out when training from the database.
        #[arg(long, conflicts_with = "from")]
        database_only: bool,
    },
    /// Measure on a labelled JSONL file. With --folds K: K-fold cross-validation on the
    /// file (trained and tested on the file only, with the database's rules). Without:
    /// the model in use (newest stored, else the shipped corpus's) is tested on the file.
    Eval {
        #[command(flatten)]
        database: DatabaseArgs,
        file: PathBuf,
        #[arg(long)]
        folds: Option<usize>,
        /// The routing threshold to report coverage at (default: the hub's).
        #[arg(long)]
        threshold: Option<f64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum HotspotCommand {
    /// Look for clusters in the last window and store a warning for each new one.
    Scan {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

fn read_labelled(path: &PathBuf) -> anyhow::Result<Vec<LabelledAppeal>> {
    parse_jsonl(&read_text(path)?).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))
}

pub async fn classify(action: ClassifyCommand) -> anyhow::Result<i32> {
    match action {
        ClassifyCommand::Train { database, from, database_only } => {
            let hub = database.hub().await?;
            let (examples, source): (Vec<TrainingExample>, String) = match &from {
                Some(path) => {
                    let appeals = read_labelled(path)?;
                    let name = path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().to_string());
                    (appeals.iter().map(LabelledAppeal::to_example).collect(), format!("file:{name}"))
                }
                None if database_only => (hub.db.confirmed_examples().await?, "database".to_string()),
                None => {
                    // A county with few confirmed appeals keeps the shipped baseline.
                    let mut examples = hub.db.confirmed_examples().await?;
                    let confirmed = examples.len();
                    let shipped = parse_jsonl(SHIPPED_CORPUS).map_err(|error| anyhow::anyhow!("shipped corpus: {error}"))?;
                    examples.extend(shipped.iter().map(LabelledAppeal::to_example));
                    (examples, format!("database ({confirmed} confirmed) + shipped corpus"))
                }
            };
            let id = understanding::train_and_store(&hub, &examples, &source).await?;
            println!("trained model {id} from {} examples ({source})", examples.len());
            Ok(0)
        }
        ClassifyCommand::Eval { database, file, folds, threshold } => {
            let hub = database.hub().await?;
            let appeals = read_labelled(&file)?;
            // A database without a taxonomy yet is measured against the shipped one.
            let categories = match hub.category_list() {
                list if list.is_empty() => std::sync::Arc::new(parse_categories_csv(DEFAULT_CATEGORIES_CSV)?),
                list => list,
            };
            let jieba = &hub.understanding.jieba;
            let classifier = hub.understanding.classifier();
            let outcomes = match folds {
                Some(folds) if folds >= 2 => {
                    println!("{folds}-fold cross-validation on {} ({} appeals), rules from the database", file.display(), appeals.len());
                    cross_validate(jieba, &classifier.rules, &appeals, &categories, folds)
                }
                Some(_) => anyhow::bail!("--folds must be at least 2"),
                None => {
                    println!("model in use ({}) tested on {}", hub.understanding.model_source(), file.display());
                    evaluate(jieba, &classifier, &appeals, &categories)
                }
            };
            if appeals.iter().any(|appeal| appeal.same_as.is_some()) {
                let labelled = duplicate_figures(&appeals, &|index| Some(appeals[index].category.clone()));
                let predicted_by_id: std::collections::HashMap<&str, Option<String>> =
                    outcomes.iter().map(|outcome| (outcome.id.as_str(), outcome.predicted_category.clone())).collect();
                let predicted = duplicate_figures(&appeals, &|index| predicted_by_id.get(appeals[index].id.as_str()).cloned().flatten());
                for (what, figures) in [("labelled categories", labelled), ("predicted categories", predicted)] {
                    println!(
                        "duplicates with {what}: {} suggested, {} of {} same_as pairs found; precision {:.3}, recall {:.3}",
                        figures.suggested, figures.right, figures.true_pairs, figures.precision, figures.recall
                    );
                }
            }
            println!("{}", report(&outcomes, &categories, threshold.unwrap_or(hub.config.triage_threshold)));
            Ok(0)
        }
    }
}

pub async fn hotspots(action: HotspotCommand) -> anyhow::Result<i32> {
    match action {
        HotspotCommand::Scan { database } => {
            let hub = database.hub().await?;
            let warnings = understanding::scan_hotspots(&hub).await?;
            for warning in &warnings {
                println!("{} {} {}: {}", warning.place_kind, warning.place_code, warning.category_code, warning.reasons.join("；"));
            }
            println!("{} new warnings", warnings.len());
            Ok(0)
        }
    }
}

/// Warms the search index and scans for hot spots every hour while the node serves.
pub fn spawn_background(hub: &Hub) {
    let hub = hub.clone();
    tokio::spawn(async move {
        match hub.understanding.search.catch_up(&hub.db).await {
            Ok(count) => tracing::info!(count, "search index built"),
            Err(error) => tracing::error!(%error, "search index build failed; searches will retry"),
        }
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            interval.tick().await;
            if let Err(error) = understanding::scan_hotspots(&hub).await {
                tracing::error!(%error, "hot-spot scan failed");
            }
        }
    });
}
