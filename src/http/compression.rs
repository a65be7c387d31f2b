//! Compression of responses (gzip or brotli, as the client accepts), for phones on weak
//! signal: the demo county's 244 grids as GeoJSON shrink from 132 kB to 12 kB (gzip) or
//! 11 kB (brotli); the scripts and styles to about a third.
//! Images (photos) and XLSX files are compressed already and pass through as they are.

use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// The layer `http::router` wraps every response in. Level 5 keeps brotli and gzip
/// cheap on a small server while taking most of the gain of the highest levels.
pub fn layer() -> CompressionLayer<impl Predicate + Clone> {
    let predicate = DefaultPredicate::new().and(NotForContentType::const_new("application/vnd.openxmlformats"));
    CompressionLayer::new().quality(CompressionLevel::Precise(5)).compress_when(predicate)
}
