//! The ledger of reasoned responses: how many proposals citizens made, how
//! many were answered, what was decided on each, and how long answers took.
//! A proposal is a published top-level comment of a citizen (replies are
//! conversation, as in the feedback summary); its decision is the one of its
//! newest official response, so "under consideration" can later become
//! "adopted".

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{commitment, feedback};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, sea_query::Query,
};

use crate::{
    catalog::vocabulary::ResponseDecision,
    error::AppResult,
    feedback::read::{answered, official, published},
};

/// Whose proposals a ledger counts.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    Commitment(i64),
    ActionPlan(i64),
}

/// A ledger's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Ledger {
    pub received: u64,
    pub answered: u64,
    /// Every decision, in the vocabulary's order, zero counts included.
    pub decisions: Vec<(ResponseDecision, u64)>,
    /// Median days from a proposal to its first official response.
    pub median_days_to_answer: Option<f64>,
}

impl Ledger {
    pub fn awaiting_response(&self) -> u64 {
        self.received.saturating_sub(self.answered)
    }
}

/// One answered proposal: when it came, when it was first answered, and
/// the decision and rationale of its newest response.
#[derive(Clone, Debug)]
pub struct Answer {
    pub proposal_id: i64,
    pub commitment_id: i64,
    pub proposed_at: DateTime<Utc>,
    pub first_answered_at: DateTime<Utc>,
    pub decision: ResponseDecision,
    pub rationale: Option<String>,
    /// The newest response's id.
    pub response_id: i64,
}

fn in_scope(query: Select<feedback::Entity>, scope: Scope) -> Select<feedback::Entity> {
    match scope {
        Scope::Commitment(id) => query.filter(feedback::Column::CommitmentId.eq(id)),
        Scope::ActionPlan(id) => query.filter(
            feedback::Column::CommitmentId.in_subquery(
                Query::select()
                    .column(commitment::Column::Id)
                    .from(commitment::Entity)
                    .and_where(commitment::Column::ActionPlanId.eq(id))
                    .to_owned(),
            ),
        ),
    }
}

/// Citizens' proposals in `scope`.
fn proposals(scope: Scope) -> Select<feedback::Entity> {
    in_scope(published(), scope)
        .filter(feedback::Column::ParentId.is_null())
        .filter(official(false))
}

/// The decision a response records; responses given before decisions
/// existed count as under consideration.
pub fn decision_of(response: &feedback::Model) -> ResponseDecision {
    response
        .response_decision
        .as_deref()
        .and_then(ResponseDecision::parse)
        .unwrap_or(ResponseDecision::UnderConsideration)
}

/// Answered proposals read at a time.
const BATCH: u64 = 1_000;

/// Every answered proposal of `scope`, oldest first.
pub async fn answers<C: ConnectionTrait>(db: &C, scope: Scope) -> AppResult<Vec<Answer>> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let batch = answered_after(db, scope, after, BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(all);
        };
        after = last.proposal_id;
        all.extend(batch);
    }
}

/// Up to `limit` answered proposals of `scope` after the proposal id
/// `after`, oldest first: for exports, which write them batch by batch.
pub async fn answered_after<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    after: i64,
    limit: u64,
) -> AppResult<Vec<Answer>> {
    let proposals: Vec<(i64, i64, DateTime<Utc>)> = proposals(scope)
        .filter(answered())
        .filter(feedback::Column::Id.gt(after))
        .select_only()
        .column(feedback::Column::Id)
        .column(feedback::Column::CommitmentId)
        .column(feedback::Column::CreatedAt)
        .order_by_asc(feedback::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if proposals.is_empty() {
        return Ok(Vec::new());
    }
    let responses = feedback::Entity::find()
        .filter(official(true))
        .filter(feedback::Column::ParentId.is_in(proposals.iter().map(|(id, _, _)| *id)))
        .all(db)
        .await?;
    // Per proposal: the first response (for the time to answer) and the
    // newest (for the decision).
    let mut by_proposal: HashMap<i64, (feedback::Model, feedback::Model)> = HashMap::new();
    for response in responses {
        let Some(parent) = response.parent_id else {
            continue;
        };
        let key = |row: &feedback::Model| (row.created_at, row.id);
        by_proposal
            .entry(parent)
            .and_modify(|(first, newest)| {
                if key(&response) < key(first) {
                    *first = response.clone();
                }
                if key(&response) > key(newest) {
                    *newest = response.clone();
                }
            })
            .or_insert_with(|| (response.clone(), response));
    }
    Ok(proposals
        .into_iter()
        .filter_map(|(id, commitment_id, proposed_at)| {
            let (first, newest) = by_proposal.remove(&id)?;
            Some(Answer {
                proposal_id: id,
                commitment_id,
                proposed_at,
                first_answered_at: first.created_at,
                decision: decision_of(&newest),
                rationale: newest.response_rationale,
                response_id: newest.id,
            })
        })
        .collect())
}

/// The ledger of `scope`.
pub async fn ledger<C: ConnectionTrait>(db: &C, scope: Scope) -> AppResult<Ledger> {
    let received = async { Ok::<_, crate::error::AppError>(proposals(scope).count(db).await?) };
    let (received, answers) = futures_util::try_join!(received, answers(db, scope))?;
    Ok(tally(received, &answers))
}

/// The figures of `answers` among `received` proposals.
pub fn tally(received: u64, answers: &[Answer]) -> Ledger {
    let decisions = ResponseDecision::ALL
        .iter()
        .map(|decision| {
            let count = answers.iter().filter(|a| a.decision == *decision).count();
            (*decision, count as u64)
        })
        .collect();
    let mut days: Vec<f64> = answers
        .iter()
        .map(|a| (a.first_answered_at - a.proposed_at).num_seconds().max(0) as f64 / 86_400.0)
        .collect();
    days.sort_by(f64::total_cmp);
    let median = match days.len() {
        0 => None,
        n if n % 2 == 1 => Some(days[n / 2]),
        n => Some((days[n / 2 - 1] + days[n / 2]) / 2.0),
    };
    Ledger {
        received,
        answered: answers.len() as u64,
        decisions,
        // Hundredths of a day (about a quarter of an hour) are precise enough.
        median_days_to_answer: median.map(|d| (d * 100.0).round() / 100.0),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn answer(id: i64, days: i64, decision: ResponseDecision) -> Answer {
        let proposed_at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        Answer {
            proposal_id: id,
            commitment_id: 1,
            proposed_at,
            first_answered_at: proposed_at + Duration::days(days),
            decision,
            rationale: None,
            response_id: id + 100,
        }
    }

    #[test]
    fn the_ledger_counts_every_decision_and_the_median_wait() {
        let answers = [
            answer(1, 2, ResponseDecision::Adopted),
            answer(2, 4, ResponseDecision::Adopted),
            answer(3, 10, ResponseDecision::NotAdopted),
        ];
        let ledger = tally(5, &answers);
        assert_eq!(ledger.answered, 3);
        assert_eq!(ledger.awaiting_response(), 2);
        assert_eq!(ledger.median_days_to_answer, Some(4.0));
        assert_eq!(ledger.decisions.len(), 5);
        assert_eq!(ledger.decisions[0], (ResponseDecision::Adopted, 2));
        assert_eq!(ledger.decisions[2], (ResponseDecision::NotAdopted, 1));
        assert_eq!(tally(4, &answers[..2]).median_days_to_answer, Some(3.0));
        assert_eq!(tally(0, &[]).median_days_to_answer, None);
    }
}
