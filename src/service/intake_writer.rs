//! Group commit for intake: one writer task per node stores appeals in batches.
//!
//! An acknowledged appeal must survive a power cut, so every commit is durable (SQLite
//! runs WAL with `synchronous=FULL`). A durable commit costs an fsync; doing one per
//! appeal would cap intake at the disk's fsync rate. Instead, requests queue on a channel
//! while a commit is in flight, and the next transaction takes all of them at once: the
//! whole batch in a few multi-row statements (`storage::batches`), one commit for it,
//! and only then is anyone answered. If a statement of the batch fails, the batch is
//! rolled back and stored again one appeal at a time, each in its own savepoint, so one
//! bad appeal does not fail its neighbours.

use sqlx::Acquire;
use tokio::sync::{mpsc, oneshot};

use super::intake::{IntakeReceipt, PreparedAppeal, store, store_many};
use super::{Hub, ServiceError};
use crate::storage::appeals::{AppealRecord, store_idempotent_response};
use crate::storage::batches::store_idempotent_responses;
use crate::storage::{StorageError, WriterConnection};

/// The largest number of appeals committed together.
pub const MAX_BATCH: usize = 256;

/// How an idempotent request is remembered with its appeal.
pub struct IdempotencyRecord {
    pub key: String,
    pub request_hash: String,
    pub status: u16,
    /// Renders the response body stored with the key (and returned on a replay).
    pub render: fn(&AppealRecord, &str) -> String,
}

/// What the writer answers.
pub enum IntakeOutcome {
    Stored(IntakeReceipt),
    /// A concurrent request with the same idempotency key was stored first.
    KeyTaken {
        key: String,
    },
}

struct IntakeJob {
    prepared: PreparedAppeal,
    idempotency: Option<IdempotencyRecord>,
    reply: oneshot::Sender<Result<IntakeOutcome, ServiceError>>,
}

/// The sending side, cheap to clone; held by the `Hub`.
#[derive(Clone)]
pub struct IntakeWriter {
    sender: mpsc::Sender<IntakeJob>,
}

impl IntakeWriter {
    /// Starts the writer for a hub, on a thread of its own. It ends when every sender
    /// is dropped.
    pub fn start(hub: Hub) -> IntakeWriter {
        let (sender, receiver) = mpsc::channel(4 * MAX_BATCH);
        // The writer runs on a thread of its own, with a connection of its own: each
        // statement of a batch wakes it, and behind busy request handlers on the shared
        // workers every wake-up would wait its turn, latency that each appeal of the
        // batch pays (measured on SQLite: 4,000 → 5,000 appeals/s at 16 clients). A
        // SQLite connection is a thread of its own and needs no IO driver; without one
        // the writer parks on a futex rather than in `epoll_wait`, a cheaper wake-up. A
        // PostgreSQL connection's socket is driven by the runtime that opened it, so the
        // writer opens its own on its own runtime, which has an IO driver.
        let with_io = hub.db.dialect == crate::storage::Dialect::Postgres;
        let shared = tokio::runtime::Handle::try_current().ok();
        let spawned = std::thread::Builder::new().name("intake-writer".into()).spawn(move || {
            let mut builder = tokio::runtime::Builder::new_current_thread();
            builder.enable_time();
            if with_io {
                builder.enable_io();
            }
            match builder.build() {
                Ok(runtime) => runtime.block_on(run_writer(hub, receiver, shared)),
                Err(error) => tracing::error!(%error, "the intake writer could not start"),
            }
        });
        if let Err(error) = spawned {
            tracing::error!(%error, "the intake writer thread could not start");
        }
        IntakeWriter { sender }
    }

    /// Stores one prepared appeal durably; returns once its batch has committed.
    pub async fn submit(&self, prepared: PreparedAppeal, idempotency: Option<IdempotencyRecord>) -> Result<IntakeOutcome, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(IntakeJob { prepared, idempotency, reply })
            .await
            .map_err(|_| ServiceError::Internal("the intake writer has stopped".into()))?;
        answer.await.map_err(|_| ServiceError::Internal("the intake writer dropped a request".into()))?
    }
}

/// `log_on`: the shared runtime, where the log lines of each batch are written in a task
/// of their own, so that the next batch does not wait for them (without one, the writer
/// writes them itself).
async fn run_writer(hub: Hub, mut receiver: mpsc::Receiver<IntakeJob>, log_on: Option<tokio::runtime::Handle>) {
    // The writer's own connection; after a failed batch it opens a fresh one, in case
    // the connection is what failed.
    let mut connection: Option<WriterConnection> = None;
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        write_batch(&hub, &mut connection, batch, log_on.as_ref()).await;
    }
}

async fn write_batch(hub: &Hub, held: &mut Option<WriterConnection>, batch: Vec<IntakeJob>, log_on: Option<&tokio::runtime::Handle>) {
    let size = batch.len();
    let mut at_once = write_batch_at_once_on(hub, held, &batch).await;
    if let Err(BatchFailure::Begin(error)) = &at_once {
        // The kept connection may have gone away (a PostgreSQL restart, an idle
        // connection closed by the server): nothing was written, so try once more on a
        // fresh one before anyone hears of it.
        tracing::info!(%error, "the intake writer's connection could not begin a transaction; reconnecting");
        *held = None;
        at_once = write_batch_at_once_on(hub, held, &batch).await;
    }
    match at_once {
        Ok(outcomes) => {
            // Answer first; the log lines are written by a task of their own.
            let mut received = Vec::with_capacity(outcomes.len());
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                if let IntakeOutcome::Stored(receipt) = &outcome {
                    received.push((receipt.appeal.number.clone(), receipt.appeal.channel, receipt.appeal.tier));
                }
                let _ = job.reply.send(Ok(outcome));
            }
            let log = move || {
                for (number, channel, tier) in received {
                    tracing::info!(%number, %channel, %tier, batch = size, "appeal received");
                }
            };
            match log_on {
                Some(runtime) => drop(runtime.spawn(async move { log() })),
                None => log(),
            }
        }
        Err(BatchFailure::Begin(message) | BatchFailure::Commit(message)) => {
            for job in batch {
                let _ = job.reply.send(Err(ServiceError::Internal(message.clone())));
            }
            *held = None;
        }
        Err(BatchFailure::Statement(error)) => {
            // Nothing of the batch was written. Store its appeals one by one, so the one
            // that failed is answered with its own error and its neighbours are stored.
            tracing::debug!(%error, batch = size, "intake batch fell back to one appeal at a time");
            let stored = match held.as_mut() {
                Some(connection) => write_batch_one_by_one(hub, connection, batch).await,
                None => false,
            };
            if !stored {
                *held = None;
            }
        }
    }
}

/// Why the fast path did not store a batch.
enum BatchFailure {
    /// No transaction could be begun (or no connection opened): nothing was written.
    Begin(String),
    /// A statement failed before the commit: nothing was written, the batch may be retried.
    Statement(ServiceError),
    /// The commit failed: nothing was written, and the appeals are answered with the error.
    Commit(String),
}

/// The fast path on the writer's kept connection, opened first if there is none.
async fn write_batch_at_once_on(
    hub: &Hub,
    held: &mut Option<WriterConnection>,
    batch: &[IntakeJob],
) -> Result<Vec<IntakeOutcome>, BatchFailure> {
    let connection = match held {
        Some(connection) => connection,
        None => held.insert(
            hub.db.connect_writer().await.map_err(|error| BatchFailure::Begin(format!("the intake writer could not connect: {error}")))?,
        ),
    };
    write_batch_at_once(hub, connection, batch).await
}

/// The fast path: every appeal of the batch in a few multi-row statements, one commit.
async fn write_batch_at_once(
    hub: &Hub,
    connection: &mut WriterConnection,
    batch: &[IntakeJob],
) -> Result<Vec<IntakeOutcome>, BatchFailure> {
    let mut transaction = hub.db.begin_write_on(connection).await.map_err(|error| BatchFailure::Begin(error.to_string()))?;
    let receipts = match store_batch_in(hub, &mut transaction, batch).await {
        Ok(receipts) => receipts,
        Err(error) => {
            // Roll back now, not when the pool gets round to it: the one-by-one path
            // that follows needs the write lock (SQLite) and the day's counter row.
            let _ = transaction.rollback().await;
            return Err(BatchFailure::Statement(error));
        }
    };
    transaction.commit().await.map_err(|error| BatchFailure::Commit(format!("the batch could not be committed: {error}")))?;
    Ok(receipts.into_iter().map(IntakeOutcome::Stored).collect())
}

/// The batch's statements, inside the caller's transaction.
async fn store_batch_in(hub: &Hub, transaction: &mut sqlx::AnyConnection, batch: &[IntakeJob]) -> Result<Vec<IntakeReceipt>, ServiceError> {
    let prepared: Vec<&PreparedAppeal> = batch.iter().map(|job| &job.prepared).collect();
    let receipts = store_many(hub, transaction, &prepared).await?;
    let responses: Vec<(&str, &str, u16, String)> = batch
        .iter()
        .zip(&receipts)
        .filter_map(|(job, receipt)| {
            job.idempotency.as_ref().map(|record| {
                (record.key.as_str(), record.request_hash.as_str(), record.status, (record.render)(&receipt.appeal, &receipt.secret))
            })
        })
        .collect();
    if !responses.is_empty() {
        let stored = store_idempotent_responses(transaction, &responses, hub.clock.now_ms()).await?;
        if stored != responses.len() {
            // A key was taken (by a concurrent request, or twice in this batch): the
            // one-by-one path tells which appeal lost.
            return Err(ServiceError::Conflict("an idempotency key of the batch was taken".into()));
        }
    }
    Ok(receipts)
}

/// The fallback: each appeal in its own savepoint, one commit for the batch. Returns
/// whether the connection did its part (began and committed).
async fn write_batch_one_by_one(hub: &Hub, connection: &mut WriterConnection, batch: Vec<IntakeJob>) -> bool {
    let mut transaction = match hub.db.begin_write_on(connection).await {
        Ok(transaction) => transaction,
        Err(error) => {
            let message = error.to_string();
            for job in batch {
                let _ = job.reply.send(Err(ServiceError::Internal(message.clone())));
            }
            return false;
        }
    };
    let mut results: Vec<(oneshot::Sender<Result<IntakeOutcome, ServiceError>>, Result<IntakeOutcome, ServiceError>)> =
        Vec::with_capacity(batch.len());
    for job in batch {
        let outcome = store_one(hub, &mut transaction, job.prepared, job.idempotency).await;
        results.push((job.reply, outcome));
    }
    let committed = transaction.commit().await;
    let size = results.len();
    match committed {
        Ok(()) => {
            for (reply, outcome) in results {
                if let Ok(IntakeOutcome::Stored(receipt)) = &outcome {
                    tracing::info!(number = %receipt.appeal.number, channel = %receipt.appeal.channel, tier = %receipt.appeal.tier, batch = size, "appeal received");
                }
                let _ = reply.send(outcome);
            }
            true
        }
        Err(error) => {
            let message = format!("the batch could not be committed: {error}");
            for (reply, _) in results {
                let _ = reply.send(Err(ServiceError::Internal(message.clone())));
            }
            false
        }
    }
}

async fn store_one(
    hub: &Hub,
    transaction: &mut sqlx::AnyConnection,
    prepared: PreparedAppeal,
    idempotency: Option<IdempotencyRecord>,
) -> Result<IntakeOutcome, ServiceError> {
    let mut savepoint = transaction.begin().await.map_err(StorageError::from)?;
    let receipt = match store_in(hub, &mut savepoint, prepared).await {
        Ok(receipt) => receipt,
        Err(error) => {
            let _ = savepoint.rollback().await;
            return Err(error);
        }
    };
    if let Some(record) = idempotency {
        let body = (record.render)(&receipt.appeal, &receipt.secret);
        let now = hub.clock.now_ms();
        if let Err(error) = store_idempotent_response(&mut savepoint, &record.key, &record.request_hash, record.status, &body, now).await {
            let _ = savepoint.rollback().await;
            return if error.is_unique_violation() { Ok(IntakeOutcome::KeyTaken { key: record.key }) } else { Err(error.into()) };
        }
    }
    savepoint.commit().await.map_err(StorageError::from)?;
    Ok(IntakeOutcome::Stored(receipt))
}

async fn store_in(hub: &Hub, savepoint: &mut sqlx::AnyConnection, prepared: PreparedAppeal) -> Result<IntakeReceipt, ServiceError> {
    store(hub, savepoint, prepared).await
}
