//! Checks an import file before anything is written, reporting every problem
//! at once with the record and field it concerns.

use std::collections::HashSet;

use super::{
    Problem,
    format::{
        ActionPlanRecord, CampaignRecord, CatalogFile, CommitmentRecord, FORMAT, InstitutionRecord,
        IrmRecord, MilestoneRecord, Texts,
    },
};
use crate::{
    catalog::{
        partial_date::PartialDate,
        rules,
        vocabulary::{
            ActionPlanStatus, CampaignStatus, CommitmentStatus, InstitutionKind, IrmCompletion,
            IrmEarlyResults, IrmPotentialImpact, MilestoneStatus, OgpValue,
        },
    },
    language::Language,
};

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn required(&mut self, path: &str, value: &str) {
        if value.trim().is_empty() {
            self.problem(path, "must not be empty");
        }
    }

    fn key(&mut self, path: &str, key: &str) {
        if let Err(message) = rules::key(key) {
            self.problem(path, message);
        }
    }

    fn texts(&mut self, path: &str, texts: &Texts, required: bool) {
        if required && texts.is_empty() {
            self.problem(
                path,
                "needs a text in at least one language, e.g. {\"en\": \"…\"}",
            );
        }
        for (language, text) in texts {
            if Language::parse_canonical(language).is_none() {
                self.problem(
                    format!("{path}.{language}"),
                    "is not a language code (two or three lowercase letters, e.g. \"en\", \"fr\", \"ar\")",
                );
            }
            if text.trim().is_empty() {
                self.problem(format!("{path}.{language}"), "must not be empty");
            }
        }
    }

    fn date(&mut self, path: &str, date: Option<&str>) -> Option<PartialDate> {
        let date = date?;
        match PartialDate::parse(date) {
            Ok(date) => Some(date),
            Err(message) => {
                self.problem(path, message);
                None
            }
        }
    }

    fn period(&mut self, path: &str, start: Option<&str>, end: Option<&str>) {
        let start = self.date(&format!("{path}.startDate"), start);
        let end = self.date(&format!("{path}.endDate"), end);
        if let Err(message) = rules::period(start.as_ref(), end.as_ref()) {
            self.problem(format!("{path}.endDate"), message);
        }
    }

    fn vocabulary(
        &mut self,
        path: &str,
        value: Option<&str>,
        valid: impl Fn(&str) -> bool,
        expected: String,
    ) {
        if let Some(value) = value {
            if !valid(value) {
                self.problem(path, format!("{value:?} is not one of {expected}"));
            }
        }
    }

    fn unique(&mut self, seen: &mut HashSet<String>, path: &str, what: &str, value: &str) {
        if !seen.insert(value.to_owned()) {
            self.problem(path, format!("{what} {value:?} appears more than once"));
        }
    }
}

/// Returns every problem of the file; an empty list means it can be applied.
pub fn validate(file: &CatalogFile) -> Vec<Problem> {
    let mut check = Checker::default();
    if file.format != FORMAT {
        check.problem(
            "format",
            format!(
                "{:?} is not a known format (expected {FORMAT:?})",
                file.format
            ),
        );
    }

    let mut seen = HashSet::new();
    for country in &file.countries {
        let path = format!("countries[{}]", country.iso_code);
        let valid_code =
            country.iso_code.len() == 2 && country.iso_code.bytes().all(|b| b.is_ascii_uppercase());
        if !valid_code {
            check.problem(
                format!("{path}.isoCode"),
                "must be an ISO 3166-1 alpha-2 code such as \"MA\"",
            );
        }
        check.unique(
            &mut seen,
            &format!("{path}.isoCode"),
            "country",
            &country.iso_code,
        );
        check.required(&format!("{path}.name"), &country.name);
    }

    let mut seen = HashSet::new();
    for institution in &file.institutions {
        check_institution(&mut check, &mut seen, institution);
    }

    let mut seen = HashSet::new();
    for area in &file.policy_areas {
        let path = format!("policyAreas[{}]", area.name);
        check.required(&format!("{path}.name"), &area.name);
        check.unique(
            &mut seen,
            &format!("{path}.name"),
            "policy area",
            &area.name.to_lowercase(),
        );
    }

    let mut seen = HashSet::new();
    for focal_point in &file.focal_points {
        let path = format!("focalPoints[{}]", focal_point.key);
        check.key(&format!("{path}.key"), &focal_point.key);
        check.unique(
            &mut seen,
            &format!("{path}.key"),
            "focal point",
            &focal_point.key,
        );
        check.required(&format!("{path}.name"), &focal_point.name);
        if let Some(email) = &focal_point.email {
            // The message never repeats the address: it is contact data.
            if let Err(message) = rules::email(email) {
                check.problem(format!("{path}.email"), message);
            }
        }
    }

    let mut plans = HashSet::new();
    let mut codes = HashSet::new();
    for plan in &file.action_plans {
        check_action_plan(&mut check, &mut plans, &mut codes, plan);
    }

    let mut seen = HashSet::new();
    for campaign in &file.campaigns {
        check_campaign(&mut check, &mut seen, campaign);
    }
    check.problems
}

fn check_campaign(check: &mut Checker, seen: &mut HashSet<String>, campaign: &CampaignRecord) {
    let path = format!("campaigns[{}]", campaign.key);
    check.key(&format!("{path}.key"), &campaign.key);
    check.unique(seen, &format!("{path}.key"), "campaign", &campaign.key);
    if let Err(message) = rules::text(&campaign.title, crate::campaigns::writing::MAX_TITLE_CHARS) {
        check.problem(format!("{path}.title"), message);
    }
    check.period(
        &path,
        campaign.start_date.as_deref(),
        campaign.end_date.as_deref(),
    );
    check.vocabulary(
        &format!("{path}.status"),
        Some(&campaign.status),
        |v| CampaignStatus::parse(v).is_some(),
        CampaignStatus::expected(),
    );
    for language in &campaign.languages {
        if Language::parse_canonical(language).is_none() {
            check.problem(
                format!("{path}.languages"),
                format!("{language:?} is not a language code (e.g. \"ar\", \"fr\")"),
            );
        }
    }
    if campaign.commitments.is_empty() {
        check.problem(
            format!("{path}.commitments"),
            "a campaign supports at least one commitment",
        );
    }
    for milestone in &campaign.milestones {
        if !campaign.commitments.contains(&milestone.commitment) {
            check.problem(
                format!("{path}.milestones"),
                format!(
                    "{:?} is not one of the campaign's commitments",
                    milestone.commitment
                ),
            );
        }
    }
}

fn check_institution(
    check: &mut Checker,
    seen: &mut HashSet<String>,
    institution: &InstitutionRecord,
) {
    let path = format!("institutions[{}]", institution.key);
    check.key(&format!("{path}.key"), &institution.key);
    check.unique(
        seen,
        &format!("{path}.key"),
        "institution",
        &institution.key,
    );
    check.vocabulary(
        &format!("{path}.kind"),
        Some(&institution.kind),
        |v| InstitutionKind::parse(v).is_some(),
        InstitutionKind::expected(),
    );
    check.texts(&format!("{path}.name"), &institution.name, true);
}

fn check_action_plan(
    check: &mut Checker,
    plans: &mut HashSet<String>,
    codes: &mut HashSet<String>,
    plan: &ActionPlanRecord,
) {
    let path = format!("actionPlans[{}]", plan.key);
    check.key(&format!("{path}.key"), &plan.key);
    check.unique(plans, &format!("{path}.key"), "action plan", &plan.key);
    check.required(&format!("{path}.country"), &plan.country);
    if !(2000..=2100).contains(&plan.cycle_year) {
        check.problem(
            format!("{path}.cycleYear"),
            format!("{} is not an OGP cycle year", plan.cycle_year),
        );
    }
    check.texts(&format!("{path}.title"), &plan.title, true);
    check.period(&path, plan.start_date.as_deref(), plan.end_date.as_deref());
    check.vocabulary(
        &format!("{path}.status"),
        plan.status.as_deref(),
        |v| ActionPlanStatus::parse(v).is_some(),
        ActionPlanStatus::expected(),
    );
    for commitment in &plan.commitments {
        check_commitment(check, codes, &path, commitment);
    }
}

fn check_commitment(
    check: &mut Checker,
    codes: &mut HashSet<String>,
    plan_path: &str,
    commitment: &CommitmentRecord,
) {
    let path = format!("{plan_path}.commitments[{}]", commitment.code);
    if let Err(message) = rules::commitment_code(&commitment.code) {
        check.problem(format!("{path}.code"), message);
    }
    check.unique(
        codes,
        &format!("{path}.code"),
        "commitment",
        &commitment.code,
    );
    check.vocabulary(
        &format!("{path}.status"),
        Some(&commitment.status),
        |v| CommitmentStatus::parse(v).is_some(),
        CommitmentStatus::expected(),
    );
    check.texts(&format!("{path}.title"), &commitment.title, true);
    let optional_texts = [
        ("fullTitle", &commitment.full_title),
        ("publicProblem", &commitment.public_problem),
        ("description", &commitment.description),
        ("howItContributes", &commitment.how_it_contributes),
        ("ogpRelevance", &commitment.ogp_relevance),
        ("additionalInformation", &commitment.additional_information),
    ];
    for (field, texts) in optional_texts {
        check.texts(&format!("{path}.{field}"), texts, false);
        for language in texts.keys() {
            if !commitment.title.contains_key(language) {
                check.problem(
                    format!("{path}.title"),
                    format!("has no {language:?} text although {field} has one"),
                );
            }
        }
    }
    check.period(
        &path,
        commitment.start_date.as_deref(),
        commitment.end_date.as_deref(),
    );
    if commitment.related_commitments.contains(&commitment.code) {
        check.problem(
            format!("{path}.relatedCommitments"),
            "a commitment cannot be related to itself",
        );
    }
    check_irm(check, &format!("{path}.irm"), &commitment.irm);
    for (index, milestone) in commitment.milestones.iter().enumerate() {
        check_milestone(
            check,
            &format!("{path}.milestones[{}]", index + 1),
            milestone,
        );
    }
}

fn check_irm(check: &mut Checker, path: &str, irm: &IrmRecord) {
    if let Some(report) = &irm.report {
        check.required(&format!("{path}.report"), report);
    }
    check.vocabulary(
        &format!("{path}.earlyResults"),
        irm.early_results.as_deref(),
        |v| IrmEarlyResults::parse(v).is_some(),
        IrmEarlyResults::expected(),
    );
    check.vocabulary(
        &format!("{path}.potentialImpact"),
        irm.potential_impact.as_deref(),
        |v| IrmPotentialImpact::parse(v).is_some(),
        IrmPotentialImpact::expected(),
    );
    check.vocabulary(
        &format!("{path}.completion"),
        irm.completion.as_deref(),
        |v| IrmCompletion::parse(v).is_some(),
        IrmCompletion::expected(),
    );
    for value in irm.relevant_to_ogp_values.iter().flatten() {
        check.vocabulary(
            &format!("{path}.relevantToOgpValues"),
            Some(value),
            |v| OgpValue::parse(v).is_some(),
            OgpValue::expected(),
        );
    }
}

fn check_milestone(check: &mut Checker, path: &str, milestone: &MilestoneRecord) {
    check.texts(&format!("{path}.title"), &milestone.title, true);
    for (field, texts) in [
        ("expectedOutput", &milestone.expected_output),
        ("meansOfVerification", &milestone.means_of_verification),
    ] {
        check.texts(&format!("{path}.{field}"), texts, false);
        for language in texts.keys() {
            if !milestone.title.contains_key(language) {
                check.problem(
                    format!("{path}.{field}.{language}"),
                    "needs a title in the same language",
                );
            }
        }
    }
    check.period(
        path,
        milestone.start_date.as_deref(),
        milestone.end_date.as_deref(),
    );
    check.vocabulary(
        &format!("{path}.status"),
        milestone.status.as_deref(),
        |v| MilestoneStatus::parse(v).is_some(),
        MilestoneStatus::expected(),
    );
}
