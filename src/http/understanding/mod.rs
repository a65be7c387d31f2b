//! Reading appeals over HTTP: search, duplicate suggestions, classifier rules and
//! previews, hot-spot warnings and 每月一题 candidates. Every answer carries its reasons.

pub mod classifier;
pub mod duplicates;
pub mod hotspots;
pub mod search;
