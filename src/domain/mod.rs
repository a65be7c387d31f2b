//! The pure core of Minqing: rules and calculations with no IO and no clock.
//!
//! Everything here takes its inputs as arguments (including "now") and returns values.
//! Storage, HTTP and jobs sit around it.

#[macro_use]
pub mod text_enum;

pub mod access;
pub mod appeal;
pub mod attachment;
pub mod calendar;
pub mod classify;
pub mod contact;
pub mod deadline;
pub mod deadline_policy;
pub mod duplicates;
pub mod escalation;
pub mod geo;
pub mod history;
pub mod hotspot;
pub mod import;
pub mod metrics;
pub mod open311;
pub mod ownership;
pub mod points;
pub mod programme;
pub mod redaction;
pub mod region;
pub mod taxonomy;
pub mod triage;
pub mod workflow;
