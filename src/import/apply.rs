//! Writes a validated catalogue file inside a transaction, touching only rows
//! whose content differs.

use std::collections::HashMap;

use entity::{
    action_plan, action_plan_translation, campaign, campaign_commitment, campaign_milestone,
    commitment, commitment_focal_point, commitment_policy_area, commitment_relation,
    commitment_support_institution, commitment_translation, country, focal_point, institution,
    institution_translation, milestone, milestone_translation, policy_area,
};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, ModelTrait, QueryFilter,
};

use super::{
    ImportError, ImportReport, Problem,
    format::{ActionPlanRecord, CampaignRecord, CatalogFile, CommitmentRecord, Texts},
};

/// Applies the file; references to records neither in the file nor in the
/// database are reported as problems (and the caller rolls back).
pub async fn apply(
    txn: &DatabaseTransaction,
    file: &CatalogFile,
) -> Result<ImportReport, ImportError> {
    let mut writer = Writer {
        txn,
        report: ImportReport::default(),
        problems: Vec::new(),
    };
    for record in &file.countries {
        let existing = country::Entity::find()
            .filter(country::Column::IsoCode.eq(&record.iso_code))
            .one(txn)
            .await?;
        let desired = country::Model {
            id: existing.as_ref().map_or(0, |row| row.id),
            iso_code: record.iso_code.clone(),
            name: record.name.trim().to_owned(),
        };
        writer
            .upsert(existing, desired, country::Column::Id)
            .await?;
    }

    for record in &file.institutions {
        let existing = institution::Entity::find()
            .filter(institution::Column::Key.eq(&record.key))
            .one(txn)
            .await?;
        let desired = institution::Model {
            id: existing.as_ref().map_or(0, |row| row.id),
            key: record.key.clone(),
            abbreviation: trimmed(record.abbreviation.as_deref()),
            kind: record.kind.clone(),
        };
        let row = writer
            .upsert(existing, desired, institution::Column::Id)
            .await?;
        let translations = record
            .name
            .iter()
            .map(|(language, name)| institution_translation::Model {
                institution_id: row.id,
                language: language.clone(),
                name: name.trim().to_owned(),
            })
            .collect();
        writer
            .sync_children(
                institution_translation::Column::InstitutionId,
                row.id,
                translations,
            )
            .await?;
    }

    for record in &file.policy_areas {
        let name = record.name.trim();
        let existing = policy_area::Entity::find()
            .filter(policy_area::Column::Name.eq(name))
            .one(txn)
            .await?;
        let desired = policy_area::Model {
            id: existing.as_ref().map_or(0, |row| row.id),
            name: name.to_owned(),
        };
        writer
            .upsert(existing, desired, policy_area::Column::Id)
            .await?;
    }

    for record in &file.focal_points {
        let existing = focal_point::Entity::find()
            .filter(focal_point::Column::Key.eq(&record.key))
            .one(txn)
            .await?;
        let desired = focal_point::Model {
            id: existing.as_ref().map_or(0, |row| row.id),
            key: record.key.clone(),
            name: record.name.trim().to_owned(),
            title: trimmed(record.title.as_deref()),
            department: trimmed(record.department.as_deref()),
            email: trimmed(record.email.as_deref()),
            phone: trimmed(record.phone.as_deref()),
        };
        writer
            .upsert(existing, desired, focal_point::Column::Id)
            .await?;
    }

    // Commitments may name related commitments that come later in the file,
    // so every commitment row exists before any link is written.
    let mut written = Vec::new();
    for plan in &file.action_plans {
        let Some(plan_id) = writer.action_plan(plan).await? else {
            continue;
        };
        for record in &plan.commitments {
            if let Some(id) = writer.commitment(plan_id, &plan.key, record).await? {
                written.push((id, plan.key.as_str(), record));
            }
        }
    }
    let codes: HashMap<String, i64> = commitment::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|row| (row.code, row.id))
        .collect();
    for (id, plan_key, record) in written {
        writer
            .commitment_links(id, plan_key, record, &codes)
            .await?;
    }

    for record in &file.campaigns {
        writer.campaign(record, &codes).await?;
    }

    if writer.problems.is_empty() {
        Ok(writer.report)
    } else {
        Err(ImportError::Invalid(writer.problems))
    }
}

fn trimmed(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn text(texts: &Texts, language: &str) -> Option<String> {
    texts.get(language).map(|t| t.trim().to_owned())
}

struct Writer<'a> {
    txn: &'a DatabaseTransaction,
    report: ImportReport,
    problems: Vec<Problem>,
}

impl Writer<'_> {
    /// Inserts `desired` (its id is ignored) or brings the existing row to it.
    async fn upsert<M, A>(
        &mut self,
        existing: Option<M>,
        desired: M,
        id: <M::Entity as EntityTrait>::Column,
    ) -> Result<M, DbErr>
    where
        M: ModelTrait + IntoActiveModel<A> + PartialEq + Clone + Send,
        A: ActiveModelTrait<Entity = M::Entity> + ActiveModelBehavior + Send,
        <M::Entity as EntityTrait>::Model: IntoActiveModel<A>,
        M::Entity: EntityTrait<Model = M>,
    {
        match existing {
            Some(current) if current == desired => Ok(current),
            Some(_) => {
                self.report.updated += 1;
                desired
                    .into_active_model()
                    .reset_all()
                    .update(self.txn)
                    .await
            }
            None => {
                self.report.inserted += 1;
                let mut row = desired.into_active_model().reset_all();
                row.not_set(id);
                row.insert(self.txn).await
            }
        }
    }

    /// Makes the rows of a child table that belong to `owner` exactly
    /// `desired`, matching rows by primary key.
    async fn sync_children<M, A>(
        &mut self,
        owner_column: <M::Entity as EntityTrait>::Column,
        owner: i64,
        desired: Vec<M>,
    ) -> Result<(), DbErr>
    where
        M: ModelTrait + IntoActiveModel<A> + PartialEq + Clone + Send,
        A: ActiveModelTrait<Entity = M::Entity> + ActiveModelBehavior + Send,
        <M::Entity as EntityTrait>::Model: IntoActiveModel<A>,
        M::Entity: EntityTrait<Model = M>,
    {
        let existing = M::Entity::find()
            .filter(owner_column.eq(owner))
            .all(self.txn)
            .await?;
        for current in &existing {
            let kept = desired
                .iter()
                .any(|row| row.get_primary_key_value() == current.get_primary_key_value());
            if !kept {
                self.report.deleted += 1;
                current.clone().delete(self.txn).await?;
            }
        }
        for row in desired {
            let current = existing
                .iter()
                .find(|current| current.get_primary_key_value() == row.get_primary_key_value());
            match current {
                Some(current) if *current == row => {}
                Some(_) => {
                    self.report.updated += 1;
                    row.into_active_model().reset_all().update(self.txn).await?;
                }
                None => {
                    self.report.inserted += 1;
                    M::Entity::insert(row.into_active_model().reset_all())
                        .exec_without_returning(self.txn)
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn action_plan(&mut self, record: &ActionPlanRecord) -> Result<Option<i64>, DbErr> {
        let path = format!("actionPlans[{}]", record.key);
        let Some(country) = country::Entity::find()
            .filter(country::Column::IsoCode.eq(&record.country))
            .one(self.txn)
            .await?
        else {
            self.problems.push(Problem {
                path: format!("{path}.country"),
                message: format!(
                    "no country {:?} in the file or the database",
                    record.country
                ),
            });
            return Ok(None);
        };
        let existing = action_plan::Entity::find()
            .filter(action_plan::Column::Key.eq(&record.key))
            .one(self.txn)
            .await?;
        let desired = action_plan::Model {
            id: existing.as_ref().map_or(0, |row| row.id),
            key: record.key.clone(),
            country_id: country.id,
            cycle_year: record.cycle_year,
            start_date: record.start_date.clone(),
            end_date: record.end_date.clone(),
            status: record.status.clone(),
            // Not part of the catalogue file: staff decide it in the service.
            moderation_mode: existing
                .as_ref()
                .map_or_else(|| "post".to_owned(), |row| row.moderation_mode.clone()),
        };
        let row = self
            .upsert(existing, desired, action_plan::Column::Id)
            .await?;
        let translations = record
            .title
            .iter()
            .map(|(language, title)| action_plan_translation::Model {
                action_plan_id: row.id,
                language: language.clone(),
                title: title.trim().to_owned(),
            })
            .collect();
        self.sync_children(
            action_plan_translation::Column::ActionPlanId,
            row.id,
            translations,
        )
        .await?;
        Ok(Some(row.id))
    }

    async fn institution_id(&mut self, path: String, key: &str) -> Result<Option<i64>, DbErr> {
        let found = institution::Entity::find()
            .filter(institution::Column::Key.eq(key))
            .one(self.txn)
            .await?;
        if found.is_none() {
            self.problems.push(Problem {
                path,
                message: format!("no institution {key:?} in the file or the database"),
            });
        }
        Ok(found.map(|row| row.id))
    }

    async fn commitment(
        &mut self,
        action_plan_id: i64,
        plan_key: &str,
        record: &CommitmentRecord,
    ) -> Result<Option<i64>, DbErr> {
        let path = format!("actionPlans[{plan_key}].commitments[{}]", record.code);
        let lead_institution_id = match &record.lead_institution {
            Some(key) => match self
                .institution_id(format!("{path}.leadInstitution"), key)
                .await?
            {
                Some(id) => Some(id),
                None => return Ok(None),
            },
            None => None,
        };
        let existing = commitment::Entity::find()
            .filter(commitment::Column::Code.eq(&record.code))
            .one(self.txn)
            .await?;
        let irm = &record.irm;
        let ogp_values = irm
            .relevant_to_ogp_values
            .as_ref()
            .map(|values| serde_json::to_string(values).unwrap_or_default());
        let desired = commitment::Model {
            id: existing.as_ref().map_or(0, |row| row.id),
            code: record.code.clone(),
            action_plan_id,
            status: record.status.clone(),
            lead_institution_id,
            period_start: record.start_date.clone(),
            period_end: record.end_date.clone(),
            irm_report: trimmed(irm.report.as_deref()),
            irm_starred: irm.starred,
            irm_early_results: irm.early_results.clone(),
            irm_verifiable: irm.verifiable,
            irm_ogp_values: ogp_values,
            irm_potential_impact: irm.potential_impact.clone(),
            irm_completion: irm.completion.clone(),
        };
        let row = self
            .upsert(existing, desired, commitment::Column::Id)
            .await?;
        let translations = record
            .title
            .iter()
            .map(|(language, title)| commitment_translation::Model {
                commitment_id: row.id,
                language: language.clone(),
                title: title.trim().to_owned(),
                full_title: text(&record.full_title, language),
                public_problem: text(&record.public_problem, language),
                description: text(&record.description, language),
                how_it_contributes: text(&record.how_it_contributes, language),
                ogp_relevance: text(&record.ogp_relevance, language),
                additional_information: text(&record.additional_information, language),
            })
            .collect();
        self.sync_children(
            commitment_translation::Column::CommitmentId,
            row.id,
            translations,
        )
        .await?;
        self.milestones(row.id, record).await?;
        Ok(Some(row.id))
    }

    async fn milestones(
        &mut self,
        commitment_id: i64,
        record: &CommitmentRecord,
    ) -> Result<(), DbErr> {
        let existing = milestone::Entity::find()
            .filter(milestone::Column::CommitmentId.eq(commitment_id))
            .all(self.txn)
            .await?;
        for current in &existing {
            if current.position < 1 || current.position as usize > record.milestones.len() {
                // Translations and campaign links first, so the report
                // counts them (the foreign keys would cascade them silently).
                self.sync_children::<milestone_translation::Model, _>(
                    milestone_translation::Column::MilestoneId,
                    current.id,
                    Vec::new(),
                )
                .await?;
                self.sync_children::<campaign_milestone::Model, _>(
                    campaign_milestone::Column::MilestoneId,
                    current.id,
                    Vec::new(),
                )
                .await?;
                self.report.deleted += 1;
                current.clone().delete(self.txn).await?;
            }
        }
        for (index, milestone_record) in record.milestones.iter().enumerate() {
            let position = i32::try_from(index + 1).unwrap_or(i32::MAX);
            let current = existing
                .iter()
                .find(|row| row.position == position)
                .cloned();
            let responsible_institution_id = match &milestone_record.responsible_institution {
                Some(key) => {
                    let path = format!(
                        "commitments[{}].milestones[{position}].responsibleInstitution",
                        record.code
                    );
                    self.institution_id(path, key).await?
                }
                None => None,
            };
            let desired = milestone::Model {
                id: current.as_ref().map_or(0, |row| row.id),
                commitment_id,
                position,
                start_date: milestone_record.start_date.clone(),
                end_date: milestone_record.end_date.clone(),
                status: milestone_record.status.clone(),
                responsible_institution_id,
            };
            let row = self.upsert(current, desired, milestone::Column::Id).await?;
            let translations = milestone_record
                .title
                .iter()
                .map(|(language, title)| milestone_translation::Model {
                    milestone_id: row.id,
                    language: language.clone(),
                    title: title.trim().to_owned(),
                    expected_output: text(&milestone_record.expected_output, language),
                    means_of_verification: text(&milestone_record.means_of_verification, language),
                })
                .collect();
            self.sync_children(
                milestone_translation::Column::MilestoneId,
                row.id,
                translations,
            )
            .await?;
        }
        Ok(())
    }

    async fn commitment_links(
        &mut self,
        commitment_id: i64,
        plan_key: &str,
        record: &CommitmentRecord,
        codes: &HashMap<String, i64>,
    ) -> Result<(), DbErr> {
        let path = format!("actionPlans[{plan_key}].commitments[{}]", record.code);

        let mut support = Vec::new();
        for key in &record.support_institutions {
            if let Some(institution_id) = self
                .institution_id(format!("{path}.supportInstitutions"), key)
                .await?
            {
                support.push(commitment_support_institution::Model {
                    commitment_id,
                    institution_id,
                });
            }
        }
        self.sync_children(
            commitment_support_institution::Column::CommitmentId,
            commitment_id,
            dedup(support),
        )
        .await?;

        let mut areas = Vec::new();
        for name in &record.policy_areas {
            let found = policy_area::Entity::find()
                .filter(policy_area::Column::Name.eq(name.trim()))
                .one(self.txn)
                .await?;
            match found {
                Some(area) => areas.push(commitment_policy_area::Model {
                    commitment_id,
                    policy_area_id: area.id,
                }),
                None => self.problems.push(Problem {
                    path: format!("{path}.policyAreas"),
                    message: format!("no policy area {name:?} in the file or the database"),
                }),
            }
        }
        self.sync_children(
            commitment_policy_area::Column::CommitmentId,
            commitment_id,
            dedup(areas),
        )
        .await?;

        let mut focal_points = Vec::new();
        for key in &record.focal_points {
            let found = focal_point::Entity::find()
                .filter(focal_point::Column::Key.eq(key))
                .one(self.txn)
                .await?;
            match found {
                Some(row) => focal_points.push(commitment_focal_point::Model {
                    commitment_id,
                    focal_point_id: row.id,
                }),
                None => self.problems.push(Problem {
                    path: format!("{path}.focalPoints"),
                    message: format!("no focal point {key:?} in the file or the database"),
                }),
            }
        }
        self.sync_children(
            commitment_focal_point::Column::CommitmentId,
            commitment_id,
            dedup(focal_points),
        )
        .await?;

        let mut related = Vec::new();
        for code in &record.related_commitments {
            match codes.get(code) {
                Some(id) => related.push(commitment_relation::Model {
                    commitment_id,
                    related_commitment_id: *id,
                }),
                None => self.problems.push(Problem {
                    path: format!("{path}.relatedCommitments"),
                    message: format!("no commitment {code:?} in the file or the database"),
                }),
            }
        }
        self.sync_children(
            commitment_relation::Column::CommitmentId,
            commitment_id,
            dedup(related),
        )
        .await
    }

    /// A campaign, matched by key; its links become exactly the file's.
    async fn campaign(
        &mut self,
        record: &CampaignRecord,
        codes: &HashMap<String, i64>,
    ) -> Result<(), DbErr> {
        let path = format!("campaigns[{}]", record.key);
        let institution_id = match &record.institution {
            Some(key) => {
                let Some(id) = self
                    .institution_id(format!("{path}.institution"), key)
                    .await?
                else {
                    return Ok(());
                };
                Some(id)
            }
            None => None,
        };
        let mut commitment_ids = Vec::new();
        for code in &record.commitments {
            match codes.get(code) {
                Some(id) => commitment_ids.push(*id),
                None => self.problems.push(Problem {
                    path: format!("{path}.commitments"),
                    message: format!("no commitment {code:?} in the file or the database"),
                }),
            }
        }
        let mut milestone_ids = Vec::new();
        for reference in &record.milestones {
            let found = match codes.get(&reference.commitment) {
                Some(commitment_id) => {
                    milestone::Entity::find()
                        .filter(milestone::Column::CommitmentId.eq(*commitment_id))
                        .filter(milestone::Column::Position.eq(reference.position))
                        .one(self.txn)
                        .await?
                }
                None => None,
            };
            match found {
                Some(row) => milestone_ids.push(row.id),
                None => self.problems.push(Problem {
                    path: format!("{path}.milestones"),
                    message: format!(
                        "{} has no milestone {}",
                        reference.commitment, reference.position
                    ),
                }),
            }
        }
        let mut languages = record.languages.clone();
        languages.sort();
        languages.dedup();
        let existing = campaign::Entity::find()
            .filter(campaign::Column::Key.eq(&record.key))
            .one(self.txn)
            .await?;
        let desired = campaign::Model {
            id: existing.as_ref().map_or(0, |row| row.id),
            key: Some(record.key.clone()),
            title: record.title.trim().to_owned(),
            objective: trimmed(record.objective.as_deref()),
            target_audience: trimmed(record.target_audience.as_deref()),
            languages: languages.join(","),
            start_date: record.start_date.clone(),
            end_date: record.end_date.clone(),
            status: record.status.clone(),
            institution_id,
            // Budgets are recorded by staff, not published in action plans.
            budget_minor: existing.as_ref().and_then(|row| row.budget_minor),
            budget_currency: existing
                .as_ref()
                .and_then(|row| row.budget_currency.clone()),
            created_at: existing
                .as_ref()
                .map_or_else(chrono::Utc::now, |row| row.created_at),
        };
        let row = self.upsert(existing, desired, campaign::Column::Id).await?;
        let commitments = dedup(
            commitment_ids
                .into_iter()
                .map(|commitment_id| campaign_commitment::Model {
                    campaign_id: row.id,
                    commitment_id,
                })
                .collect(),
        );
        self.sync_children(campaign_commitment::Column::CampaignId, row.id, commitments)
            .await?;
        let milestones = dedup(
            milestone_ids
                .into_iter()
                .map(|milestone_id| campaign_milestone::Model {
                    campaign_id: row.id,
                    milestone_id,
                })
                .collect(),
        );
        self.sync_children(campaign_milestone::Column::CampaignId, row.id, milestones)
            .await
    }
}

fn dedup<T: PartialEq>(rows: Vec<T>) -> Vec<T> {
    let mut unique: Vec<T> = Vec::with_capacity(rows.len());
    for row in rows {
        if !unique.contains(&row) {
            unique.push(row);
        }
    }
    unique
}
