//! Warms the request's data loader for a whole list before its items resolve.
//!
//! A data loader batches the keys that arrive within a short delay; under
//! load, or with a few hundred resolvers in flight, keys of one list can miss
//! that window and cost extra statements. A list resolver knows every item up
//! front, so it loads each relation the query selects below it for all items
//! at once, level by level, and the items then find their rows in the
//! request's cache. The statement count of a response thus depends on the
//! shape of the query only, never on page sizes or timing.
//!
//! A prefetch already holds its whole batch, so it reads at once rather than
//! through the loader's batching delay (a millisecond or two per level,
//! most of a small response's time), and the relations of one level are read
//! side by side: a response costs as many round trips as its query is deep.

use std::{
    collections::{BTreeSet, HashMap},
    hash::Hash,
};

use async_graphql::{Lookahead, Result, dataloader::Loader};
use entity::{action_plan, commitment, country, focal_point, institution, milestone};
use futures_util::{future::BoxFuture, try_join};

use super::{RequestLoader, loaders::*};

/// Reads `keys` now and keeps what was found in the request's cache, where
/// the items' own resolvers find it.
async fn fetch<K, V>(
    loader: &RequestLoader,
    keys: impl IntoIterator<Item = K>,
) -> Result<HashMap<K, V>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
    CatalogLoader: Loader<K, Value = V, Error = async_graphql::Error>,
{
    let keys: Vec<K> = keys.into_iter().collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let found = loader.loader().load(&keys).await?;
    loader.feed_many(found.clone()).await;
    Ok(found)
}

/// Whether any of `fields` is selected.
fn any(look: &Lookahead<'_>, fields: &[&str]) -> bool {
    fields.iter().any(|field| look.field(field).exists())
}

fn distinct(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    ids.into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The item selections of a connection: `nodes { … }` and `edges { node { … } }`.
pub fn connection_items<'a>(look: &Lookahead<'a>) -> [Lookahead<'a>; 2] {
    [look.field("nodes"), look.field("edges").field("node")]
}

const COMMITMENT_TEXTS: &[&str] = &[
    "title",
    "language",
    "fullTitle",
    "publicProblem",
    "description",
    "howItContributes",
    "ogpRelevance",
    "additionalInformation",
    "translations",
];

pub fn commitments<'a>(
    loader: &'a RequestLoader,
    rows: Vec<commitment::Model>,
    look: Lookahead<'a>,
) -> BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        if rows.is_empty() || !look.exists() {
            return Ok(());
        }
        let ids = distinct(rows.iter().map(|row| row.id));
        let ids = &ids;
        let rows = &rows;
        let look = &look;
        let texts = async {
            if any(look, COMMITMENT_TEXTS) {
                fetch(loader, ids.iter().copied().map(CommitmentTranslations)).await?;
            }
            Result::<()>::Ok(())
        };
        let lead = async {
            let lead = look.field("leadInstitution");
            if lead.exists() {
                let lead_ids = distinct(rows.iter().filter_map(|row| row.lead_institution_id));
                let found = fetch(loader, lead_ids.into_iter().map(InstitutionById)).await?;
                institutions(loader, found.into_values().collect(), lead).await?;
            }
            Result::<()>::Ok(())
        };
        let support = async {
            let support = look.field("supportInstitutions");
            if support.exists() {
                let found = fetch(
                    loader,
                    ids.iter().copied().map(SupportInstitutionsOfCommitment),
                )
                .await?;
                institutions(loader, found.into_values().flatten().collect(), support).await?;
            }
            Result::<()>::Ok(())
        };
        let areas = async {
            if look.field("policyAreas").exists() {
                fetch(loader, ids.iter().copied().map(PolicyAreasOfCommitment)).await?;
            }
            Result::<()>::Ok(())
        };
        let milestone_list = async {
            let milestone_look = look.field("milestones");
            if milestone_look.exists() {
                let found = fetch(loader, ids.iter().copied().map(MilestonesOfCommitment)).await?;
                milestones(
                    loader,
                    found.into_values().flatten().collect(),
                    milestone_look,
                )
                .await?;
            }
            Result::<()>::Ok(())
        };
        let focal = async {
            let focal = look.field("focalPoints");
            if focal.exists() {
                let found = fetch(loader, ids.iter().copied().map(FocalPointsOfCommitment)).await?;
                focal_points(loader, found.into_values().flatten().collect(), focal).await?;
            }
            Result::<()>::Ok(())
        };
        let related = async {
            let related = look.field("relatedCommitments");
            if related.exists() {
                let found = fetch(loader, ids.iter().copied().map(RelatedCommitmentsOf)).await?;
                commitments(loader, found.into_values().flatten().collect(), related).await?;
            }
            Result::<()>::Ok(())
        };
        let plan = async {
            let plan = look.field("actionPlan");
            if plan.exists() {
                let plan_ids = distinct(rows.iter().map(|row| row.action_plan_id));
                let found = fetch(loader, plan_ids.into_iter().map(ActionPlanById)).await?;
                action_plans(loader, found.into_values().collect(), plan).await?;
            }
            Result::<()>::Ok(())
        };
        // The first page of comments of every commitment, per shape asked
        // (aliases may ask several).
        let feedback = async {
            for field in look.field("feedback").selection_fields() {
                if let Some(shape) = super::feedback::first_page_shape(&field) {
                    fetch(
                        loader,
                        ids.iter().map(|&commitment_id| FirstFeedbackPage {
                            commitment_id,
                            ..shape.clone()
                        }),
                    )
                    .await?;
                }
            }
            Result::<()>::Ok(())
        };
        try_join!(
            texts,
            lead,
            support,
            areas,
            milestone_list,
            focal,
            related,
            plan,
            feedback
        )?;
        Ok(())
    })
}

pub fn institutions<'a>(
    loader: &'a RequestLoader,
    rows: Vec<institution::Model>,
    look: Lookahead<'a>,
) -> BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        if any(&look, &["name", "language", "translations"]) {
            let ids = distinct(rows.iter().map(|row| row.id));
            fetch(loader, ids.into_iter().map(InstitutionTranslations)).await?;
        }
        Ok(())
    })
}

pub fn milestones<'a>(
    loader: &'a RequestLoader,
    rows: Vec<milestone::Model>,
    look: Lookahead<'a>,
) -> BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        let (rows, look) = (&rows, &look);
        let texts = async {
            if any(look, &["title", "language", "translations"]) {
                let ids = distinct(rows.iter().map(|row| row.id));
                fetch(loader, ids.into_iter().map(MilestoneTranslations)).await?;
            }
            Result::<()>::Ok(())
        };
        let commitment = async {
            let parent = look.field("commitment");
            if parent.exists() {
                let ids = distinct(rows.iter().map(|row| row.commitment_id));
                let found = fetch(loader, ids.into_iter().map(CommitmentById)).await?;
                commitments(loader, found.into_values().collect(), parent).await?;
            }
            Result::<()>::Ok(())
        };
        try_join!(texts, commitment)?;
        Ok(())
    })
}

pub fn focal_points<'a>(
    loader: &'a RequestLoader,
    rows: Vec<focal_point::Model>,
    look: Lookahead<'a>,
) -> BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        let owned = look.field("commitments");
        if rows.is_empty() || !owned.exists() {
            return Ok(());
        }
        let ids = distinct(rows.iter().map(|row| row.id));
        let found = fetch(loader, ids.into_iter().map(CommitmentsOfFocalPoint)).await?;
        commitments(loader, found.into_values().flatten().collect(), owned).await
    })
}

pub fn action_plans<'a>(
    loader: &'a RequestLoader,
    rows: Vec<action_plan::Model>,
    look: Lookahead<'a>,
) -> BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        let (rows, look) = (&rows, &look);
        let texts = async {
            if any(look, &["title", "language", "translations"]) {
                let ids = distinct(rows.iter().map(|row| row.id));
                fetch(loader, ids.into_iter().map(ActionPlanTranslations)).await?;
            }
            Result::<()>::Ok(())
        };
        let country = async {
            let country_look = look.field("country");
            if country_look.exists() {
                let ids = distinct(rows.iter().map(|row| row.country_id));
                let found = fetch(loader, ids.into_iter().map(CountryById)).await?;
                countries(loader, found.into_values().collect(), country_look).await?;
            }
            Result::<()>::Ok(())
        };
        try_join!(texts, country)?;
        Ok(())
    })
}

pub fn countries<'a>(
    loader: &'a RequestLoader,
    rows: Vec<country::Model>,
    look: Lookahead<'a>,
) -> BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        let plans = look.field("actionPlans");
        if rows.is_empty() || !plans.exists() {
            return Ok(());
        }
        let ids = distinct(rows.iter().map(|row| row.id));
        let found = fetch(loader, ids.into_iter().map(ActionPlansOfCountry)).await?;
        action_plans(loader, found.into_values().flatten().collect(), plans).await
    })
}
