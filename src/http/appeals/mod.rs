//! The appeal resource, one file per action.

pub mod act;
pub mod create;
pub mod export;
pub mod get;
pub mod list;
pub mod meetings;
