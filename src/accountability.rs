//! The accountability loop OGP's rules ask of a government: implementation
//! updates backed by evidence, the verifiability of what a plan promises,
//! the ledger of reasoned responses to citizens, the record of dialogue
//! meetings, and the compliance clock computed from all of these. Knows
//! nothing of GraphQL.

pub mod compliance;
pub mod documents;
pub mod ledger;
pub mod meetings;
pub mod report;
pub mod updates;
pub mod verifiability;
