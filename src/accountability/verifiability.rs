//! What the IRM needs to find a commitment verifiable: an expected output,
//! a due date, someone responsible and a means of verification, for the
//! commitment and each of its milestones. Flagged here so that a plan can be
//! fixed before the IRM rates it "not verifiable".

use std::collections::HashMap;

use entity::{commitment, commitment_translation, milestone, milestone_translation};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::{catalog::lookups, error::AppResult};

/// Something missing, in the order issues are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Problem {
    MissingExpectedOutput,
    MissingDueDate,
    MissingResponsibleInstitution,
    MissingMeansOfVerification,
    NoMilestones,
}

impl Problem {
    /// A sentence for people, naming what to add.
    pub fn message(self, milestone_position: Option<i32>) -> String {
        let subject = match milestone_position {
            Some(position) => format!("Milestone {position}"),
            None => "The commitment".to_owned(),
        };
        match self {
            Self::MissingExpectedOutput if milestone_position.is_some() => {
                format!("{subject} does not state its expected output.")
            }
            Self::MissingExpectedOutput => {
                format!("{subject} does not say what it is (\"What is the commitment?\").")
            }
            Self::MissingDueDate => format!("{subject} has no end date."),
            Self::MissingResponsibleInstitution => {
                format!("{subject} has no responsible institution.")
            }
            Self::MissingMeansOfVerification => {
                format!("{subject} does not say how its delivery can be verified.")
            }
            Self::NoMilestones => format!("{subject} has no milestones."),
        }
    }
}

/// One problem, of the commitment itself or of one of its milestones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    pub problem: Problem,
    pub milestone: Option<milestone::Model>,
}

impl Issue {
    pub fn message(&self) -> String {
        self.problem
            .message(self.milestone.as_ref().map(|m| m.position))
    }
}

fn has_text<T>(translations: &[T], text: impl Fn(&T) -> Option<&str>) -> bool {
    translations
        .iter()
        .any(|t| text(t).is_some_and(|value| !value.trim().is_empty()))
}

/// The problems of one milestone of a commitment led by `lead` (or not).
pub fn milestone_problems(
    row: &milestone::Model,
    translations: &[milestone_translation::Model],
    commitment_lead: Option<i64>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !has_text(translations, |t| t.expected_output.as_deref()) {
        problems.push(Problem::MissingExpectedOutput);
    }
    if row.end_date.is_none() {
        problems.push(Problem::MissingDueDate);
    }
    if row.responsible_institution_id.or(commitment_lead).is_none() {
        problems.push(Problem::MissingResponsibleInstitution);
    }
    if !has_text(translations, |t| t.means_of_verification.as_deref()) {
        problems.push(Problem::MissingMeansOfVerification);
    }
    problems
}

/// The problems of a commitment: its own first, then its milestones' in
/// their published order.
pub fn commitment_issues(
    row: &commitment::Model,
    translations: &[commitment_translation::Model],
    milestones: &[milestone::Model],
    milestone_translations: &HashMap<i64, Vec<milestone_translation::Model>>,
) -> Vec<Issue> {
    let mut own = Vec::new();
    if !has_text(translations, |t| t.description.as_deref()) {
        own.push(Problem::MissingExpectedOutput);
    }
    if row.period_end.is_none() {
        own.push(Problem::MissingDueDate);
    }
    if row.lead_institution_id.is_none() {
        own.push(Problem::MissingResponsibleInstitution);
    }
    if milestones.is_empty() {
        own.push(Problem::NoMilestones);
    }
    let mut issues: Vec<Issue> = own
        .into_iter()
        .map(|problem| Issue {
            problem,
            milestone: None,
        })
        .collect();
    let mut ordered: Vec<&milestone::Model> = milestones.iter().collect();
    ordered.sort_by_key(|m| m.position);
    for milestone in ordered {
        let texts = milestone_translations
            .get(&milestone.id)
            .map_or(&[][..], Vec::as_slice);
        for problem in milestone_problems(milestone, texts, row.lead_institution_id) {
            issues.push(Issue {
                problem,
                milestone: Some(milestone.clone()),
            });
        }
    }
    issues
}

/// The issues of one commitment, read from the database (for reports and
/// exports; the API reads the same rows through its loaders).
pub async fn of_commitment<C: ConnectionTrait>(
    db: &C,
    row: &commitment::Model,
) -> AppResult<Vec<Issue>> {
    let translations = commitment_translation::Entity::find()
        .filter(commitment_translation::Column::CommitmentId.eq(row.id))
        .all(db)
        .await?;
    let milestones = lookups::milestones_of(db, &[row.id])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let ids: Vec<i64> = milestones.iter().map(|m| m.id).collect();
    let milestone_translations = lookups::grouped::<milestone_translation::Entity, _>(
        db,
        milestone_translation::Column::MilestoneId,
        &ids,
        |t| t.milestone_id,
    )
    .await?;
    Ok(commitment_issues(
        row,
        &translations,
        &milestones,
        &milestone_translations,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milestone(id: i64, position: i32, end: Option<&str>) -> milestone::Model {
        milestone::Model {
            id,
            commitment_id: 1,
            position,
            start_date: None,
            end_date: end.map(str::to_owned),
            status: None,
            responsible_institution_id: None,
        }
    }

    #[test]
    fn a_bare_milestone_of_a_commitment_without_lead_misses_everything() {
        let problems = milestone_problems(&milestone(1, 1, None), &[], None);
        assert_eq!(
            problems,
            vec![
                Problem::MissingExpectedOutput,
                Problem::MissingDueDate,
                Problem::MissingResponsibleInstitution,
                Problem::MissingMeansOfVerification,
            ]
        );
        let led = milestone_problems(&milestone(1, 1, Some("2020-06")), &[], Some(7));
        assert_eq!(
            led,
            vec![
                Problem::MissingExpectedOutput,
                Problem::MissingMeansOfVerification
            ]
        );
        assert_eq!(
            Problem::MissingDueDate.message(Some(2)),
            "Milestone 2 has no end date."
        );
    }
}
