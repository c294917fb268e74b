//! The catalogue of action plans and commitments: reads, filters and the
//! batch look-ups the API's data loaders call. Knows nothing of GraphQL.

pub mod commitments;
pub mod links;
pub mod listings;
pub mod lookups;
pub mod pagination;
pub mod partial_date;
pub mod rules;
pub mod vocabulary;
