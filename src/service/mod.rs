//! The use cases of the hub: intake, actions on appeals, places and people.
//!
//! A service function parses nothing (the HTTP and CLI edges hand it domain types),
//! asks the pure core for decisions, and writes through the storage boundary in one
//! transaction. It reads the time from the hub's `Clock`, never from the system directly.

pub mod actions;
pub mod admin;
pub mod attachments;
pub mod auth;
pub mod backup;
pub mod board;
pub mod bulk_escalation;
pub mod import;
pub mod import_files;
pub mod intake;
pub mod intake_writer;
pub mod jobs;
pub mod lookup_cache;
pub mod metrics;
pub mod notifications;
pub mod open311;
pub mod places;
pub mod points;
pub mod policies;
pub mod programmes;
pub mod rollups;
pub mod search;
pub mod smtp;
pub mod supervision;
pub mod sweep;
pub mod understanding;
pub mod view;
pub mod webhook;
pub mod work;
pub mod xlsx;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use crate::domain::calendar::WorkingCalendar;
use crate::domain::geo::routing::{GridIndex, RegionOutlineIndex};
use crate::domain::taxonomy::Category;
use crate::domain::workflow::WorkflowError;
use crate::storage::{Db, StorageError};

/// Where "now" comes from. Tests use a manual clock to walk deadlines forward.
#[derive(Clone, Debug)]
pub enum Clock {
    System,
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub fn manual(start: jiff::Timestamp) -> Clock {
        Clock::Manual(Arc::new(AtomicI64::new(start.as_millisecond())))
    }

    pub fn now(&self) -> jiff::Timestamp {
        match self {
            Clock::System => jiff::Timestamp::now(),
            Clock::Manual(millis) => {
                jiff::Timestamp::from_millisecond(millis.load(Ordering::SeqCst)).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            }
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.now().as_millisecond()
    }

    /// Moves a manual clock forward; does nothing to the system clock.
    pub fn advance(&self, by: jiff::SignedDuration) {
        if let Clock::Manual(millis) = self {
            millis.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
        }
    }
}

/// Settings of one deployment (one county is one jurisdiction).
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// The county this deployment serves, e.g. 511824 for 石棉县.
    pub county_code: String,
    /// Below this triage confidence an appeal waits in a person's triage queue.
    pub triage_threshold: f64,
    /// The deployment's own map tile server, as a URL template with `{z}`, `{x}`, `{y}`;
    /// without one, maps show the grid outlines alone (no tiles from outside).
    pub tile_url: Option<String>,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig { county_code: "511824".into(), triage_threshold: 0.6, tile_url: None }
    }
}

/// The in-memory indexes a node keeps; a cache of the database, rebuilt on change.
pub struct PlaceIndexes {
    pub grids: GridIndex,
    pub regions: RegionOutlineIndex,
}

/// Everything a request needs: the database, the calendar, the caches and the clock.
#[derive(Clone)]
pub struct Hub {
    pub db: Db,
    pub config: HubConfig,
    pub clock: Clock,
    pub calendar: Arc<WorkingCalendar>,
    pub places: Arc<RwLock<Arc<PlaceIndexes>>>,
    pub categories: Arc<RwLock<Arc<Vec<Category>>>>,
    /// The group-commit writer for intake; `None` only inside the writer itself.
    pub intake_writer: Option<intake_writer::IntakeWriter>,
    /// The classifier and the search index (issue 7).
    pub understanding: Arc<understanding::Understanding>,
    /// Short-lived caches of the policy and of owner units, for intake.
    pub lookups: Arc<lookup_cache::LookupCache>,
}

impl Hub {
    pub async fn new(db: Db, config: HubConfig, clock: Clock) -> Result<Hub, ServiceError> {
        let mut calendar = WorkingCalendar::china_default().map_err(|error| ServiceError::Internal(error.to_string()))?;
        calendar.merge_days(&db.calendar_days().await?);
        let hub = Hub {
            db,
            config,
            clock,
            calendar: Arc::new(calendar),
            places: Arc::new(RwLock::new(Arc::new(PlaceIndexes::default()))),
            categories: Arc::new(RwLock::new(Arc::new(Vec::new()))),
            intake_writer: None,
            understanding: Arc::new(understanding::Understanding::new()?),
            lookups: Arc::new(lookup_cache::LookupCache::default()),
        };
        hub.reload_caches().await?;
        understanding::load(&hub).await?;
        let mut hub = hub;
        hub.intake_writer = Some(intake_writer::IntakeWriter::start(hub.clone()));
        Ok(hub)
    }

    /// Rebuilds the routing indexes and the category list from the database.
    pub async fn reload_caches(&self) -> Result<(), ServiceError> {
        let indexes = places::build_indexes(&self.db).await?;
        let categories = self.db.categories().await?;
        self.lookups.clear();
        if let Ok(mut slot) = self.places.write() {
            *slot = Arc::new(indexes);
        }
        if let Ok(mut slot) = self.categories.write() {
            *slot = Arc::new(categories);
        }
        Ok(())
    }

    pub fn place_indexes(&self) -> Arc<PlaceIndexes> {
        self.places.read().map(|slot| Arc::clone(&slot)).unwrap_or_default()
    }

    pub fn category_list(&self) -> Arc<Vec<Category>> {
        self.categories.read().map(|slot| Arc::clone(&slot)).unwrap_or_default()
    }
}

/// Errors of the use cases. The HTTP layer maps each to a status and a stable code.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input is wrong; the message says which field and how to fix it.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0} was not found")]
    NotFound(String),
    #[error("{0}")]
    Workflow(#[from] WorkflowError),
    #[error("{0}")]
    Forbidden(String),
    #[error("sign in first: {0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Conflict(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid { field, message: message.into() }
    }
}

impl From<StorageError> for ServiceError {
    fn from(error: StorageError) -> ServiceError {
        match error {
            StorageError::NotFound(what) => ServiceError::NotFound(what),
            StorageError::Conflict(message) => ServiceError::Conflict(message),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}
