//! Which areas of the data a request read and wrote, for the response
//! cache: every resolved field reports its parent type (what it read) or,
//! at the mutation root, its name (what it writes).

use std::sync::{
    Arc,
    atomic::{AtomicU8, Ordering},
};

use async_graphql::{
    ServerResult, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo},
};

use crate::response_cache::{areas_read, areas_written};

/// What one request touched, as area bits (see `response_cache`).
#[derive(Debug, Default)]
pub struct Touched {
    read: AtomicU8,
    written: AtomicU8,
}

impl Touched {
    pub fn read(&self) -> u8 {
        self.read.load(Ordering::Acquire)
    }

    pub fn written(&self) -> u8 {
        self.written.load(Ordering::Acquire)
    }
}

pub(super) struct TouchedExtension;

impl ExtensionFactory for TouchedExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TouchedRecorder)
    }
}

struct TouchedRecorder;

#[async_graphql::async_trait::async_trait]
impl Extension for TouchedRecorder {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if let Some(touched) = ctx.data_opt::<Arc<Touched>>() {
            if info.parent_type == "Mutation" {
                touched
                    .written
                    .fetch_or(areas_written(info.name), Ordering::AcqRel);
            } else if !info.is_for_introspection {
                touched
                    .read
                    .fetch_or(areas_read(info.parent_type), Ordering::AcqRel);
            }
        }
        next.run(ctx, info).await
    }
}
