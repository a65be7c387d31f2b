//! Geometry: GeoJSON parsing, coordinate conversion and point-to-grid routing.

pub mod coords;
pub mod geojson;
pub mod routing;
