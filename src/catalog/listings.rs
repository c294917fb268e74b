//! The catalogue's other lists, each ordered by a unique, human-meaningful key.

use entity::{action_plan, country, focal_point, institution, policy_area};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Query};

use super::{
    pagination::{Listing, Ordering},
    vocabulary::InstitutionKind,
};

/// Countries by ISO code.
pub fn countries() -> Listing<country::Entity> {
    Listing::new(
        country::Entity::find(),
        country::Column::IsoCode,
        |row| row.iso_code.clone(),
        Ordering::ascending("isoCode"),
    )
}

/// Action plans by key (which starts with the country and the years), of one
/// country when `country_iso_code` is given.
pub fn action_plans(country_iso_code: Option<&str>) -> Listing<action_plan::Entity> {
    let mut query = action_plan::Entity::find();
    if let Some(code) = country_iso_code {
        let country_ids = Query::select()
            .column(country::Column::Id)
            .from(country::Entity)
            .and_where(country::Column::IsoCode.eq(code.trim().to_uppercase()))
            .to_owned();
        query = query.filter(action_plan::Column::CountryId.in_subquery(country_ids));
    }
    Listing::new(
        query,
        action_plan::Column::Key,
        |row| row.key.clone(),
        Ordering::ascending("key"),
    )
}

/// Institutions by key, of one kind when `kind` is given.
pub fn institutions(kind: Option<InstitutionKind>) -> Listing<institution::Entity> {
    let mut query = institution::Entity::find();
    if let Some(kind) = kind {
        query = query.filter(institution::Column::Kind.eq(kind.as_str()));
    }
    Listing::new(
        query,
        institution::Column::Key,
        |row| row.key.clone(),
        Ordering::ascending("key"),
    )
}

/// Policy areas by name.
pub fn policy_areas() -> Listing<policy_area::Entity> {
    Listing::new(
        policy_area::Entity::find(),
        policy_area::Column::Name,
        |row| row.name.clone(),
        Ordering::ascending("name"),
    )
}

/// Focal points by key.
pub fn focal_points() -> Listing<focal_point::Entity> {
    Listing::new(
        focal_point::Entity::find(),
        focal_point::Column::Key,
        |row| row.key.clone(),
        Ordering::ascending("key"),
    )
}
