//! ogp-pulse: a GraphQL service for Open Government Partnership national
//! action plans. `main.rs` parses the command line and calls [`commands::run`];
//! tests build the same application through [`app`].

pub mod accountability;
pub mod app;
pub mod audit;
pub mod awareness;
pub mod campaigns;
pub mod catalog;
pub mod clock;
pub mod commands;
pub mod config;
pub mod db;
pub mod digests;
pub mod editing;
pub mod error;
pub mod exports;
pub mod feedback;
pub mod graphql;
pub mod http;
pub mod import;
pub mod language;
pub mod mail;
pub mod metrics;
pub mod persisted_queries;
pub mod ratelimit;
pub mod response_cache;
pub mod shared;
pub mod staff;
