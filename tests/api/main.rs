//! Integration tests through HTTP, each on its own fresh database: a SQLite
//! file, and a PostgreSQL schema when `TEST_DATABASE_URL` is set (in CI it
//! must be). One test binary, so the suite links once.

#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a failed expectation is a failed test"
)]

mod process;
mod support;

mod accountability;
mod accountability_loop;
mod awareness;
mod campaigns;
mod catalog;
mod cli;
mod credentials;
mod digest_cli;
mod digests;
mod editing;
mod exports;
mod feedback;
mod filters;
mod http;
mod import;
mod languages;
mod limits;
mod live;
mod mail;
mod metrics_cli;
mod migrations;
mod nodes;
mod pagination;
mod persisted_queries;
mod reads;
mod report;
mod response_cache;
mod schema;
mod search;
mod shared;
mod staff;
mod statements;
mod tally;
