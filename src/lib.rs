//! Minqing (民情枢纽): the appeal hub for party-led grassroots governance in Chinese counties.
//!
//! See ARCHITECTURE.md for the map. In short: `domain` is the pure core, `storage` holds
//! every SQL statement, `service` composes them into use cases, `http` serves them, and
//! `cli` is the `minqing` binary's command line.

pub mod bench;
pub mod cli;
pub mod demo;
pub mod domain;
pub mod http;
pub mod service;
pub mod storage;
pub mod web;
