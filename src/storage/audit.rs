//! Audit helpers live in appeals.rs (`all_chains`).
