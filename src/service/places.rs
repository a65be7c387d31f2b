//! Places: importing the region tree, region outlines and grids, and the routing indexes.

use std::io::Read;
use std::path::Path;

use super::{Hub, PlaceIndexes, ServiceError};
use crate::domain::geo::geojson::{multipolygon_to_geometry, parse_features};
use crate::domain::geo::routing::{GridIndex, GridShape, RegionOutline, RegionOutlineIndex};
use crate::domain::region::{RegionLevel, implied_parent};
use crate::storage::Db;
use crate::storage::places::{GridRecord, Region};

impl Default for PlaceIndexes {
    fn default() -> Self {
        PlaceIndexes { grids: GridIndex::build(Vec::new()), regions: RegionOutlineIndex::build(Vec::new()) }
    }
}

/// Parses one stored GeoJSON geometry.
fn parse_geometry(geometry_json: &str) -> Result<geo::MultiPolygon<f64>, ServiceError> {
    let wrapped = format!(r#"{{"type":"Feature","properties":{{}},"geometry":{geometry_json}}}"#);
    let mut features = parse_features(&wrapped).map_err(|error| ServiceError::Internal(format!("stored geometry: {error}")))?;
    features.pop().map(|feature| feature.geometry).ok_or_else(|| ServiceError::Internal("stored geometry is empty".into()))
}

/// Builds the routing indexes from the database.
pub async fn build_indexes(db: &Db) -> Result<PlaceIndexes, ServiceError> {
    let mut shapes = Vec::new();
    for grid in db.all_grids().await? {
        shapes.push(GridShape {
            geometry: parse_geometry(&grid.geometry_json)?,
            id: grid.id,
            parent_id: grid.parent_id,
            region_code: grid.region_code,
        });
    }
    let mut outlines = Vec::new();
    for (code, level, geometry_json) in db.region_outlines().await? {
        outlines.push(RegionOutline { code, level: level.depth(), geometry: parse_geometry(&geometry_json)? });
    }
    Ok(PlaceIndexes { grids: GridIndex::build(shapes), regions: RegionOutlineIndex::build(outlines) })
}

/// A problem with one line of a region file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: usize,
    pub problem: String,
}

/// Parses a region CSV in any of the shipped layouts:
/// `code,name,parent,level` (county extracts) or the national files, whose parent
/// column is `provinceCode`, `cityCode`, `areaCode` or `streetCode`. A missing parent
/// is implied by the code's shape.
pub fn parse_regions_csv(reader: impl Read) -> Result<Vec<Region>, Vec<RowProblem>> {
    let mut csv = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(reader);
    let headers = match csv.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => return Err(vec![RowProblem { line: 1, problem: error.to_string() }]),
    };
    let column = |names: &[&str]| headers.iter().position(|header| names.contains(&header.trim()));
    let (Some(code_column), Some(name_column)) = (column(&["code"]), column(&["name"])) else {
        return Err(vec![RowProblem { line: 1, problem: "the header must have `code` and `name` columns".into() }]);
    };
    let parent_column = column(&["parent", "parent_code", "streetCode", "areaCode", "cityCode", "provinceCode"]);
    let level_column = column(&["level"]);
    let mut regions = Vec::new();
    let mut problems = Vec::new();
    for (index, record) in csv.records().enumerate() {
        let line = index + 2;
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                problems.push(RowProblem { line, problem: error.to_string() });
                continue;
            }
        };
        let code = record.get(code_column).unwrap_or("").trim().to_string();
        let name = record.get(name_column).unwrap_or("").trim().to_string();
        let Some(shape_level) = RegionLevel::from_code(&code) else {
            problems.push(RowProblem { line, problem: format!("code `{code}` is not 2, 4, 6, 9 or 12 digits") });
            continue;
        };
        let level = match level_column.and_then(|column| record.get(column)).map(str::trim).filter(|text| !text.is_empty()) {
            None => shape_level,
            Some(text) => match text.parse::<RegionLevel>() {
                Ok(level) if level == shape_level => level,
                Ok(level) => {
                    problems.push(RowProblem { line, problem: format!("level `{level}` does not match the {}-digit code", code.len()) });
                    continue;
                }
                Err(error) => {
                    problems.push(RowProblem { line, problem: error.to_string() });
                    continue;
                }
            },
        };
        if name.is_empty() {
            problems.push(RowProblem { line, problem: "name is empty".into() });
            continue;
        }
        let parent = parent_column
            .and_then(|column| record.get(column))
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_string)
            .or_else(|| implied_parent(&code).map(str::to_string));
        if let Some(parent) = &parent {
            if !code.starts_with(parent.as_str()) || parent.len() >= code.len() {
                problems.push(RowProblem { line, problem: format!("parent `{parent}` is not an ancestor of `{code}`") });
                continue;
            }
        }
        regions.push(Region { code, name, parent_code: parent, level });
    }
    if problems.is_empty() { Ok(regions) } else { Err(problems) }
}

/// Imports a region file (CSV, or CSV.gz); all or nothing. Returns the number of regions.
pub async fn import_regions_file(db: &Db, path: &Path) -> Result<usize, ServiceError> {
    let file = std::fs::File::open(path).map_err(|error| ServiceError::invalid("file", format!("{}: {error}", path.display())))?;
    let reader: Box<dyn Read + Send> = if path.extension().is_some_and(|extension| extension == "gz") {
        Box::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    let regions = tokio::task::spawn_blocking(move || parse_regions_csv(reader))
        .await
        .map_err(|error| ServiceError::Internal(error.to_string()))?
        .map_err(|problems| {
            let shown: Vec<String> = problems.iter().take(20).map(|p| format!("line {}: {}", p.line, p.problem)).collect();
            ServiceError::invalid("file", format!("{} rows refused, nothing imported:\n{}", problems.len(), shown.join("\n")))
        })?;
    Ok(db.upsert_regions(&regions).await?)
}

/// Imports region outlines from GeoJSON whose features carry the region code in
/// `code_property`. Regions must already exist.
pub async fn import_region_outlines(hub: &Hub, geojson: &str, code_property: &str) -> Result<usize, ServiceError> {
    let features = parse_features(geojson).map_err(|error| ServiceError::invalid("geojson", error.to_string()))?;
    let mut outlines = Vec::new();
    for (index, feature) in features.iter().enumerate() {
        let code = property_text(&feature.properties, &[code_property])
            .ok_or_else(|| ServiceError::invalid("geojson", format!("feature {index} has no `{code_property}` property")))?;
        if hub.db.region(&code).await?.is_some() {
            outlines.push((code, multipolygon_to_geometry(&feature.geometry).to_string()));
        }
    }
    for (code, geometry) in &outlines {
        hub.db.upsert_region_outline(code, geometry).await?;
    }
    hub.reload_caches().await?;
    Ok(outlines.len())
}

fn property_text(properties: &serde_json::Map<String, serde_json::Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| match properties.get(*name) {
        Some(serde_json::Value::String(text)) if !text.trim().is_empty() => Some(text.trim().to_string()),
        Some(serde_json::Value::Number(number)) => Some(number.to_string()),
        _ => None,
    })
}

/// Imports grids from a GeoJSON FeatureCollection. Each feature needs `id` and
/// `region_code` (a village or community) properties, and may have `name` and
/// `parent_id`. Everything is checked before anything is written.
pub async fn import_grids(hub: &Hub, geojson: &str) -> Result<usize, ServiceError> {
    let features = parse_features(geojson).map_err(|error| ServiceError::invalid("geojson", error.to_string()))?;
    let mut records = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for (index, feature) in features.iter().enumerate() {
        let id = property_text(&feature.properties, &["id", "grid_id"])
            .ok_or_else(|| ServiceError::invalid("geojson", format!("feature {index} has no `id` property")))?;
        if id.len() > 64 || !id.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_') {
            return Err(ServiceError::invalid(
                "geojson",
                format!("feature {index}: grid id `{id}` must be up to 64 letters, digits, - or _"),
            ));
        }
        if !ids.insert(id.clone()) {
            return Err(ServiceError::invalid("geojson", format!("feature {index}: grid id `{id}` appears twice")));
        }
        let region_code = property_text(&feature.properties, &["region_code", "village_code"])
            .ok_or_else(|| ServiceError::invalid("geojson", format!("feature {index} ({id}) has no `region_code` property")))?;
        if RegionLevel::from_code(&region_code) != Some(RegionLevel::Village) || hub.db.region(&region_code).await?.is_none() {
            return Err(ServiceError::invalid(
                "geojson",
                format!("feature {index} ({id}): region_code `{region_code}` must be a known village or community (12 digits)"),
            ));
        }
        let name = property_text(&feature.properties, &["name"]).unwrap_or_else(|| id.clone());
        let parent_id = property_text(&feature.properties, &["parent_id"]);
        if let Some(problem) = crate::domain::geo::geojson::grid_shape_problem(&feature.geometry) {
            return Err(ServiceError::invalid("geojson", format!("feature {index} ({id}): {problem}")));
        }
        if parent_id.as_deref() == Some(id.as_str()) {
            return Err(ServiceError::invalid("geojson", format!("feature {index} ({id}): a grid cannot be its own parent")));
        }
        records.push(GridRecord {
            id,
            name,
            region_code,
            parent_id,
            geometry_json: multipolygon_to_geometry(&feature.geometry).to_string(),
        });
    }
    for record in &records {
        if let Some(parent) = &record.parent_id {
            let known = ids.contains(parent) || hub.db.grid(parent).await?.is_some();
            if !known {
                return Err(ServiceError::invalid("geojson", format!("grid {}: parent_id `{parent}` is not a grid", record.id)));
            }
        }
    }
    let count = hub.db.upsert_grids(&records, hub.clock.now_ms()).await?;
    hub.reload_caches().await?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_layout_parses() {
        let extract = "code,name,parent,level\n51,四川省,,province\n511824,石棉县,5118,county\n";
        let regions = parse_regions_csv(extract.as_bytes()).unwrap();
        assert_eq!(regions[1].parent_code.as_deref(), Some("5118"));
        let villages = "code,name,streetCode,provinceCode,cityCode,areaCode\n110101001001,\"多福巷社区居委会\",110101001,11,1101,110101\n";
        let regions = parse_regions_csv(villages.as_bytes()).unwrap();
        assert_eq!(regions[0].parent_code.as_deref(), Some("110101001"));
        assert_eq!(regions[0].level, RegionLevel::Village);
        let provinces = "code,name\n11,\"北京市\"\n";
        assert_eq!(parse_regions_csv(provinces.as_bytes()).unwrap()[0].parent_code, None);
    }

    #[test]
    fn bad_rows_are_all_reported_with_their_lines() {
        let text = "code,name,parent,level\n51,四川省,,province\n5118x,雅安,51,city\n511824,石棉县,52,county\n511824002,,511824,township\n";
        let problems = parse_regions_csv(text.as_bytes()).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|problem| problem.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
    }
}
