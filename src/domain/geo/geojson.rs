//! Minimal GeoJSON reading and writing for polygon features.
//!
//! Only what the project needs is supported: a `FeatureCollection` or a
//! single `Feature`, whose geometry is a `Polygon` or a `MultiPolygon`.
//! Every ring is checked (enough positions, finite numbers, longitude and
//! latitude in range) and closed if its last position differs from its
//! first. Errors name the feature (by its position in the file, and by its
//! `id`, `code` or `name` when it has one) and say what is wrong.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Map, Value};

/// One feature read from GeoJSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeature {
    /// The feature's `properties` object (empty when it was missing or null).
    pub properties: Map<String, Value>,
    /// The feature's geometry; a `Polygon` becomes a one-polygon
    /// `MultiPolygon`.
    pub geometry: MultiPolygon<f64>,
}

/// Why GeoJSON text could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GeoJsonError {
    /// The text is not JSON at all.
    #[error("the text is not valid JSON: {0}")]
    InvalidJson(#[from] serde_json::Error),
    /// The top-level value is not a `FeatureCollection` or a `Feature`.
    #[error("the top-level GeoJSON value must be an object with \"type\": \"FeatureCollection\" or \"Feature\", but it is {found}")]
    UnsupportedTopLevel { found: String },
    /// A `FeatureCollection` without a `features` array.
    #[error("the FeatureCollection has no \"features\" array")]
    MissingFeaturesArray,
    /// One feature is unusable.
    #[error("feature #{feature_index}{label}: {problem}", label = describe_label(feature_label))]
    InvalidFeature {
        /// The zero-based position of the feature in the `features` array
        /// (0 for a single top-level `Feature`).
        feature_index: usize,
        /// The feature's `id`, or its `code` or `name` property, when present.
        feature_label: Option<String>,
        /// What is wrong with it.
        problem: FeatureProblem,
    },
}

fn describe_label(label: &Option<String>) -> String {
    match label {
        Some(text) => format!(" ({text})"),
        None => String::new(),
    }
}

/// What is wrong with one feature.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeatureProblem {
    #[error("it is not a JSON object")]
    NotAnObject,
    #[error("its \"type\" must be \"Feature\", but it is {found}")]
    NotAFeature { found: String },
    #[error("its \"properties\" must be an object or null, but it is {found}")]
    PropertiesNotAnObject { found: String },
    #[error("it has no geometry (the \"geometry\" member is missing or null)")]
    MissingGeometry,
    #[error("its geometry type is {found}; only \"Polygon\" and \"MultiPolygon\" are supported")]
    UnsupportedGeometryType { found: String },
    #[error("at {location}: expected {expected}, but found {found}")]
    MalformedCoordinates { location: String, expected: &'static str, found: String },
    #[error("at {location}: the ring has {positions} positions after closing it, but a ring needs at least 4")]
    RingTooShort { location: String, positions: usize },
    #[error("at {location}: the coordinate {value} is not a finite number")]
    NonFiniteCoordinate { location: String, value: String },
    #[error("at {location}: the longitude {value} is outside [-180, 180] (are longitude and latitude swapped?)")]
    LongitudeOutOfRange { location: String, value: f64 },
    #[error("at {location}: the latitude {value} is outside [-90, 90] (are longitude and latitude swapped?)")]
    LatitudeOutOfRange { location: String, value: f64 },
    #[error("the geometry has no polygons")]
    EmptyGeometry,
}

/// Reads every feature of a GeoJSON `FeatureCollection` or single `Feature`.
pub fn parse_features(text: &str) -> Result<Vec<ParsedFeature>, GeoJsonError> {
    let root: Value = serde_json::from_str(text)?;
    match root.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {
            let features = root.get("features").and_then(Value::as_array).ok_or(GeoJsonError::MissingFeaturesArray)?;
            features.iter().enumerate().map(|(feature_index, value)| parse_one_feature(feature_index, value)).collect()
        }
        Some("Feature") => Ok(vec![parse_one_feature(0, &root)?]),
        _ => Err(GeoJsonError::UnsupportedTopLevel { found: describe_value(&root) }),
    }
}

/// Describes a JSON value briefly for an error message.
fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => format!("the boolean {flag}"),
        Value::Number(number) => format!("the number {number}"),
        Value::String(text) => format!("the string {text:?}"),
        Value::Array(items) => format!("an array of {} items", items.len()),
        Value::Object(members) => match members.get("type") {
            Some(Value::String(kind)) => format!("an object of type {kind:?}"),
            Some(other) => format!("an object whose \"type\" is {}", describe_value(other)),
            None => "an object without \"type\"".to_string(),
        },
    }
}

/// Picks a human-readable name for a feature: its `id`, else its `code`
/// property, else its `name` property.
fn feature_label(value: &Value) -> Option<String> {
    let text_of = |member: &Value| match member {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    };
    if let Some(id) = value.get("id").and_then(text_of) {
        return Some(format!("id {id:?}"));
    }
    let properties = value.get("properties")?;
    if let Some(code) = properties.get("code").and_then(text_of) {
        return Some(format!("code {code:?}"));
    }
    properties.get("name").and_then(text_of).map(|name| format!("name {name:?}"))
}

fn parse_one_feature(feature_index: usize, value: &Value) -> Result<ParsedFeature, GeoJsonError> {
    let fail = |problem: FeatureProblem| GeoJsonError::InvalidFeature { feature_index, feature_label: feature_label(value), problem };
    let Value::Object(members) = value else {
        return Err(fail(FeatureProblem::NotAnObject));
    };
    match members.get("type") {
        Some(Value::String(kind)) if kind == "Feature" => {}
        Some(other) => {
            return Err(fail(FeatureProblem::NotAFeature { found: describe_value(other) }));
        }
        None => {
            return Err(fail(FeatureProblem::NotAFeature { found: "missing".to_string() }));
        }
    }
    let properties = match members.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(properties)) => properties.clone(),
        Some(other) => {
            return Err(fail(FeatureProblem::PropertiesNotAnObject { found: describe_value(other) }));
        }
    };
    let geometry = match members.get("geometry") {
        None | Some(Value::Null) => return Err(fail(FeatureProblem::MissingGeometry)),
        Some(geometry) => parse_geometry(geometry).map_err(fail)?,
    };
    Ok(ParsedFeature { properties, geometry })
}

/// Reads a `Polygon` or `MultiPolygon` geometry object.
fn parse_geometry(geometry: &Value) -> Result<MultiPolygon<f64>, FeatureProblem> {
    let kind = geometry.get("type").and_then(Value::as_str);
    let coordinates = geometry.get("coordinates");
    let multi_polygon = match kind {
        Some("Polygon") => {
            let polygon = parse_polygon(coordinates, "coordinates")?;
            MultiPolygon::new(vec![polygon])
        }
        Some("MultiPolygon") => {
            let polygons = expect_array(coordinates, "coordinates", "an array of polygons")?;
            let mut parsed = Vec::with_capacity(polygons.len());
            for (polygon_index, polygon) in polygons.iter().enumerate() {
                parsed.push(parse_polygon(Some(polygon), &format!("coordinates[{polygon_index}]"))?);
            }
            MultiPolygon::new(parsed)
        }
        Some(other) => {
            return Err(FeatureProblem::UnsupportedGeometryType { found: format!("{other:?}") });
        }
        None => {
            return Err(FeatureProblem::UnsupportedGeometryType {
                found: match geometry.get("type") {
                    Some(other) => describe_value(other),
                    None => "missing".to_string(),
                },
            });
        }
    };
    if multi_polygon.0.is_empty() {
        return Err(FeatureProblem::EmptyGeometry);
    }
    Ok(multi_polygon)
}

fn expect_array<'a>(value: Option<&'a Value>, location: &str, expected: &'static str) -> Result<&'a Vec<Value>, FeatureProblem> {
    match value {
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(FeatureProblem::MalformedCoordinates { location: location.to_string(), expected, found: describe_value(other) }),
        None => Err(FeatureProblem::MalformedCoordinates { location: location.to_string(), expected, found: "nothing".to_string() }),
    }
}

/// Reads one polygon: an array of rings, the first being the exterior.
fn parse_polygon(value: Option<&Value>, location: &str) -> Result<Polygon<f64>, FeatureProblem> {
    let rings = expect_array(value, location, "an array of linear rings")?;
    if rings.is_empty() {
        return Err(FeatureProblem::MalformedCoordinates {
            location: location.to_string(),
            expected: "at least one ring (the exterior)",
            found: "an empty array".to_string(),
        });
    }
    let mut parsed = Vec::with_capacity(rings.len());
    for (ring_index, ring) in rings.iter().enumerate() {
        parsed.push(parse_ring(ring, &format!("{location}[{ring_index}]"))?);
    }
    let exterior = parsed.remove(0);
    Ok(Polygon::new(exterior, parsed))
}

/// Reads one linear ring, validating and closing it.
fn parse_ring(value: &Value, location: &str) -> Result<LineString<f64>, FeatureProblem> {
    let positions = expect_array(Some(value), location, "an array of positions")?;
    let mut coords = Vec::with_capacity(positions.len() + 1);
    for (position_index, position) in positions.iter().enumerate() {
        let position_location = format!("{location}[{position_index}]");
        let numbers = expect_array(Some(position), &position_location, "a position [longitude, latitude]")?;
        if numbers.len() < 2 {
            return Err(FeatureProblem::MalformedCoordinates {
                location: position_location,
                expected: "a position with at least 2 numbers [longitude, latitude]",
                found: format!("{} numbers", numbers.len()),
            });
        }
        let lng = read_number(&numbers[0], &position_location)?;
        let lat = read_number(&numbers[1], &position_location)?;
        if !(-180.0..=180.0).contains(&lng) {
            return Err(FeatureProblem::LongitudeOutOfRange { location: position_location, value: lng });
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(FeatureProblem::LatitudeOutOfRange { location: position_location, value: lat });
        }
        coords.push(Coord { x: lng, y: lat });
    }
    if let (Some(first), Some(last)) = (coords.first().copied(), coords.last().copied())
        && first != last
    {
        coords.push(first);
    }
    if coords.len() < 4 {
        return Err(FeatureProblem::RingTooShort { location: location.to_string(), positions: coords.len() });
    }
    Ok(LineString::new(coords))
}

fn read_number(value: &Value, location: &str) -> Result<f64, FeatureProblem> {
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(float) if float.is_finite() => Ok(float),
            _ => Err(FeatureProblem::NonFiniteCoordinate { location: location.to_string(), value: number.to_string() }),
        },
        other => {
            Err(FeatureProblem::MalformedCoordinates { location: location.to_string(), expected: "a number", found: describe_value(other) })
        }
    }
}

/// Why a grid's outline cannot be used for routing, if it cannot.
///
/// Point-in-polygon answers are only meaningful for simple polygons: a ring that crosses
/// itself (a "bow tie", easy to make when drawing by hand) has parts that are inside by one
/// rule and outside by another, and a ring with no area holds no point at all. Grids are
/// checked with this when they are imported or drawn; region outlines, which come from
/// official files and are only drawn, are not.
pub fn grid_shape_problem(geometry: &MultiPolygon<f64>) -> Option<String> {
    use geo::{Area, Validation};
    for (polygon_index, polygon) in geometry.0.iter().enumerate() {
        let location = if geometry.0.len() == 1 { String::from("the polygon") } else { format!("polygon {polygon_index}") };
        if let Some(problem) = polygon.validation_errors().into_iter().next() {
            return Some(format!("{location} is not a simple shape: {problem}"));
        }
        if polygon.unsigned_area() <= f64::EPSILON * 1e3 {
            return Some(format!("{location} has no area (all its points lie on one line)"));
        }
    }
    None
}

/// Writes a `MultiPolygon` as a GeoJSON `MultiPolygon` geometry object.
/// Rings are written closed, as geo stores them.
pub fn multipolygon_to_geometry(geometry: &MultiPolygon<f64>) -> Value {
    let ring_to_json = |ring: &LineString<f64>| -> Value {
        Value::Array(ring.coords().map(|coord| Value::Array(vec![number_value(coord.x), number_value(coord.y)])).collect())
    };
    let polygons: Vec<Value> = geometry
        .0
        .iter()
        .map(|polygon| {
            let mut rings = vec![ring_to_json(polygon.exterior())];
            rings.extend(polygon.interiors().iter().map(ring_to_json));
            Value::Array(rings)
        })
        .collect();
    let mut members = Map::new();
    members.insert("type".to_string(), Value::String("MultiPolygon".to_string()));
    members.insert("coordinates".to_string(), Value::Array(polygons));
    Value::Object(members)
}

/// Converts a coordinate to a JSON number; a non-finite value (which JSON
/// cannot hold) becomes null.
fn number_value(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// Builds a GeoJSON `Feature` with the given id, properties and geometry.
pub fn feature(id: &str, properties: Map<String, Value>, geometry: &MultiPolygon<f64>) -> Value {
    let mut members = Map::new();
    members.insert("type".to_string(), Value::String("Feature".to_string()));
    members.insert("id".to_string(), Value::String(id.to_string()));
    members.insert("properties".to_string(), Value::Object(properties));
    members.insert("geometry".to_string(), multipolygon_to_geometry(geometry));
    Value::Object(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    #[test]
    fn grid_shapes_must_be_simple_and_have_area() {
        let shape = |coordinates: &str| {
            let text = format!(r#"{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":{coordinates}}}}}"#);
            parse_features(&text).unwrap().remove(0).geometry
        };
        assert_eq!(grid_shape_problem(&shape("[[[100,30],[101,30],[101,31],[100,31],[100,30]]]")), None);
        let bow_tie = grid_shape_problem(&shape("[[[100,30],[101,31],[101,30],[100,31],[100,30]]]")).unwrap();
        assert!(bow_tie.contains("self-intersection"), "{bow_tie}");
        let flat = grid_shape_problem(&shape("[[[100,30],[101,30],[102,30],[100,30]]]")).unwrap();
        assert!(flat.contains("not a simple shape") || flat.contains("no area"), "{flat}");
    }

    const SQUARE_POLYGON: &str = r#"{"type":"Polygon","coordinates":[[[100,30],[101,30],[101,31],[100,31],[100,30]]]}"#;

    fn collection_of(geometry: &str) -> String {
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"code":"511824"}},"geometry":{geometry}}}]}}"#
        )
    }

    #[test]
    fn accepted_inputs() {
        // Each case is (description, text, expected feature count, expected
        // total ring count, expected total area in square degrees).
        let unclosed = r#"{"type":"Polygon","coordinates":[[[100,30],[101,30],[101,31],[100,31]]]}"#;
        let with_hole = r#"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]}"#;
        let multi = r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[2,0],[3,0],[3,2],[2,2],[2,0]]]]}"#;
        let with_altitude = r#"{"type":"Polygon","coordinates":[[[0,0,5],[1,0,5],[1,1,5],[0,1,5],[0,0,5]]]}"#;
        let single_feature = format!(r#"{{"type":"Feature","properties":null,"geometry":{SQUARE_POLYGON}}}"#);
        let cases: Vec<(&str, String, usize, usize, f64)> = vec![
            ("closed polygon", collection_of(SQUARE_POLYGON), 1, 1, 1.0),
            ("unclosed polygon is closed", collection_of(unclosed), 1, 1, 1.0),
            ("polygon with a hole", collection_of(with_hole), 1, 2, 15.0),
            ("multipolygon", collection_of(multi), 1, 2, 3.0),
            ("positions with altitude", collection_of(with_altitude), 1, 1, 1.0),
            ("single feature with null properties", single_feature, 1, 1, 1.0),
            ("empty collection", r#"{"type":"FeatureCollection","features":[]}"#.to_string(), 0, 0, 0.0),
        ];
        for (description, text, feature_count, ring_count, area) in cases {
            let features = parse_features(&text).unwrap_or_else(|error| panic!("{description}: {error}"));
            assert_eq!(features.len(), feature_count, "{description}");
            let rings: usize =
                features.iter().flat_map(|feature| feature.geometry.0.iter()).map(|polygon| 1 + polygon.interiors().len()).sum();
            assert_eq!(rings, ring_count, "{description}");
            let total_area: f64 = features.iter().map(|feature| feature.geometry.unsigned_area()).sum();
            assert!((total_area - area).abs() < 1e-9, "{description}: area {total_area}");
            for feature in &features {
                for polygon in &feature.geometry.0 {
                    assert!(polygon.exterior().is_closed(), "{description}");
                }
            }
        }
    }

    #[test]
    fn rejected_inputs_have_actionable_messages() {
        // Each case is (description, text, fragments the message must hold).
        let point = r#"{"type":"Point","coordinates":[100,30]}"#;
        let two_features = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{}},"geometry":{SQUARE_POLYGON}}},{{"type":"Feature","id":"g-7","properties":{{}},"geometry":{point}}}]}}"#
        );
        let cases: Vec<(&str, String, Vec<&str>)> = vec![
            ("not JSON", "{not json".to_string(), vec!["not valid JSON"]),
            ("bare geometry", SQUARE_POLYGON.to_string(), vec!["top-level", "\"Polygon\""]),
            ("no features array", r#"{"type":"FeatureCollection"}"#.to_string(), vec!["\"features\""]),
            (
                "point geometry at index 1",
                two_features,
                vec!["feature #1", "id \"g-7\"", "\"Point\"", "only \"Polygon\" and \"MultiPolygon\""],
            ),
            (
                "null geometry",
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":null}]}"#.to_string(),
                vec!["feature #0", "name \"x\"", "no geometry"],
            ),
            (
                "ring too short",
                collection_of(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#),
                vec!["feature #0", "code \"511824\"", "coordinates[0]", "at least 4"],
            ),
            (
                "latitude out of range",
                collection_of(r#"{"type":"Polygon","coordinates":[[[30,100],[31,100],[31,101],[30,100]]]}"#),
                vec!["coordinates[0][0]", "latitude 100", "swapped"],
            ),
            (
                "longitude out of range",
                collection_of(r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[181,0],[1,1],[0,0]]]]}"#),
                vec!["coordinates[1][0][1]", "longitude 181"],
            ),
            (
                "string coordinate",
                collection_of(r#"{"type":"Polygon","coordinates":[[[0,0],["1",0],[1,1],[0,0]]]}"#),
                vec!["coordinates[0][1]", "expected a number", "\"1\""],
            ),
            (
                "position with one number",
                collection_of(r#"{"type":"Polygon","coordinates":[[[0,0],[1],[1,1],[0,0]]]}"#),
                vec!["coordinates[0][1]", "at least 2 numbers"],
            ),
            ("empty multipolygon", collection_of(r#"{"type":"MultiPolygon","coordinates":[]}"#), vec!["no polygons"]),
            (
                "feature of wrong type",
                r#"{"type":"FeatureCollection","features":[{"type":"Polygon"}]}"#.to_string(),
                vec!["feature #0", "must be \"Feature\""],
            ),
        ];
        for (description, text, fragments) in cases {
            match parse_features(&text) {
                Ok(features) => panic!("{description}: expected an error, got {} features", features.len()),
                Err(error) => {
                    let message = error.to_string();
                    for fragment in fragments {
                        assert!(message.contains(fragment), "{description}: {message:?} lacks {fragment:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn written_feature_reads_back_the_same() {
        let text = collection_of(r#"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]}"#);
        let parsed = parse_features(&text).unwrap_or_else(|error| panic!("{error}"));
        let mut properties = Map::new();
        properties.insert("region_code".to_string(), Value::String("511824101001".to_string()));
        let written = feature("511824101001-01", properties.clone(), &parsed[0].geometry);
        assert_eq!(written["id"], "511824101001-01");
        assert_eq!(written["geometry"]["type"], "MultiPolygon");
        let reread = parse_features(&written.to_string()).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(reread.len(), 1);
        assert_eq!(reread[0].geometry, parsed[0].geometry);
        assert_eq!(reread[0].properties, properties);
    }
}
