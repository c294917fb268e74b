//! Relay connections over the catalogue's keyset-paginated lists.

use async_graphql::{
    Context, ErrorExtensions, Lookahead, Object, Result,
    connection::{Connection, Edge, EmptyFields},
};
use futures_util::future::BoxFuture;
use sea_orm::EntityTrait;

use super::RequestLoader;
use crate::{
    catalog::pagination::{
        CursorKey, DEFAULT_PAGE_SIZE, FlagsAsked, Listing, MAX_PAGE_SIZE, Page, PageRequest,
    },
    error::AppResult,
};

/// A page of `N` with `edges`, `nodes`, `pageInfo` and `totalCount`.
pub type ListConnection<N> = Connection<String, N, TotalCount, EmptyFields>;

/// The `totalCount` of a connection, counted only when a client asks for it.
pub struct TotalCount {
    count: Counting,
}

/// Reads a count through the request's loader.
type LoadedCount = dyn for<'l> Fn(&'l RequestLoader) -> BoxFuture<'l, Result<u64>> + Send + Sync;

enum Counting {
    /// Counts the listing's rows.
    Listing(Box<dyn Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync>),
    /// A count the request's loader reads, batched with the same count of
    /// sibling lists or shared with another field asking the same figure.
    Loaded(Box<LoadedCount>),
}

impl TotalCount {
    /// A count read through the request's loader (see [`Counting::Loaded`]).
    pub fn loaded(
        count: impl for<'l> Fn(&'l RequestLoader) -> BoxFuture<'l, Result<u64>> + Send + Sync + 'static,
    ) -> Self {
        Self {
            count: Counting::Loaded(Box::new(count)),
        }
    }
}

#[Object]
impl TotalCount {
    /// Number of items in the whole list, across all pages, filters applied.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        match &self.count {
            Counting::Listing(count) => count().await.map_err(|err| err.extend()),
            Counting::Loaded(count) => count(super::loader(ctx)?).await,
        }
    }
}

/// What a connection field may cost in the complexity budget: its page size
/// times what each item costs.
pub fn page_cost(first: Option<i32>, last: Option<i32>) -> usize {
    let size = first
        .or(last)
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .min(MAX_PAGE_SIZE);
    usize::try_from(size).unwrap_or(usize::MAX).max(1)
}

/// What a plain list field (milestones, policy areas…) may cost: such lists
/// are short, but not free.
pub const SHORT_LIST_COST: usize = 10;

/// Loads, for a whole list of rows, what the query selects below its items
/// (see `prefetch`).
pub type Prefetch<M> =
    for<'a> fn(&'a RequestLoader, Vec<M>, Lookahead<'a>) -> BoxFuture<'a, Result<()>>;

/// A list whose items have nothing to prefetch.
pub fn no_prefetch<'a, M>(
    _: &'a RequestLoader,
    _: Vec<M>,
    _: Lookahead<'a>,
) -> BoxFuture<'a, Result<()>> {
    Box::pin(async { Ok(()) })
}

/// The page-info flags the selection of the connection field being
/// resolved asks for.
pub fn flags_asked(ctx: &Context<'_>) -> FlagsAsked {
    let page_info = ctx.look_ahead().field("pageInfo");
    FlagsAsked {
        has_previous_page: page_info.field("hasPreviousPage").exists(),
        has_next_page: page_info.field("hasNextPage").exists(),
    }
}

/// Reads the page `request` asks for from `listing`, prefetches what the
/// query selects below its items, and wraps each row.
///
/// The work runs in a heap allocation of its own (see [`ConnectionFuture`]).
pub fn connection<'a, E, N, K>(
    ctx: &'a Context<'_>,
    listing: Listing<E, K>,
    request: PageRequest,
    prefetch: Prefetch<E::Model>,
    wrap: fn(E::Model) -> N,
) -> ConnectionFuture<'a, N>
where
    E: EntityTrait,
    E::Model: Sync + Clone + entity::by_position::ByPosition,
    N: async_graphql::OutputType + 'a,
    K: CursorKey + Send + Sync + 'static,
{
    Box::pin(async move {
        let db = super::db(ctx)?;
        let page = listing
            .page(db, (&request, flags_asked(ctx)))
            .await
            .map_err(|err| err.extend())?;
        connection_of_page(ctx, listing, page, prefetch, wrap).await
    })
}

/// A connection being read, on the heap. async-graphql resolves each field of
/// an object in a boxed future as large as the object's largest field: a
/// connection read inline (3-4 KB of listing and database-driver state) made
/// every field of every feedback item and milestone in a list allocate and
/// copy that much, even `id`. Boxed, such a field holds a pointer.
pub type ConnectionFuture<'a, N> = BoxFuture<'a, Result<ListConnection<N>>>;

/// The connection of a `page` of `listing` read already (e.g. batched with
/// the pages of sibling lists), on the heap as [`connection`]'s.
pub fn connection_of_page<'a, E, N, K>(
    ctx: &'a Context<'_>,
    listing: Listing<E, K>,
    page: Page<E::Model>,
    prefetch: Prefetch<E::Model>,
    wrap: fn(E::Model) -> N,
) -> ConnectionFuture<'a, N>
where
    E: EntityTrait,
    E::Model: Sync + Clone + entity::by_position::ByPosition,
    N: async_graphql::OutputType + 'a,
    K: CursorKey + Send + Sync + 'static,
{
    Box::pin(async move {
        let db = super::db(ctx)?.clone();
        let loader = super::loader(ctx)?;
        let look = ctx.look_ahead();
        // Rows are copied for the selections that are there (usually `nodes` or
        // `edges`, seldom both): a page of comments was copied three times.
        let mut asked: Vec<Lookahead<'_>> = super::prefetch::connection_items(&look)
            .into_iter()
            .filter(Lookahead::exists)
            .collect();
        if let Some(last) = asked.pop() {
            let rows: Vec<E::Model> = page.items.iter().map(|(_, row)| row.clone()).collect();
            for items in asked {
                prefetch(loader, rows.clone(), items).await?;
            }
            prefetch(loader, rows, last).await?;
        }
        let total = TotalCount {
            count: Counting::Listing(Box::new(move || {
                let listing = listing.clone();
                let db = db.clone();
                Box::pin(async move { listing.count(&db).await })
            })),
        };
        let mut connection =
            Connection::with_additional_fields(page.has_previous_page, page.has_next_page, total);
        connection.edges.extend(
            page.items
                .into_iter()
                .map(|(cursor, row)| Edge::new(cursor, wrap(row))),
        );
        Ok(connection)
    })
}
