//! Finding commitments: by code, and as filtered, ordered pages.

use entity::{
    commitment, commitment_policy_area, commitment_support_institution, commitment_translation,
    policy_area,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select,
    sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, Query},
};

use super::{
    lookups::{self, Translated},
    pagination::{Direction, FlagsAsked, Listing, Ordering, Page, PageRequest},
    vocabulary::CommitmentStatus,
};
use crate::error::{AppError, AppResult};

/// Longest search text accepted; longer input is a client bug, not a search.
pub const MAX_SEARCH_LENGTH: usize = 200;

/// Conditions a commitment must meet to be listed; all given ones apply.
#[derive(Clone, Debug, Default)]
pub struct CommitmentFilter {
    pub action_plan_id: Option<i64>,
    /// Policy area name, compared without regard to case.
    pub policy_area: Option<String>,
    /// Commitments this institution leads or supports.
    pub institution_id: Option<i64>,
    pub status: Option<CommitmentStatus>,
    /// Text in the code, a title or a description section, in any language.
    pub search: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CommitmentOrder {
    #[default]
    CodeAscending,
    CodeDescending,
}

impl CommitmentOrder {
    fn ordering(self) -> Ordering {
        match self {
            Self::CodeAscending => Ordering::ascending("code"),
            Self::CodeDescending => Ordering {
                name: "code",
                direction: Direction::Descending,
            },
        }
    }
}

pub async fn find_by_code<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> AppResult<Option<commitment::Model>> {
    Ok(commitment::Entity::find()
        .filter(commitment::Column::Code.eq(code.trim()))
        .one(db)
        .await?)
}

/// A commitment by its code with its texts in every language, in one
/// statement.
pub async fn find_translated_by_code<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> AppResult<Option<Translated<commitment::Model, commitment_translation::Model>>> {
    let mut found = lookups::translated::<commitment::Entity, commitment_translation::Entity, C>(
        db,
        commitment::Column::Code.eq(code.trim()),
        (
            commitment::Column::Id,
            commitment_translation::Column::CommitmentId,
        ),
        |row| row.id,
    )
    .await?;
    Ok(found.pop())
}

/// The page `request` asks for of `listing`, with the flags `asked`, each
/// commitment with its texts in every language, in one statement.
pub async fn translated_page<C: ConnectionTrait>(
    listing: &Listing<commitment::Entity>,
    db: &C,
    request: (&PageRequest, FlagsAsked),
) -> AppResult<Page<Translated<commitment::Model, commitment_translation::Model>>> {
    listing
        .translated_page::<commitment_translation::Entity, C>(
            db,
            request,
            (
                commitment::Column::Id,
                commitment_translation::Column::CommitmentId,
            ),
            |row| row.id,
        )
        .await
}

/// The commitments matching `filter`, in `order`, ready to be paged.
pub fn listing(
    filter: &CommitmentFilter,
    order: CommitmentOrder,
) -> AppResult<Listing<commitment::Entity>> {
    Ok(Listing::new(
        filtered(filter)?,
        commitment::Column::Code,
        |row| row.code.clone(),
        order.ordering(),
    ))
}

fn filtered(filter: &CommitmentFilter) -> AppResult<Select<commitment::Entity>> {
    let mut query = commitment::Entity::find();
    if let Some(action_plan_id) = filter.action_plan_id {
        query = query.filter(commitment::Column::ActionPlanId.eq(action_plan_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(commitment::Column::Status.eq(status.as_str()));
    }
    if let Some(name) = filter.policy_area.as_deref() {
        let in_area = Query::select()
            .column((
                commitment_policy_area::Entity,
                commitment_policy_area::Column::CommitmentId,
            ))
            .from(commitment_policy_area::Entity)
            .inner_join(
                policy_area::Entity,
                Expr::col((policy_area::Entity, policy_area::Column::Id)).equals((
                    commitment_policy_area::Entity,
                    commitment_policy_area::Column::PolicyAreaId,
                )),
            )
            .and_where(
                Expr::expr(Func::lower(Expr::col((
                    policy_area::Entity,
                    policy_area::Column::Name,
                ))))
                .eq(name.trim().to_lowercase()),
            )
            .to_owned();
        query = query.filter(commitment::Column::Id.in_subquery(in_area));
    }
    if let Some(institution_id) = filter.institution_id {
        let supported = Query::select()
            .column(commitment_support_institution::Column::CommitmentId)
            .from(commitment_support_institution::Entity)
            .and_where(commitment_support_institution::Column::InstitutionId.eq(institution_id))
            .to_owned();
        query = query.filter(
            commitment::Column::LeadInstitutionId
                .eq(institution_id)
                .or(commitment::Column::Id.in_subquery(supported)),
        );
    }
    // The separator of the search text's fields matches nothing a citizen
    // means; removed, no match can run from one field into the next.
    let search = filter
        .search
        .as_deref()
        .map(|text| text.replace(commitment::SEARCH_TEXT_SEPARATOR, ""));
    if let Some(search) = search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if search.chars().count() > MAX_SEARCH_LENGTH {
            return Err(AppError::bad_input(
                "filter.search",
                format!("at most {MAX_SEARCH_LENGTH} characters"),
            ));
        }
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        // One column of the commitment's own row, kept by the database: the
        // page checks each commitment as it walks the list in order, and
        // stops once full.
        query = query.filter(
            Expr::col((commitment::Entity, Alias::new(commitment::SEARCH_TEXT)))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    Ok(query)
}

/// Makes `%`, `_` and `\` in user text match themselves in a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(super::escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
