//! Newly published feedback, announced to live subscribers. With Redis the
//! announcement goes through pub/sub, so a subscriber on any instance hears
//! of feedback posted on any other; without it (or while Redis is down) it
//! stays in this process.
//!
//! Only the feedback's id crosses Redis; each instance reads the row from
//! the shared database, so no text or personal data is ever put in Redis.

use std::{sync::Arc, time::Duration};

use entity::feedback;
use futures_util::{Stream, StreamExt, stream};
use sea_orm::{DatabaseConnection, EntityTrait};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::{catalog::vocabulary::FeedbackStatus, shared::SharedStore};

/// How many events a slow subscriber may lag behind before it skips some.
const BACKLOG: usize = 1024;
/// Pause before listening again after the Redis subscription broke.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

pub struct FeedbackEvents {
    sender: broadcast::Sender<feedback::Model>,
    relay: Option<Arc<SharedStore>>,
}

impl Default for FeedbackEvents {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(BACKLOG);
        Self {
            sender,
            relay: None,
        }
    }
}

/// The pub/sub channel of published feedback.
pub fn channel(store: &SharedStore) -> String {
    store.key("feedback:published")
}

impl FeedbackEvents {
    /// Events shared through Redis: starts listening to the channel (and
    /// keeps listening across outages) for as long as the runtime lives.
    pub fn shared(store: Arc<SharedStore>, db: DatabaseConnection) -> Self {
        let events = Self {
            relay: Some(Arc::clone(&store)),
            ..Self::default()
        };
        tokio::spawn(listen(store, db, events.sender.clone()));
        events
    }

    /// Announces `row` if it is published; queued, hidden or rejected items
    /// are never announced.
    pub fn published(&self, row: &feedback::Model) {
        if row.status != FeedbackStatus::Published.as_str() {
            return;
        }
        match &self.relay {
            None => {
                // No subscriber is not an error: nobody is listening right now.
                let _ = self.sender.send(row.clone());
            }
            Some(store) => {
                let (store, sender, row) = (Arc::clone(store), self.sender.clone(), row.clone());
                tokio::spawn(async move {
                    let outcome: Result<i64, _> = redis::cmd("PUBLISH")
                        .arg(channel(&store))
                        .arg(row.id)
                        .query_async(&mut store.connection())
                        .await;
                    store.observe(&outcome);
                    if outcome.is_err() {
                        // Redis is down: this instance's subscribers still hear.
                        let _ = sender.send(row);
                    }
                });
            }
        }
    }

    /// Feedback published on one commitment from now on.
    pub fn on_commitment(&self, commitment_id: i64) -> impl Stream<Item = feedback::Model> + use<> {
        stream::unfold(self.sender.subscribe(), move |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(row) if row.commitment_id == commitment_id => return Some((row, receiver)),
                    Ok(_) | Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            }
        })
    }
}

/// Relays the ids published on the channel to this instance's subscribers.
async fn listen(
    store: Arc<SharedStore>,
    db: DatabaseConnection,
    sender: broadcast::Sender<feedback::Model>,
) {
    loop {
        match store.client().get_async_pubsub().await {
            Ok(mut pubsub) => {
                let subscribed = pubsub.subscribe(channel(&store)).await;
                store.observe(&subscribed);
                if subscribed.is_ok() {
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let Ok(id) = message.get_payload::<i64>() else {
                            continue;
                        };
                        match feedback::Entity::find_by_id(id).one(&db).await {
                            Ok(Some(row)) if row.status == FeedbackStatus::Published.as_str() => {
                                let _ = sender.send(row);
                            }
                            Ok(_) => {}
                            Err(err) => {
                                tracing::warn!(error = %err, "live update: cannot read published feedback");
                            }
                        }
                    }
                }
            }
            Err(err) => store.observe::<()>(&Err(err)),
        }
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}
