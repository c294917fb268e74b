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
use entity::{
    action_plan, action_plan_translation, commitment, commitment_translation, country, focal_point,
    institution, institution_translation, milestone, milestone_translation, policy_area,
};
use futures_util::{future::BoxFuture, try_join};

use super::{RequestLoader, feedback::SharedCount, loaders::*};
use crate::{
    catalog::{
        links::{CommitmentLinks, LinkedLists},
        lookups::{CommitmentInstitutions, Translated},
    },
    feedback::read::{CommentCounts, counts_from_tally},
};

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
    let found = read(loader, keys).await?;
    loader.feed_many(found.clone()).await;
    Ok(found)
}

/// Reads `keys` now, without keeping them: for keys that read two things
/// at once, which the caller keeps under their own keys.
async fn read<K, V>(
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
    loader.loader().load(&keys).await
}

/// Keeps rows read with their translations under the keys the resolvers
/// ask: `row_key` for the row, `texts_key` for its translations.
async fn keep_translated<K, R, T, RowKey, TextsKey>(
    loader: &RequestLoader,
    found: impl IntoIterator<Item = (K, Translated<R, T>)>,
    row_key: impl Fn(&K) -> RowKey,
    texts_key: impl Fn(&K) -> TextsKey,
) -> Vec<R>
where
    R: Send + Sync + Clone + 'static,
    T: Send + Sync + Clone + 'static,
    RowKey: Send + Sync + Hash + Eq + Clone + 'static,
    TextsKey: Send + Sync + Hash + Eq + Clone + 'static,
    CatalogLoader: Loader<RowKey, Value = R, Error = async_graphql::Error>
        + Loader<TextsKey, Value = Texts<T>, Error = async_graphql::Error>,
{
    let mut rows = Vec::new();
    let mut texts = Vec::new();
    for (key, (row, translations)) in found {
        rows.push((row_key(&key), row));
        texts.push((texts_key(&key), Texts::from(translations)));
    }
    loader.feed_many(texts).await;
    loader.feed_many(rows.clone()).await;
    rows.into_iter().map(|(_, row)| row).collect()
}

/// Institutions `ids` and their names, in one statement.
async fn translated_institutions(loader: &RequestLoader, ids: Vec<i64>) -> Result<()> {
    let found = read(loader, distinct(ids).into_iter().map(TranslatedInstitution)).await?;
    keep_translated(
        loader,
        found,
        |key| InstitutionById(key.0),
        |key| InstitutionTranslations(key.0),
    )
    .await;
    Ok(())
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

/// The fields of an institution read from its translations.
const INSTITUTION_TEXTS: &[&str] = &["name", "language", "translations"];
/// The fields of a milestone read from its translations.
const MILESTONE_TEXTS: &[&str] = &["title", "language", "translations"];
/// The fields of an action plan read from its translations.
const ACTION_PLAN_TEXTS: &[&str] = &["title", "language", "translations"];

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
    below_commitments(loader, rows, look, true)
}

/// [`commitments`], for rows read with their texts already.
pub async fn translated_commitments(
    loader: &RequestLoader,
    translated: Vec<Translated<commitment::Model, commitment_translation::Model>>,
    look: Lookahead<'_>,
) -> Result<()> {
    let rows = keep_translated_commitments(loader, translated).await;
    below_commitments(loader, rows, look, false).await
}

/// Keeps commitments read with their texts where their resolvers look for
/// them; the rows, in the order given.
pub async fn keep_translated_commitments(
    loader: &RequestLoader,
    translated: impl IntoIterator<Item = Translated<commitment::Model, commitment_translation::Model>>,
) -> Vec<commitment::Model> {
    keep_translated(
        loader,
        translated.into_iter().map(|found| (found.0.id, found)),
        |&id| CommitmentById(id),
        |&id| CommitmentTranslations(id),
    )
    .await
}

/// [`commitments`], for rows whose texts are kept already (see
/// [`keep_translated_commitments`]).
pub fn commitments_with_texts<'a>(
    loader: &'a RequestLoader,
    rows: Vec<commitment::Model>,
    look: Lookahead<'a>,
) -> BoxFuture<'a, Result<()>> {
    below_commitments(loader, rows, look, false)
}

/// Whether `look`, a commitment's selection, asks for any of its texts.
pub fn asks_commitment_texts(look: &Lookahead<'_>) -> bool {
    any(look, COMMITMENT_TEXTS)
}

/// What the query selects below commitments `rows`; their texts only when
/// `read_texts`.
fn below_commitments<'a>(
    loader: &'a RequestLoader,
    rows: Vec<commitment::Model>,
    look: Lookahead<'a>,
    read_texts: bool,
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
            if read_texts && any(look, COMMITMENT_TEXTS) {
                fetch(loader, ids.iter().copied().map(CommitmentTranslations)).await?;
            }
            Result::<()>::Ok(())
        };
        // Several of what a commitment links to: one statement (see
        // `links`); the parts below then read nothing of their own. The
        // feedback figures the query shows (see `SharedCount`) come from
        // the comment tally, read there too.
        let mut wanted = wanted_links(look);
        wanted.comment_counts = !shared_counts(loader, look).is_empty();
        let together = wanted.count() > 1;
        // The lead institutions, or the supporting ones (both are read
        // together), with their names.
        let institutions = async {
            if together {
                return Ok(());
            }
            let support = look.field("supportInstitutions");
            let lead = look.field("leadInstitution");
            let mut with_names = Vec::new();
            if support.exists() {
                let found = fetch(
                    loader,
                    ids.iter().copied().map(SupportInstitutionsOfCommitment),
                )
                .await?;
                if any(&support, INSTITUTION_TEXTS) {
                    with_names.extend(found.values().flatten().map(|row| row.id));
                }
            }
            if lead.exists() {
                with_names.extend(rows.iter().filter_map(|row| row.lead_institution_id));
            }
            translated_institutions(loader, with_names).await
        };
        let milestone_list = async {
            let milestone_look = look.field("milestones");
            if milestone_look.exists() && !together {
                let found = if any(&milestone_look, MILESTONE_TEXTS) {
                    translated_milestones(loader, ids).await?
                } else {
                    fetch(loader, ids.iter().copied().map(MilestonesOfCommitment))
                        .await?
                        .into_values()
                        .flatten()
                        .collect()
                };
                milestone_parents(loader, found, &milestone_look).await?;
            }
            Result::<()>::Ok(())
        };
        let links = async {
            if together {
                links_together(loader, ids, wanted, look).await
            } else {
                links_apart(loader, ids, wanted, look).await
            }
        };
        let plan = async {
            let plan = look.field("actionPlan");
            if plan.exists() && !together {
                let plan_ids = distinct(rows.iter().map(|row| row.action_plan_id));
                if any(&plan, ACTION_PLAN_TEXTS) && plan.field("country").exists() {
                    plans_in_countries(loader, plan_ids, &plan).await?;
                } else if any(&plan, ACTION_PLAN_TEXTS) {
                    let found =
                        read(loader, plan_ids.into_iter().map(TranslatedActionPlan)).await?;
                    let plans = keep_translated(
                        loader,
                        found,
                        |key| ActionPlanById(key.0),
                        |key| ActionPlanTranslations(key.0),
                    )
                    .await;
                    plan_countries(loader, plans, &plan).await?;
                } else {
                    let found = fetch(loader, plan_ids.into_iter().map(ActionPlanById)).await?;
                    plan_countries(loader, found.into_values().collect(), &plan).await?;
                }
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
        // The feedback figures of every commitment, where the query shows
        // them and no links are read with them: one read of the tally
        // gives both.
        let figures = async {
            if wanted.comment_counts && !together {
                comment_counts(loader, ids).await?;
            }
            Result::<()>::Ok(())
        };
        try_join!(
            texts,
            institutions,
            milestone_list,
            links,
            plan,
            feedback,
            figures
        )?;
        Ok(())
    })
}

/// What `look`, a commitment's selection, asks of what it links to.
fn wanted_links(look: &Lookahead<'_>) -> LinkedLists {
    LinkedLists {
        policy_areas: look.field("policyAreas").exists(),
        focal_points: look.field("focalPoints").exists(),
        related: look.field("relatedCommitments").exists(),
        lead_institution: look.field("leadInstitution").exists(),
        support_institutions: look.field("supportInstitutions").exists(),
        milestones: look.field("milestones").exists(),
        action_plan: look.field("actionPlan").exists(),
        comment_counts: false,
    }
}

/// The policy areas, focal points and related commitments of commitments
/// `ids` that are `wanted`, each read on its own (one at most, see
/// [`below_commitments`]; the institutions, milestones and plans read
/// apart have their own reads there), then what `look`, their selection,
/// asks below them.
async fn links_apart(
    loader: &RequestLoader,
    ids: &[i64],
    wanted: LinkedLists,
    look: &Lookahead<'_>,
) -> Result<()> {
    if wanted.policy_areas {
        fetch(loader, ids.iter().copied().map(PolicyAreasOfCommitment)).await?;
    }
    let mut focal_rows = Vec::new();
    if wanted.focal_points {
        let found = fetch(loader, ids.iter().copied().map(FocalPointsOfCommitment)).await?;
        focal_rows.extend(found.into_values().flatten());
    }
    let mut related_rows = Vec::new();
    if wanted.related {
        let found = fetch(loader, ids.iter().copied().map(RelatedCommitmentsOf)).await?;
        related_rows.extend(found.into_values().flatten());
    }
    try_join!(
        focal_points(loader, focal_rows, look.field("focalPoints")),
        commitments(loader, related_rows, look.field("relatedCommitments"))
    )?;
    Ok(())
}

/// What commitments `ids` link to that is `wanted`, in one statement, kept
/// under the keys their resolvers look for; then what `look`, their
/// selection, asks below it.
async fn links_together(
    loader: &RequestLoader,
    ids: &[i64],
    wanted: LinkedLists,
    look: &Lookahead<'_>,
) -> Result<()> {
    let keys = ids.iter().map(|&commitment_id| LinksOfCommitment {
        commitment_id,
        wanted,
    });
    let found = read(loader, keys).await?;
    let mut kept = KeptLinks::default();
    for (LinksOfCommitment { commitment_id, .. }, links) in found {
        kept.add(commitment_id, links, wanted);
    }
    let KeptLinks {
        area_lists,
        focal_lists,
        related_lists,
        supporting_lists,
        institutions,
        institution_names,
        milestone_lists,
        milestone_texts,
        plans,
        plan_titles,
        countries: country_rows,
        comment_counts,
    } = kept;
    let focal_rows = focal_lists
        .iter()
        .flat_map(|(_, rows)| rows.clone())
        .collect();
    let related_rows = related_lists
        .iter()
        .flat_map(|(_, rows)| rows.clone())
        .collect();
    let milestone_rows = milestone_lists
        .iter()
        .flat_map(|(_, rows)| rows.clone())
        .collect();
    let found_countries = country_rows.iter().map(|(_, row)| row.clone()).collect();
    loader.feed_many(area_lists).await;
    loader.feed_many(focal_lists).await;
    loader.feed_many(related_lists).await;
    loader.feed_many(institution_names).await;
    loader.feed_many(institutions).await;
    loader.feed_many(supporting_lists).await;
    loader.feed_many(milestone_texts).await;
    loader.feed_many(milestone_lists).await;
    loader.feed_many(plan_titles).await;
    loader.feed_many(country_rows).await;
    loader.feed_many(plans).await;
    feed_comment_counts(loader, comment_counts).await;
    let milestone_look = look.field("milestones");
    try_join!(
        focal_points(loader, focal_rows, look.field("focalPoints")),
        commitments(loader, related_rows, look.field("relatedCommitments")),
        milestone_parents(loader, milestone_rows, &milestone_look),
        countries(
            loader,
            found_countries,
            look.field("actionPlan").field("country")
        ),
    )?;
    Ok(())
}

/// What [`links_together`] keeps, under the keys the resolvers look for.
#[derive(Default)]
struct KeptLinks {
    area_lists: Vec<(PolicyAreasOfCommitment, Vec<policy_area::Model>)>,
    focal_lists: Vec<(FocalPointsOfCommitment, Vec<focal_point::Model>)>,
    related_lists: Vec<(RelatedCommitmentsOf, Vec<commitment::Model>)>,
    supporting_lists: Vec<(SupportInstitutionsOfCommitment, Vec<institution::Model>)>,
    institutions: Vec<(InstitutionById, institution::Model)>,
    institution_names: Vec<(
        InstitutionTranslations,
        Texts<institution_translation::Model>,
    )>,
    milestone_lists: Vec<(MilestonesOfCommitment, Vec<milestone::Model>)>,
    milestone_texts: Vec<(MilestoneTranslations, Texts<milestone_translation::Model>)>,
    plans: Vec<(ActionPlanById, action_plan::Model)>,
    plan_titles: Vec<(
        ActionPlanTranslations,
        Texts<action_plan_translation::Model>,
    )>,
    countries: Vec<(CountryById, country::Model)>,
    comment_counts: Vec<(i64, CommentCounts)>,
}

impl KeptLinks {
    /// Keeps what commitment `id` links to, each list that was `wanted`
    /// (empty or not: "none" is an answer).
    fn add(&mut self, id: i64, links: CommitmentLinks, wanted: LinkedLists) {
        if wanted.policy_areas {
            self.area_lists
                .push((PolicyAreasOfCommitment(id), links.policy_areas));
        }
        if wanted.focal_points {
            self.focal_lists
                .push((FocalPointsOfCommitment(id), links.focal_points));
        }
        if wanted.related {
            self.related_lists
                .push((RelatedCommitmentsOf(id), links.related));
        }
        if wanted.support_institutions {
            let rows = links
                .institutions
                .supporting
                .iter()
                .map(|(row, _)| row.clone())
                .collect();
            self.supporting_lists
                .push((SupportInstitutionsOfCommitment(id), rows));
        }
        let CommitmentInstitutions { lead, supporting } = links.institutions;
        for (row, names) in lead.into_iter().chain(supporting) {
            self.institution_names
                .push((InstitutionTranslations(row.id), Texts::from(names)));
            self.institutions.push((InstitutionById(row.id), row));
        }
        if wanted.milestones {
            let mut list = Vec::with_capacity(links.milestones.len());
            for (row, texts) in links.milestones {
                self.milestone_texts
                    .push((MilestoneTranslations(row.id), Texts::from(texts)));
                list.push(row);
            }
            self.milestone_lists
                .push((MilestonesOfCommitment(id), list));
        }
        if let Some((plan, country, titles)) = links.action_plan {
            self.plan_titles
                .push((ActionPlanTranslations(plan.id), Texts::from(titles)));
            self.countries.push((CountryById(country.id), country));
            self.plans.push((ActionPlanById(plan.id), plan));
        }
        if wanted.comment_counts {
            self.comment_counts
                .push((id, counts_from_tally(links.tally)));
        }
    }
}

/// The comments of commitments `ids` counted by kind and awaiting a
/// response, in one statement, kept where the figures' resolvers look.
async fn comment_counts(loader: &RequestLoader, ids: &[i64]) -> Result<()> {
    let found = read(loader, ids.iter().copied().map(CommentCountsOn)).await?;
    let found = found
        .into_iter()
        .map(|(CommentCountsOn(id), counts)| (id, counts));
    feed_comment_counts(loader, found).await;
    Ok(())
}

/// Keeps each commitment's comment counts where the figures a page shows
/// look for them: by kind, and awaiting a response.
async fn feed_comment_counts(
    loader: &RequestLoader,
    found: impl IntoIterator<Item = (i64, CommentCounts)>,
) {
    let (by_kind, awaiting): (Vec<_>, Vec<_>) = found
        .into_iter()
        .map(|(id, counts)| {
            (
                (CommentCountsByKind(id), counts.by_kind),
                (AwaitingResponseOn(id), counts.awaiting_response),
            )
        })
        .unzip();
    loader.feed_many(by_kind).await;
    loader.feed_many(awaiting).await;
}

/// The feedback figures `look`, a commitment's selection, shows: those of
/// its `feedbackSummary`, and those counting its comment lists.
fn shared_counts(loader: &RequestLoader, look: &Lookahead<'_>) -> Vec<SharedCount> {
    let mut shared = Vec::new();
    let summary = look.field("feedbackSummary");
    if any(&summary, &["total", "byKind"]) {
        shared.push(SharedCount::ByKind(None));
    }
    if summary.field("awaitingResponse").exists() {
        shared.push(SharedCount::AwaitingResponse);
    }
    let audience = loader.loader().audience();
    for field in look.field("feedback").selection_fields() {
        let counted = field
            .selection_set()
            .any(|selected| selected.name() == "totalCount");
        if !counted {
            continue;
        }
        let shape = super::feedback::first_page_shape(&field);
        if let Some(count) = shape.and_then(|shape| SharedCount::of_list(&shape.filter, audience)) {
            shared.push(count);
        }
    }
    shared
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
        if any(&look, INSTITUTION_TEXTS) {
            let ids = distinct(rows.iter().map(|row| row.id));
            fetch(loader, ids.into_iter().map(InstitutionTranslations)).await?;
        }
        Ok(())
    })
}

/// The milestones of commitments `ids` with their texts, in one statement.
async fn translated_milestones(
    loader: &RequestLoader,
    ids: &[i64],
) -> Result<Vec<milestone::Model>> {
    let found = read(loader, ids.iter().copied().map(TranslatedMilestonesOf)).await?;
    let mut lists = Vec::with_capacity(found.len());
    let mut texts = Vec::new();
    let mut all = Vec::new();
    for (TranslatedMilestonesOf(commitment_id), translated) in found {
        let mut list = Vec::with_capacity(translated.len());
        for (row, translations) in translated {
            texts.push((MilestoneTranslations(row.id), Texts::from(translations)));
            list.push(row);
        }
        all.extend(list.iter().cloned());
        lists.push((MilestonesOfCommitment(commitment_id), list));
    }
    loader.feed_many(texts).await;
    loader.feed_many(lists).await;
    Ok(all)
}

/// Action plans `ids` with their titles and countries, in one statement,
/// kept where their resolvers look for them; then what `look`, the plans'
/// selection, asks below their countries.
async fn plans_in_countries(
    loader: &RequestLoader,
    ids: Vec<i64>,
    look: &Lookahead<'_>,
) -> Result<()> {
    let found = read(loader, ids.into_iter().map(PlanInCountry)).await?;
    let mut plans = Vec::with_capacity(found.len());
    let mut titles = Vec::with_capacity(found.len());
    let mut in_countries = Vec::with_capacity(found.len());
    for (PlanInCountry(id), (row, country, translations)) in found {
        titles.push((ActionPlanTranslations(id), Texts::from(translations)));
        in_countries.push((CountryById(country.id), country));
        plans.push((ActionPlanById(id), row));
    }
    loader.feed_many(titles).await;
    loader.feed_many(in_countries.clone()).await;
    loader.feed_many(plans).await;
    let rows = in_countries
        .into_iter()
        .map(|(_, country)| country)
        .collect();
    countries(loader, rows, look.field("country")).await
}

/// What the query selects above milestones `rows`: their commitments.
async fn milestone_parents(
    loader: &RequestLoader,
    rows: Vec<milestone::Model>,
    look: &Lookahead<'_>,
) -> Result<()> {
    let parent = look.field("commitment");
    if rows.is_empty() || !parent.exists() {
        return Ok(());
    }
    let ids = distinct(rows.iter().map(|row| row.commitment_id));
    let found = fetch(loader, ids.into_iter().map(CommitmentById)).await?;
    commitments(loader, found.into_values().collect(), parent).await
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
            if any(look, ACTION_PLAN_TEXTS) {
                let ids = distinct(rows.iter().map(|row| row.id));
                fetch(loader, ids.into_iter().map(ActionPlanTranslations)).await?;
            }
            Result::<()>::Ok(())
        };
        try_join!(texts, plan_countries(loader, rows.clone(), look))?;
        Ok(())
    })
}

/// What the query selects below action plans `rows` but their texts: their
/// countries.
async fn plan_countries(
    loader: &RequestLoader,
    rows: Vec<action_plan::Model>,
    look: &Lookahead<'_>,
) -> Result<()> {
    let country_look = look.field("country");
    if rows.is_empty() || !country_look.exists() {
        return Ok(());
    }
    let ids = distinct(rows.iter().map(|row| row.country_id));
    let found = fetch(loader, ids.into_iter().map(CountryById)).await?;
    countries(loader, found.into_values().collect(), country_look).await
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
