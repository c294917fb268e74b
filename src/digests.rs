//! Email digests to focal points: what citizens said about the commitments
//! they are responsible for, what awaits their answer, which milestones are
//! due and how awareness moved, after the compliance alerts that are due — sent only to confirmed subscribers, at
//! their local hour, through the mail outbox. Knows nothing of GraphQL.

use crate::accountability::compliance::ComplianceRules;

pub mod content;
pub mod render;
pub mod run;
pub mod schedule;
pub mod subscriptions;

/// What composing digests needs from the configuration.
#[derive(Clone, Debug)]
pub struct DigestSettings {
    /// Base of every link in a digest (`PUBLIC_URL`).
    pub public_url: String,
    /// The thresholds of the compliance alerts digests open with.
    pub compliance: ComplianceRules,
}
