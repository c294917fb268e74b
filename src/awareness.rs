//! Is the public becoming aware? Citizens answer a one-question pulse
//! ("Did you know about this?", "Where did you hear of it?"), and the
//! figures recorded for campaign activities (`campaigns::metrics`) are
//! summed by period and channel next to those answers. Every sum and count
//! runs in the database (GROUP BY); the same data gives the same numbers on
//! SQLite and PostgreSQL.

pub mod figures;
pub mod periods;
pub mod scope;
pub mod survey;

pub use periods::Granularity;
pub use scope::Subject;
