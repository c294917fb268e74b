//! Warms the request's data loader for a whole list before its items resolve.
//!
//! A data loader batches the keys that arrive within a short delay; under
//! load, or with a few hundred resolvers in flight, keys of one list can miss
//! that window and cost extra statements. A list resolver knows every item up
//! front, so it loads each relation the query selects below it for all items
//! at once, level by level, and the items then find their rows in the
//! request's cache. The statement count of a response thus depends on the
//! shape of the query only, never on page sizes or timing.

use std::collections::BTreeSet;

use async_graphql::{Lookahead, Result};
use entity::{action_plan, commitment, country, focal_point, institution, milestone};
use futures_util::future::BoxFuture;

use super::{RequestLoader, loaders::*};

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
        if any(&look, COMMITMENT_TEXTS) {
            loader
                .load_many(ids.iter().copied().map(CommitmentTranslations))
                .await?;
        }
        let lead = look.field("leadInstitution");
        if lead.exists() {
            let lead_ids = distinct(rows.iter().filter_map(|row| row.lead_institution_id));
            let found = loader
                .load_many(lead_ids.into_iter().map(InstitutionById))
                .await?;
            institutions(loader, found.into_values().collect(), lead).await?;
        }
        let support = look.field("supportInstitutions");
        if support.exists() {
            let found = loader
                .load_many(ids.iter().copied().map(SupportInstitutionsOfCommitment))
                .await?;
            institutions(loader, found.into_values().flatten().collect(), support).await?;
        }
        if look.field("policyAreas").exists() {
            loader
                .load_many(ids.iter().copied().map(PolicyAreasOfCommitment))
                .await?;
        }
        let milestone_look = look.field("milestones");
        if milestone_look.exists() {
            let found = loader
                .load_many(ids.iter().copied().map(MilestonesOfCommitment))
                .await?;
            milestones(
                loader,
                found.into_values().flatten().collect(),
                milestone_look,
            )
            .await?;
        }
        let focal = look.field("focalPoints");
        if focal.exists() {
            let found = loader
                .load_many(ids.iter().copied().map(FocalPointsOfCommitment))
                .await?;
            focal_points(loader, found.into_values().flatten().collect(), focal).await?;
        }
        let related = look.field("relatedCommitments");
        if related.exists() {
            let found = loader
                .load_many(ids.iter().copied().map(RelatedCommitmentsOf))
                .await?;
            commitments(loader, found.into_values().flatten().collect(), related).await?;
        }
        let plan = look.field("actionPlan");
        if plan.exists() {
            let plan_ids = distinct(rows.iter().map(|row| row.action_plan_id));
            let found = loader
                .load_many(plan_ids.into_iter().map(ActionPlanById))
                .await?;
            action_plans(loader, found.into_values().collect(), plan).await?;
        }
        // The first page of comments of every commitment, per shape asked
        // (aliases may ask several).
        for field in look.field("feedback").selection_fields() {
            if let Some(shape) = super::feedback::first_page_shape(&field) {
                loader
                    .load_many(ids.iter().map(|&commitment_id| FirstFeedbackPage {
                        commitment_id,
                        ..shape.clone()
                    }))
                    .await?;
            }
        }
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
            loader
                .load_many(ids.into_iter().map(InstitutionTranslations))
                .await?;
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
        if any(&look, &["title", "language", "translations"]) {
            let ids = distinct(rows.iter().map(|row| row.id));
            loader
                .load_many(ids.into_iter().map(MilestoneTranslations))
                .await?;
        }
        let parent = look.field("commitment");
        if parent.exists() {
            let ids = distinct(rows.iter().map(|row| row.commitment_id));
            let found = loader
                .load_many(ids.into_iter().map(CommitmentById))
                .await?;
            commitments(loader, found.into_values().collect(), parent).await?;
        }
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
        let found = loader
            .load_many(ids.into_iter().map(CommitmentsOfFocalPoint))
            .await?;
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
        if any(&look, &["title", "language", "translations"]) {
            let ids = distinct(rows.iter().map(|row| row.id));
            loader
                .load_many(ids.into_iter().map(ActionPlanTranslations))
                .await?;
        }
        let country_look = look.field("country");
        if country_look.exists() {
            let ids = distinct(rows.iter().map(|row| row.country_id));
            let found = loader.load_many(ids.into_iter().map(CountryById)).await?;
            countries(loader, found.into_values().collect(), country_look).await?;
        }
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
        let found = loader
            .load_many(ids.into_iter().map(ActionPlansOfCountry))
            .await?;
        action_plans(loader, found.into_values().flatten().collect(), plans).await
    })
}
