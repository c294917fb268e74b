//! The generated catalogue: countries, institutions, focal points, action
//! plans with their commitments and milestones, and a campaign per plan, as
//! one `ogp-pulse/catalog-v1` file — loaded through the real import, so the
//! data passes the same validation as any government's.

use rand::Rng;
use serde_json::{Value, json};

use crate::{Scale, share, words};

/// Institutions per country.
const INSTITUTIONS: usize = 8;
/// Focal points per action plan.
const FOCAL_POINTS: usize = 3;

/// The two-letter code of the `i`-th generated country (`AA`, `AB`, …).
pub fn country_code(i: usize) -> String {
    let letter = |n: usize| char::from(b'A' + u8::try_from(n % 26).unwrap_or(0));
    format!("{}{}", letter(i / 26), letter(i))
}

/// The catalogue of `scale`, the same for the same `rng` seed.
pub fn generate(scale: &Scale, rng: &mut impl Rng) -> Value {
    let countries: Vec<Value> = (0..scale.countries)
        .map(|c| json!({ "isoCode": country_code(c), "name": format!("Republic of {}", country_code(c)) }))
        .collect();
    let institutions: Vec<Value> = (0..scale.countries)
        .flat_map(|c| {
            (0..INSTITUTIONS).map(move |k| {
                let kind = if k < 6 { "government" } else { "civil_society" };
                json!({
                    "key": institution_key(c, k),
                    "abbreviation": format!("{}I{k}", country_code(c)),
                    "kind": kind,
                    "name": {
                        "en": format!("Institution {k} of {}", country_code(c)),
                        "fr": format!("Institution {k} de {}", country_code(c)),
                    }
                })
            })
        })
        .collect();
    let policy_areas: Vec<Value> = words::POLICY_AREAS
        .iter()
        .map(|name| json!({ "name": name }))
        .collect();
    let mut focal_points = Vec::new();
    let mut plans = Vec::new();
    let mut campaigns = Vec::new();
    let mut commitment_number = 0usize;
    let mut milestone_budget = 0usize;
    for p in 0..scale.plans {
        let country = p % scale.countries.max(1);
        let cycle = p / scale.countries.max(1);
        let year = 2012 + 2 * i32::try_from(cycle % 8).unwrap_or(0);
        let code = country_code(country);
        let plan_key = format!("{}-{year}-{p}", code.to_lowercase());
        for f in 0..FOCAL_POINTS {
            focal_points.push(json!({
                "key": focal_key(p, f),
                "name": format!("Focal Point {f} of plan {p}"),
                "title": "Head of Open Government Unit",
                "email": format!("focal-{p}-{f}@gov.example"),
            }));
        }
        let count = share(scale.commitments, scale.plans, p);
        let mut commitments = Vec::with_capacity(count);
        for n in 0..count {
            commitment_number += 1;
            let milestones = share(scale.milestones, scale.commitments, commitment_number - 1);
            milestone_budget += milestones;
            commitments.push(commitment(
                rng,
                &code,
                commitment_number,
                country,
                p,
                year,
                n,
                milestones,
            ));
        }
        let first_codes: Vec<Value> = commitments
            .iter()
            .take(3)
            .map(|c| c["code"].clone())
            .collect();
        if !first_codes.is_empty() {
            campaigns.push(json!({
                "key": format!("campaign-{p}"),
                "title": format!("Awareness campaign of plan {p}"),
                "objective": "Make the public aware of the action plan",
                "startDate": format!("{year}-01"),
                "endDate": format!("{}-12", year + 1),
                "status": "running",
                "institution": institution_key(country, 0),
                "commitments": first_codes,
            }));
        }
        plans.push(json!({
            "key": plan_key,
            "country": code,
            "cycleYear": year,
            "title": {
                "en": format!("{code} Action Plan {year}-{}", year + 2),
                "fr": format!("Plan d'action {code} {year}-{}", year + 2),
            },
            "startDate": format!("{year}-09"),
            "endDate": format!("{}-08", year + 2),
            "status": "in_implementation",
            "commitments": commitments,
        }));
    }
    debug_assert_eq!(milestone_budget, scale.milestones);
    json!({
        "format": "ogp-pulse/catalog-v1",
        "source": "ogp-pulse bench-data (generated, seeded)",
        "countries": countries,
        "institutions": institutions,
        "policyAreas": policy_areas,
        "focalPoints": focal_points,
        "actionPlans": plans,
        "campaigns": campaigns,
    })
}

fn institution_key(country: usize, k: usize) -> String {
    format!("{}-inst-{k}", country_code(country).to_lowercase())
}

fn focal_key(plan: usize, f: usize) -> String {
    format!("focal-{plan}-{f}")
}

#[expect(
    clippy::too_many_arguments,
    reason = "one commitment's coordinates in the generated world"
)]
fn commitment(
    rng: &mut impl Rng,
    code: &str,
    number: usize,
    country: usize,
    plan: usize,
    year: i32,
    n: usize,
    milestones: usize,
) -> Value {
    let (title_en, title_fr) = words::title(rng);
    let areas: Vec<&str> = (0..rng.gen_range(1..=3))
        .map(|_| words::POLICY_AREAS[rng.gen_range(0..words::POLICY_AREAS.len())])
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let lead = rng.gen_range(0..INSTITUTIONS);
    let support: Vec<String> = (0..rng.gen_range(0..=2))
        .map(|k| institution_key(country, (lead + 1 + k) % INSTITUTIONS))
        .collect();
    let milestones: Vec<Value> = (0..milestones)
        .map(|m| {
            let (en, fr) = words::title(rng);
            let start_month = 1 + (m * 3) % 12;
            let start_year = year + i32::try_from(m / 4).unwrap_or(0);
            let status = ["not_started", "in_progress", "completed"][rng.gen_range(0..3)];
            json!({
                "title": { "en": en, "fr": fr },
                "startDate": format!("{start_year}-{start_month:02}"),
                "endDate": format!("{start_year}-{:02}", (start_month + 2).min(12)),
                "status": status,
            })
        })
        .collect();
    let status = ["active", "active", "active", "completed", "withdrawn"][rng.gen_range(0..5)];
    json!({
        "code": format!("{code}{number:05}"),
        "status": status,
        "title": { "en": title_en, "fr": title_fr },
        "description": { "en": format!("{title_en}, as the action plan commits to. Commitment {} of the plan.", n + 1) },
        "startDate": format!("{year}-09"),
        "endDate": format!("{}-08", year + 2),
        "leadInstitution": institution_key(country, lead),
        "supportInstitutions": support,
        "policyAreas": areas,
        "focalPoints": [focal_key(plan, n % FOCAL_POINTS)],
        "milestones": milestones,
    })
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_world_of_the_asked_size() {
        let scale = Scale::TINY;
        let one = generate(&scale, &mut ChaCha8Rng::seed_from_u64(7));
        let two = generate(&scale, &mut ChaCha8Rng::seed_from_u64(7));
        assert_eq!(one, two);
        let plans = one["actionPlans"].as_array().map(Vec::len);
        assert_eq!(plans, Some(scale.plans));
        let commitments: usize = one["actionPlans"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|plan| plan["commitments"].as_array().map(Vec::len))
            .sum();
        assert_eq!(commitments, scale.commitments);
        let other = generate(&scale, &mut ChaCha8Rng::seed_from_u64(8));
        assert_ne!(one, other);
        assert_eq!(country_code(0), "AA");
        assert_eq!(country_code(27), "BB");
    }
}
