//! The SQL of backups: a consistent snapshot of the embedded database and the checks a
//! restore runs on a file before it replaces the live database.

use sqlx::Row;

use super::{Db, Dialect, Result, StorageError};

impl Db {
    /// Writes a consistent snapshot of a SQLite database to `path` with `VACUUM INTO`.
    /// It reads inside one transaction, so it is consistent while the server writes.
    pub async fn vacuum_into(&self, path: &std::path::Path) -> Result<()> {
        if self.dialect != Dialect::Sqlite {
            return Err(StorageError::Config("backups are for the embedded SQLite database; for PostgreSQL use pg_dump".into()));
        }
        let target = path.to_str().ok_or_else(|| StorageError::Config(format!("the path {} is not valid UTF-8", path.display())))?;
        sqlx::query("VACUUM INTO $1").bind(target).execute(&self.pool).await?;
        Ok(())
    }

    /// `PRAGMA integrity_check`: the problems found, empty when the file is sound.
    pub async fn integrity_problems(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("PRAGMA integrity_check").fetch_all(&self.pool).await?;
        let lines: Vec<String> = rows.iter().map(|row| row.try_get::<String, _>(0)).collect::<Result<_, _>>()?;
        Ok(lines.into_iter().filter(|line| line != "ok").collect())
    }

    /// The newest applied migration, or None when the file has no Minqing schema.
    pub async fn schema_version(&self) -> Result<Option<i64>> {
        let exists = sqlx::query("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
            .fetch_one(&self.pool)
            .await?
            .try_get::<i64, _>(0)?;
        if exists == 0 {
            return Ok(None);
        }
        let row = sqlx::query("SELECT MAX(version) FROM schema_migrations").fetch_one(&self.pool).await?;
        Ok(row.try_get::<Option<i64>, _>(0)?)
    }
}
