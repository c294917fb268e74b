//! Batched, per-request look-ups: every relation the API exposes is read
//! through one of these keys, so the number of SQL statements a response needs
//! depends on its shape, not on how many rows it holds.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{ErrorExtensions, dataloader::Loader};
use entity::{
    action_plan, action_plan_translation, commitment, commitment_translation, country, feedback,
    focal_point, institution, institution_translation, milestone, milestone_translation,
    policy_area,
};

use crate::{
    accountability::updates,
    catalog::{
        links,
        lookups::{self, Translated},
        pagination::Page,
    },
    db::Reads,
    feedback::read,
};

/// Reads catalogue rows in batches for the data loader.
pub struct CatalogLoader {
    db: Reads,
    /// Whose request it serves: what feedback it may see.
    audience: read::Audience,
}

impl CatalogLoader {
    pub fn new(db: Reads) -> Self {
        Self::for_audience(db, read::Audience::Public)
    }

    pub fn for_audience(db: Reads, audience: read::Audience) -> Self {
        Self { db, audience }
    }

    /// Whose request it serves.
    pub fn audience(&self) -> read::Audience {
        self.audience
    }
}

/// Declares a key type and how a batch of such keys is answered. `$db` and
/// `$ids` name the connection and the `&[i64]` of ids inside `$load`, which
/// must evaluate to a future of `AppResult<HashMap<i64, $value>>`. List
/// look-ups answer every id (an empty list when nothing was found), so that
/// "none" is cached too instead of being asked again.
macro_rules! batch_key {
    ($(#[$doc:meta])* $key:ident => $value:ty, |$db:ident, $ids:ident| $load:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i64);

        impl Loader<$key> for CatalogLoader {
            type Value = $value;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, Self::Error> {
                let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
                let $db = &self.db;
                let $ids = ids.as_slice();
                let found = $load.await.map_err(|err| err.extend())?;
                Ok(found.into_iter().map(|(id, value)| ($key(id), value)).collect())
            }
        }
    };
}

/// A record's translations. Shared, not copied: a look-up hands out a clone
/// of what it found, and every text field of every item of a list looks its
/// record's translations up (a page of milestones copied each milestone's
/// texts in every language for each of its titles).
pub type Texts<T> = Arc<[T]>;

/// Translations read grouped by record, shared (see [`Texts`]).
async fn grouped_texts<E, C>(
    db: &C,
    owner: E::Column,
    ids: &[i64],
    owner_of: fn(&E::Model) -> i64,
) -> crate::error::AppResult<HashMap<i64, Texts<E::Model>>>
where
    E: sea_orm::EntityTrait,
    E::Model: entity::by_position::ByPosition,
    C: sea_orm::ConnectionTrait,
{
    let grouped = lookups::grouped::<E, C>(db, owner, ids, owner_of).await?;
    Ok(grouped
        .into_iter()
        .map(|(id, rows)| (id, Texts::from(rows)))
        .collect())
}

batch_key!(CommitmentById => commitment::Model, |db, ids| {
    lookups::by_id::<commitment::Entity, _>(db, commitment::Column::Id, ids, |row| row.id)
});
batch_key!(ActionPlanById => action_plan::Model, |db, ids| {
    lookups::by_id::<action_plan::Entity, _>(db, action_plan::Column::Id, ids, |row| row.id)
});
batch_key!(CountryById => country::Model, |db, ids| {
    lookups::by_id::<country::Entity, _>(db, country::Column::Id, ids, |row| row.id)
});
batch_key!(InstitutionById => institution::Model, |db, ids| {
    lookups::by_id::<institution::Entity, _>(db, institution::Column::Id, ids, |row| row.id)
});
batch_key!(PolicyAreaById => policy_area::Model, |db, ids| {
    lookups::by_id::<policy_area::Entity, _>(db, policy_area::Column::Id, ids, |row| row.id)
});
batch_key!(MilestoneById => milestone::Model, |db, ids| {
    lookups::by_id::<milestone::Entity, _>(db, milestone::Column::Id, ids, |row| row.id)
});
batch_key!(FocalPointById => focal_point::Model, |db, ids| {
    lookups::by_id::<focal_point::Entity, _>(db, focal_point::Column::Id, ids, |row| row.id)
});

batch_key!(
    /// All translations of a commitment's texts.
    CommitmentTranslations => Texts<commitment_translation::Model>, |db, ids| {
        grouped_texts::<commitment_translation::Entity, _>(
            db,
            commitment_translation::Column::CommitmentId,
            ids,
            |row| row.commitment_id,
        )
    }
);
batch_key!(ActionPlanTranslations => Texts<action_plan_translation::Model>, |db, ids| {
    grouped_texts::<action_plan_translation::Entity, _>(
        db,
        action_plan_translation::Column::ActionPlanId,
        ids,
        |row| row.action_plan_id,
    )
});
batch_key!(InstitutionTranslations => Texts<institution_translation::Model>, |db, ids| {
    grouped_texts::<institution_translation::Entity, _>(
        db,
        institution_translation::Column::InstitutionId,
        ids,
        |row| row.institution_id,
    )
});
batch_key!(MilestoneTranslations => Texts<milestone_translation::Model>, |db, ids| {
    grouped_texts::<milestone_translation::Entity, _>(
        db,
        milestone_translation::Column::MilestoneId,
        ids,
        |row| row.milestone_id,
    )
});

batch_key!(
    /// An institution with its names in every language, in one statement
    /// (prefetches split them into [`InstitutionById`] and
    /// [`InstitutionTranslations`]).
    TranslatedInstitution => Translated<institution::Model, institution_translation::Model>, |db, ids| {
        lookups::by_id_translated::<institution::Entity, institution_translation::Entity, _>(
            db,
            ids,
            (institution::Column::Id, institution_translation::Column::InstitutionId),
            |row| row.id,
        )
    }
);
batch_key!(
    /// An action plan with its titles, in one statement (see
    /// [`TranslatedInstitution`]).
    TranslatedActionPlan => Translated<action_plan::Model, action_plan_translation::Model>, |db, ids| {
        lookups::by_id_translated::<action_plan::Entity, action_plan_translation::Entity, _>(
            db,
            ids,
            (action_plan::Column::Id, action_plan_translation::Column::ActionPlanId),
            |row| row.id,
        )
    }
);
batch_key!(
    /// An action plan with its country and its titles, in one statement
    /// (see [`TranslatedInstitution`]).
    PlanInCountry => lookups::PlanInCountry, |db, ids| {
        lookups::plans_in_countries(db, ids)
    }
);
batch_key!(
    /// A commitment's milestones with their texts, in one statement (see
    /// [`TranslatedInstitution`]).
    TranslatedMilestonesOf => Vec<Translated<milestone::Model, milestone_translation::Model>>, |db, ids| {
        lookups::translated_milestones_of(db, ids)
    }
);

batch_key!(PolicyAreasOfCommitment => Vec<policy_area::Model>, |db, ids| {
    lookups::policy_areas_of(db, ids)
});
/// Several of a commitment's linked lists (policy areas, focal points,
/// related commitments) in one statement (see [`links::links_of`]); the
/// prefetch keeps each list under its own key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinksOfCommitment {
    pub commitment_id: i64,
    pub wanted: links::LinkedLists,
}

impl Loader<LinksOfCommitment> for CatalogLoader {
    type Value = links::CommitmentLinks;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[LinksOfCommitment],
    ) -> Result<HashMap<LinksOfCommitment, Self::Value>, Self::Error> {
        // A prefetch asks the same lists for all its keys: one read each.
        let mut by_lists: HashMap<links::LinkedLists, Vec<i64>> = HashMap::new();
        for key in keys {
            by_lists
                .entry(key.wanted)
                .or_default()
                .push(key.commitment_id);
        }
        let mut answered = HashMap::with_capacity(keys.len());
        for (wanted, ids) in by_lists {
            let found = links::links_of(&self.db, &ids, wanted)
                .await
                .map_err(|err| err.extend())?;
            answered.extend(found.into_iter().map(|(commitment_id, links)| {
                let key = LinksOfCommitment {
                    commitment_id,
                    wanted,
                };
                (key, links)
            }));
        }
        Ok(answered)
    }
}

batch_key!(SupportInstitutionsOfCommitment => Vec<institution::Model>, |db, ids| {
    lookups::support_institutions_of(db, ids)
});
batch_key!(FocalPointsOfCommitment => Vec<focal_point::Model>, |db, ids| {
    lookups::focal_points_of(db, ids)
});
batch_key!(RelatedCommitmentsOf => Vec<commitment::Model>, |db, ids| {
    lookups::related_commitments_of(db, ids)
});
batch_key!(MilestonesOfCommitment => Vec<milestone::Model>, |db, ids| {
    lookups::milestones_of(db, ids)
});
batch_key!(CommitmentsOfFocalPoint => Vec<commitment::Model>, |db, ids| {
    lookups::commitments_of_focal_points(db, ids)
});
batch_key!(ActionPlansOfCountry => Vec<action_plan::Model>, |db, ids| {
    lookups::action_plans_of_countries(db, ids)
});
batch_key!(
    /// Staff accounts, for showing who responded officially (only names
    /// leave the API).
    StaffAccountById => entity::staff_account::Model, |db, ids| {
        lookups::by_id::<entity::staff_account::Entity, _>(db, entity::staff_account::Column::Id, ids, |row| row.id)
    }
);
batch_key!(FeedbackById => feedback::Model, |db, ids| {
    lookups::by_id::<feedback::Entity, _>(db, feedback::Column::Id, ids, |row| row.id)
});
batch_key!(
    /// The newest official response to a piece of feedback (its decision is
    /// the one that stands).
    NewestResponseTo => feedback::Model, |db, ids| {
        read::newest_responses(db, ids)
    }
);
batch_key!(
    /// A commitment's published comments by kind (see
    /// [`read::counts_by_kind_of`]).
    CommentCountsByKind => std::collections::BTreeMap<String, u64>, |db, ids| {
        read::counts_by_kind_of(db, ids)
    }
);
batch_key!(
    /// A commitment's citizens' comments still awaiting an official response.
    AwaitingResponseOn => u64, |db, ids| {
        read::awaiting_response_of(db, ids)
    }
);
batch_key!(
    /// Both of the above in one statement, for a query showing both; kept
    /// under their own keys (see [`read::counts_of`]).
    CommentCountsOn => read::CommentCounts, |db, ids| {
        read::counts_of(db, ids)
    }
);
batch_key!(UpdateTranslations => Texts<entity::implementation_update_translation::Model>, |db, ids| {
    grouped_texts::<entity::implementation_update_translation::Entity, _>(
        db,
        entity::implementation_update_translation::Column::UpdateId,
        ids,
        |row| row.update_id,
    )
});
batch_key!(
    /// An update's evidence, in the order it was given.
    EvidenceOfUpdate => Vec<entity::evidence::Model>, |db, ids| async move {
        let mut groups = lookups::grouped::<entity::evidence::Entity, _>(
            db,
            entity::evidence::Column::UpdateId,
            ids,
            |row| row.update_id,
        )
        .await?;
        for pieces in groups.values_mut() {
            pieces.sort_by_key(|piece| piece.position);
        }
        Ok::<_, crate::error::AppError>(groups)
    }
);
batch_key!(EvidenceDocumentById => entity::evidence_document::Model, |db, ids| {
    lookups::by_id::<entity::evidence_document::Entity, _>(db, entity::evidence_document::Column::Id, ids, |row| row.id)
});
batch_key!(
    /// The newest evidence-backed update on a commitment as a whole, which
    /// sets its completion level.
    CompletionOfCommitment => entity::implementation_update::Model, |db, ids| {
        updates::newest_with_evidence(db, updates::Level::Commitments, ids)
    }
);
batch_key!(
    /// The newest evidence-backed update on a milestone.
    CompletionOfMilestone => entity::implementation_update::Model, |db, ids| {
        updates::newest_with_evidence(db, updates::Level::Milestones, ids)
    }
);
batch_key!(MeetingById => entity::meeting::Model, |db, ids| {
    lookups::by_id::<entity::meeting::Entity, _>(db, entity::meeting::Column::Id, ids, |row| row.id)
});
batch_key!(UpdateById => entity::implementation_update::Model, |db, ids| {
    lookups::by_id::<entity::implementation_update::Entity, _>(db, entity::implementation_update::Column::Id, ids, |row| row.id)
});
batch_key!(
    /// The ids of the commitments discussed at a meeting.
    CommitmentsOfMeeting => Vec<entity::meeting_commitment::Model>, |db, ids| {
        lookups::grouped::<entity::meeting_commitment::Entity, _>(
            db,
            entity::meeting_commitment::Column::MeetingId,
            ids,
            |row| row.meeting_id,
        )
    }
);

batch_key!(CampaignById => entity::campaign::Model, |db, ids| {
    lookups::by_id::<entity::campaign::Entity, _>(db, entity::campaign::Column::Id, ids, |row| row.id)
});
batch_key!(ActivityById => entity::campaign_activity::Model, |db, ids| {
    lookups::by_id::<entity::campaign_activity::Entity, _>(db, entity::campaign_activity::Column::Id, ids, |row| row.id)
});
batch_key!(MetricById => entity::awareness_metric::Model, |db, ids| {
    lookups::by_id::<entity::awareness_metric::Entity, _>(db, entity::awareness_metric::Column::Id, ids, |row| row.id)
});
batch_key!(CommitmentsOfCampaign => Vec<commitment::Model>, |db, ids| {
    lookups::commitments_of_campaigns(db, ids)
});
batch_key!(MilestonesOfCampaign => Vec<milestone::Model>, |db, ids| {
    lookups::milestones_of_campaigns(db, ids)
});
batch_key!(MetricsOfActivity => Vec<entity::awareness_metric::Model>, |db, ids| {
    lookups::metrics_of_activities(db, ids)
});

/// The first page of a commitment's comments, as one item of a list asks
/// for it: the pages of every commitment of the list, with the same
/// arguments, are read in one statement, as the request's audience sees
/// them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FirstFeedbackPage {
    pub commitment_id: i64,
    pub size: u64,
    pub filter: read::FeedbackFilter,
    pub order: read::FeedbackOrder,
}

impl Loader<FirstFeedbackPage> for CatalogLoader {
    type Value = Page<feedback::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[FirstFeedbackPage],
    ) -> Result<HashMap<FirstFeedbackPage, Self::Value>, Self::Error> {
        // Keys asking the same page of different commitments share a query.
        let mut groups: HashMap<FirstFeedbackPage, Vec<i64>> = HashMap::new();
        for key in keys {
            let shape = FirstFeedbackPage {
                commitment_id: 0,
                ..key.clone()
            };
            groups.entry(shape).or_default().push(key.commitment_id);
        }
        let mut found = HashMap::with_capacity(keys.len());
        for (shape, ids) in groups {
            let pages = read::first_pages_by_commitment(
                &self.db,
                &ids,
                shape.size,
                &shape.filter,
                shape.order,
                // The request's own: every key of this loader shares it.
                self.audience,
            )
            .await
            .map_err(|err| err.extend())?;
            for (commitment_id, page) in pages {
                let key = FirstFeedbackPage {
                    commitment_id,
                    ..shape.clone()
                };
                found.insert(key, page);
            }
        }
        Ok(found)
    }
}
