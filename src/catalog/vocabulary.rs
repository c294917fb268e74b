//! The closed vocabularies of the catalogue, stored as lowercase snake-case
//! text so that both databases read the same values.

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == text)
            }

            /// The accepted spellings, for error messages.
            pub fn expected() -> String {
                Self::ALL
                    .iter()
                    .map(|value| format!("\"{}\"", value.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
    };
}

vocabulary!(
    /// Where a commitment stands in its action plan.
    CommitmentStatus {
        Active => "active",
        Completed => "completed",
        Withdrawn => "withdrawn",
    }
);

vocabulary!(
    /// Where an action plan stands in the OGP cycle.
    ActionPlanStatus {
        InDevelopment => "in_development",
        InImplementation => "in_implementation",
        Completed => "completed",
    }
);

vocabulary!(
    /// How far an implementation update says a commitment or milestone has
    /// come, on the IRM completion scale.
    UpdateStatus {
        NotStarted => "not_started",
        Limited => "limited",
        Substantial => "substantial",
        Complete => "complete",
    }
);

vocabulary!(
    /// Who an implementation update comes from.
    UpdateSource {
        Government => "government",
        CivilSociety => "civil_society",
    }
);

vocabulary!(
    /// What a piece of evidence is.
    EvidenceType {
        Report => "report",
        Minutes => "minutes",
        Publication => "publication",
        Dataset => "dataset",
        Media => "media",
        Other => "other",
    }
);

vocabulary!(
    /// What became of a citizen's input, as an official response decides.
    ResponseDecision {
        Adopted => "adopted",
        PartlyAdopted => "partly_adopted",
        NotAdopted => "not_adopted",
        UnderConsideration => "under_consideration",
        OutOfScope => "out_of_scope",
    }
);

vocabulary!(
    /// The dialogue meetings OGP's co-creation standards ask for.
    MeetingKind {
        Forum => "forum",
        Implementation => "implementation",
    }
);

vocabulary!(
    /// Reported progress of a milestone.
    MilestoneStatus {
        NotStarted => "not_started",
        InProgress => "in_progress",
        Completed => "completed",
    }
);

vocabulary!(
    InstitutionKind {
        Government => "government",
        CivilSociety => "civil_society",
        Other => "other",
    }
);

vocabulary!(
    /// IRM "early results" ("Did it open government?" in older reports).
    IrmEarlyResults {
        Worsened => "worsened",
        DidNotChange => "did_not_change",
        Marginal => "marginal",
        Major => "major",
        Outstanding => "outstanding",
        NoNotableResults => "no_notable_results",
        Moderate => "moderate",
        Significant => "significant",
    }
);

vocabulary!(
    /// IRM potential impact (older reports) or potential for results (newer).
    IrmPotentialImpact {
        None => "none",
        Minor => "minor",
        Moderate => "moderate",
        Transformative => "transformative",
        Unclear => "unclear",
        Modest => "modest",
        Substantial => "substantial",
    }
);

vocabulary!(
    /// IRM completion scale.
    IrmCompletion {
        NoEvidenceAvailable => "no_evidence_available",
        NotStarted => "not_started",
        Limited => "limited",
        Substantial => "substantial",
        Complete => "complete",
    }
);

vocabulary!(
    /// The OGP values a commitment can be relevant to.
    OgpValue {
        AccessToInformation => "access_to_information",
        CivicParticipation => "civic_participation",
        PublicAccountability => "public_accountability",
        TechnologyAndInnovation => "technology_and_innovation",
    }
);

vocabulary!(
    /// What a piece of citizen feedback is.
    FeedbackKind {
        Comment => "comment",
        Question => "question",
        Suggestion => "suggestion",
        Concern => "concern",
    }
);

vocabulary!(
    /// A citizen's stance on the commitment.
    Stance {
        InFavour => "in_favour",
        Neutral => "neutral",
        Against => "against",
    }
);

vocabulary!(
    /// Where a piece of feedback stands in moderation.
    FeedbackStatus {
        Published => "published",
        Queued => "queued",
        Hidden => "hidden",
        Rejected => "rejected",
    }
);

vocabulary!(
    /// Why a visitor reports feedback.
    ReportReason {
        Spam => "spam",
        Offensive => "offensive",
        OffTopic => "off_topic",
        PersonalData => "personal_data",
    }
);

vocabulary!(
    /// How an action plan's feedback is moderated: published at once and
    /// moderated afterwards (`post`), or queued until approved (`pre`).
    ModerationMode {
        Post => "post",
        Pre => "pre",
    }
);

vocabulary!(
    /// Where a communication campaign stands.
    CampaignStatus {
        Planned => "planned",
        Running => "running",
        Completed => "completed",
    }
);

vocabulary!(
    /// How a campaign activity reaches people; also what citizens answer to
    /// "Where did you hear of it?".
    Channel {
        Press => "press",
        Television => "television",
        Radio => "radio",
        SocialMedia => "social_media",
        Website => "website",
        Newsletter => "newsletter",
        Event => "event",
        Workshop => "workshop",
        Sms => "sms",
        Outdoor => "outdoor",
        Other => "other",
    }
);

vocabulary!(
    /// What an awareness figure counts.
    MetricKind {
        Reach => "reach",
        Impressions => "impressions",
        Engagements => "engagements",
        Attendees => "attendees",
        Clicks => "clicks",
        MediaMentions => "media_mentions",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_value() {
        for value in IrmCompletion::ALL {
            assert_eq!(IrmCompletion::parse(value.as_str()), Some(*value));
        }
        assert_eq!(CommitmentStatus::parse("Active"), None);
    }
}
