//! `minqing backup` and `minqing restore` for the embedded SQLite database.
//!
//! A backup is a consistent snapshot taken with `VACUUM INTO` while the server keeps
//! running, then checked like a restore would check it. A restore checks the file
//! first (SQLite's integrity check, a Minqing schema this binary knows, and every
//! appeal's hash chain), refuses to replace a database that a running server holds
//! unless forced, keeps the replaced database beside it, and swaps by renaming.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::domain::history::verify_chain;
use crate::storage::Db;
use crate::storage::schema::MIGRATIONS;

/// What a check of a database file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub schema_version: i64,
    pub appeals: usize,
    pub events: usize,
}

/// Why a backup or restore was refused. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Storage(#[from] crate::storage::StorageError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io { path: path.to_path_buf(), source }
}

/// The lock file a running server holds next to its database.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.file_name().map(|name| name.to_os_string()).unwrap_or_default();
    name.push(".lock");
    database.with_file_name(name)
}

/// Held by `minqing serve` for as long as it runs; the OS releases it when the process
/// ends, however it ends.
pub struct ServerLock {
    _file: File,
}

/// Takes the server lock of a database file, or says that another process holds it.
pub fn hold_server_lock(database: &Path) -> Result<ServerLock, BackupError> {
    let path = lock_path(database);
    let file = File::options().create(true).truncate(false).write(true).open(&path).map_err(io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(ServerLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(BackupError::Refused(format!("{} is in use by a running minqing server", database.display())))
        }
        Err(std::fs::TryLockError::Error(error)) => Err(BackupError::Io { path, source: error }),
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rw", path.display())
}

/// Checks a database file: SQLite's integrity check, a Minqing schema no newer than
/// this binary, and every appeal's hash chain.
pub async fn verify_file(path: &Path) -> Result<BackupReport, BackupError> {
    if !path.is_file() {
        return Err(BackupError::Refused(format!("{} is not a file", path.display())));
    }
    let db = Db::connect(&sqlite_url(path))
        .await
        .map_err(|error| BackupError::Refused(format!("{} is not a SQLite database: {error}", path.display())))?;
    let outcome = verify_open(&db, path).await;
    db.pool.close().await;
    outcome
}

async fn verify_open(db: &Db, path: &Path) -> Result<BackupReport, BackupError> {
    let problems = db
        .integrity_problems()
        .await
        .map_err(|error| BackupError::Refused(format!("{} is not a sound SQLite database: {error}", path.display())))?;
    if !problems.is_empty() {
        return Err(BackupError::Refused(format!("{} fails SQLite's integrity check: {}", path.display(), problems.join("; "))));
    }
    let known = MIGRATIONS.iter().map(|migration| migration.version).max().unwrap_or(0);
    let version = match db.schema_version().await? {
        None => return Err(BackupError::Refused(format!("{} has no Minqing schema", path.display()))),
        Some(version) if version > known => {
            return Err(BackupError::Refused(format!(
                "{} was written by a newer minqing (schema {version}; this binary knows up to {known}); restore it with that version",
                path.display()
            )));
        }
        Some(version) => version,
    };
    let mut breaks = Vec::new();
    let mut events = 0;
    let appeals = db
        .all_chains(|number, head, chain| {
            events += chain.len();
            breaks.extend(verify_chain(number, &chain, head));
        })
        .await?;
    if let Some(first) = breaks.first() {
        return Err(BackupError::Refused(format!(
            "{}: {} broken links in the appeals' history (first: {} event {}: {}); the file was altered",
            path.display(),
            breaks.len(),
            first.appeal_number,
            first.seq,
            first.problem
        )));
    }
    Ok(BackupReport { schema_version: version, appeals, events })
}

/// Writes a consistent snapshot of the live database to `out` and checks it.
pub async fn backup(db: &Db, out: &Path) -> Result<BackupReport, BackupError> {
    if out.exists() {
        return Err(BackupError::Refused(format!("{} exists already; choose a new file name", out.display())));
    }
    db.vacuum_into(out).await?;
    match verify_file(out).await {
        Ok(report) => Ok(report),
        Err(error) => {
            let _ = std::fs::remove_file(out);
            Err(error)
        }
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(|name| name.to_os_string()).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// Replaces the database at `target` with the backup `file`, after checking it.
/// Returns the report and where the replaced database was kept.
pub async fn restore(file: &Path, target: &Path, force: bool) -> Result<(BackupReport, Option<PathBuf>), BackupError> {
    if !file.is_file() {
        return Err(BackupError::Refused(format!("{} is not a file", file.display())));
    }
    // Hold the server lock for the whole swap, so no server starts on a half-swapped file.
    let _lock = match hold_server_lock(target) {
        Ok(lock) => Some(lock),
        Err(BackupError::Refused(message)) if force => {
            tracing::warn!("{message}; restoring anyway (--force): restart the server afterwards");
            None
        }
        Err(BackupError::Refused(message)) => {
            return Err(BackupError::Refused(format!("{message}; stop it first, or pass --force and restart it afterwards")));
        }
        Err(other) => return Err(other),
    };
    // Check a private copy, so the file cannot change between the check and the swap.
    let staged = sibling(target, ".restoring");
    for leftover in [staged.clone(), sibling(&staged, "-wal"), sibling(&staged, "-shm")] {
        let _ = std::fs::remove_file(leftover);
    }
    std::fs::copy(file, &staged).map_err(io(file))?;
    let report = match verify_file(&staged).await {
        Ok(report) => report,
        Err(error) => {
            let _ = std::fs::remove_file(&staged);
            return Err(error);
        }
    };
    let kept = if target.exists() {
        let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
        let kept = sibling(target, &format!(".before-restore-{stamp}"));
        // The database, its write-ahead log and shared memory move together, so the
        // replaced database stays whole and no old log is replayed into the new one.
        for suffix in ["", "-wal", "-shm"] {
            let from = sibling(target, suffix);
            if from.exists() {
                std::fs::rename(&from, sibling(&kept, suffix)).map_err(io(&from))?;
            }
        }
        Some(kept)
    } else {
        None
    };
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(sibling(&staged, suffix));
    }
    std::fs::rename(&staged, target).map_err(io(target))?;
    Ok((report, kept))
}

/// The file of a SQLite database URL (`sqlite://PATH?…`), or None for other databases.
pub fn sqlite_path_of(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// The server lock for a database URL; nothing to hold for PostgreSQL.
pub fn hold_server_lock_for_url(url: &str) -> Result<Option<ServerLock>, BackupError> {
    sqlite_path_of(url).map(|path| hold_server_lock(&path)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_read_from_urls() {
        assert_eq!(sqlite_path_of("sqlite://data/minqing.db?mode=rwc"), Some(PathBuf::from("data/minqing.db")));
        assert_eq!(sqlite_path_of("sqlite:x.db"), Some(PathBuf::from("x.db")));
        assert_eq!(sqlite_path_of("sqlite::memory:"), None);
        assert_eq!(sqlite_path_of("postgres://u@h/db"), None);
    }
}

/// `minqing backup --out FILE`: prints what was saved. Exit code 0, or an error.
pub async fn run_backup(url: &str, out: &Path) -> anyhow::Result<i32> {
    if sqlite_path_of(url).is_none() {
        anyhow::bail!("backups are for the embedded SQLite database; for PostgreSQL use pg_dump");
    }
    let db = Db::connect(url).await?;
    let report = backup(&db, out).await;
    db.pool.close().await;
    let report = report?;
    println!(
        "backup written to {}: schema {}, {} appeals, {} events, integrity and every hash chain checked",
        out.display(),
        report.schema_version,
        report.appeals,
        report.events
    );
    Ok(0)
}

/// `minqing restore FILE [--force]`: prints what was restored and where the old
/// database was kept.
pub async fn run_restore(url: &str, file: &Path, force: bool) -> anyhow::Result<i32> {
    let target =
        sqlite_path_of(url).ok_or_else(|| anyhow::anyhow!("restore is for the embedded SQLite database; for PostgreSQL use pg_restore"))?;
    let (report, kept) = restore(file, &target, force).await?;
    println!(
        "restored {} into {}: schema {}, {} appeals, {} events, integrity and every hash chain checked",
        file.display(),
        target.display(),
        report.schema_version,
        report.appeals,
        report.events
    );
    if let Some(kept) = kept {
        println!("the replaced database was kept as {}", kept.display());
    }
    Ok(0)
}
