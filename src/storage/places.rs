//! Regions, region outlines and grids.

use sqlx::Row;

use super::sql::SqlBuilder;

use super::{Db, Result, StorageError};
use crate::domain::region::RegionLevel;

/// One node of the region tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub level: RegionLevel,
}

/// A grid as stored: its outline is GeoJSON geometry text.
#[derive(Debug, Clone, PartialEq)]
pub struct GridRecord {
    pub id: String,
    pub name: String,
    pub region_code: String,
    pub parent_id: Option<String>,
    pub geometry_json: String,
}

/// Rows per multi-row INSERT: 500 rows × 4 columns stays far below SQLite's
/// parameter limit and keeps PostgreSQL round trips few.
const REGION_BATCH: usize = 500;

impl Db {
    /// Inserts or updates regions in one transaction. Returns how many were written.
    pub async fn upsert_regions(&self, regions: &[Region]) -> Result<usize> {
        let mut transaction = self.begin_write().await?;
        for chunk in regions.chunks(REGION_BATCH) {
            let mut builder = SqlBuilder::new("INSERT INTO regions (code, name, parent_code, level) VALUES ");
            for (index, region) in chunk.iter().enumerate() {
                builder.push(if index == 0 { "(" } else { ", (" });
                builder.bind(region.code.as_str()).push(", ").bind(region.name.as_str()).push(", ");
                builder.bind(region.parent_code.clone()).push(", ").bind(region.level.as_str()).push(")");
            }
            builder
                .push(" ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, level = excluded.level");
            builder.query().execute(&mut *transaction).await?;
        }
        transaction.commit().await?;
        Ok(regions.len())
    }

    pub async fn region(&self, code: &str) -> Result<Option<Region>> {
        let row =
            sqlx::query("SELECT code, name, parent_code, level FROM regions WHERE code = $1").bind(code).fetch_optional(&self.pool).await?;
        row.map(|row| region_from_row(&row)).transpose()
    }

    pub async fn region_children(&self, code: &str) -> Result<Vec<Region>> {
        let rows = sqlx::query("SELECT code, name, parent_code, level FROM regions WHERE parent_code = $1 ORDER BY code")
            .bind(code)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(region_from_row).collect()
    }

    /// All regions in a subtree (the code itself included), ordered by code.
    pub async fn region_subtree(&self, code: &str) -> Result<Vec<Region>> {
        let rows = sqlx::query("SELECT code, name, parent_code, level FROM regions WHERE code >= $1 AND code < $2 ORDER BY code")
            .bind(code)
            .bind(prefix_upper_bound(code))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(region_from_row).collect()
    }

    pub async fn count_regions(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM regions").fetch_one(&self.pool).await?.try_get(0)?)
    }

    pub async fn upsert_region_outline(&self, code: &str, geometry_json: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO region_outlines (code, geojson) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET geojson = excluded.geojson",
        )
        .bind(code)
        .bind(geometry_json)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every region outline: (code, level, GeoJSON geometry).
    pub async fn region_outlines(&self) -> Result<Vec<(String, RegionLevel, String)>> {
        let rows =
            sqlx::query("SELECT o.code, r.level, o.geojson FROM region_outlines o JOIN regions r ON r.code = o.code ORDER BY o.code")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                let level: String = row.try_get("level")?;
                let level =
                    level.parse().map_err(|error: crate::domain::text_enum::UnknownVariant| StorageError::Corrupt(error.to_string()))?;
                Ok((row.try_get("code")?, level, row.try_get("geojson")?))
            })
            .collect()
    }

    /// Inserts or replaces grids in one transaction; all or nothing.
    pub async fn upsert_grids(&self, grids: &[GridRecord], now_ms: i64) -> Result<usize> {
        let mut transaction = self.begin_write().await?;
        for grid in grids {
            sqlx::query(
                "INSERT INTO grids (id, name, region_code, parent_id, geojson, created_ms) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, region_code = excluded.region_code, \
                 parent_id = excluded.parent_id, geojson = excluded.geojson",
            )
            .bind(&grid.id)
            .bind(&grid.name)
            .bind(&grid.region_code)
            .bind(&grid.parent_id)
            .bind(&grid.geometry_json)
            .bind(now_ms)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(grids.len())
    }

    pub async fn grid(&self, id: &str) -> Result<Option<GridRecord>> {
        let row = sqlx::query("SELECT id, name, region_code, parent_id, geojson FROM grids WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| grid_from_row(&row)).transpose()
    }

    /// Grids in a region's subtree, ordered by id.
    pub async fn grids_in_region(&self, code: &str) -> Result<Vec<GridRecord>> {
        let rows = sqlx::query(
            "SELECT id, name, region_code, parent_id, geojson FROM grids WHERE region_code >= $1 AND region_code < $2 ORDER BY id",
        )
        .bind(code)
        .bind(prefix_upper_bound(code))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(grid_from_row).collect()
    }

    pub async fn all_grids(&self) -> Result<Vec<GridRecord>> {
        let rows = sqlx::query("SELECT id, name, region_code, parent_id, geojson FROM grids ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(grid_from_row).collect()
    }
}

/// The smallest text greater than every text that starts with `prefix`, for range scans
/// (`code >= prefix AND code < bound`) that use an ordinary index on both databases.
///
/// Region codes are ASCII digits. The bound increments the last digit that is not 9 and
/// drops what follows it (`51189` → `5119`), so it stays a digit string and compares the
/// same under any collation PostgreSQL may be configured with.
pub fn prefix_upper_bound(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last < b'9' {
            bytes.push(last + 1);
            return String::from_utf8(bytes).unwrap_or_default();
        }
    }
    // Every character was 9 (or the prefix was empty): nothing is above it but we need
    // a bound; `:` sorts after `9` in ASCII and this case never arises for real codes.
    format!("{prefix}:")
}

fn region_from_row(row: &sqlx::any::AnyRow) -> Result<Region> {
    let level: String = row.try_get("level")?;
    Ok(Region {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        parent_code: row.try_get("parent_code")?,
        level: level.parse().map_err(|error: crate::domain::text_enum::UnknownVariant| StorageError::Corrupt(error.to_string()))?,
    })
}

fn grid_from_row(row: &sqlx::any::AnyRow) -> Result<GridRecord> {
    Ok(GridRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        region_code: row.try_get("region_code")?,
        parent_id: row.try_get("parent_id")?,
        geometry_json: row.try_get("geojson")?,
    })
}

#[cfg(test)]
mod tests {
    use super::prefix_upper_bound;

    #[test]
    fn prefix_bounds_cover_exactly_the_subtree() {
        assert_eq!(prefix_upper_bound("511824"), "511825");
        assert_eq!(prefix_upper_bound("51189"), "5119");
        let bound = prefix_upper_bound("511829");
        for inside in ["511829", "511829001", "511829999999"] {
            assert!(inside >= "511829" && inside < bound.as_str(), "{inside}");
        }
        assert!("51183" >= bound.as_str());
    }
}
