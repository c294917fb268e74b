//! Newly published feedback, announced to live subscribers. In-process for
//! one instance; the Redis step carries the same events between instances.

use entity::feedback;
use futures_util::{Stream, stream};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::catalog::vocabulary::FeedbackStatus;

/// How many events a slow subscriber may lag behind before it skips some.
const BACKLOG: usize = 1024;

pub struct FeedbackEvents {
    sender: broadcast::Sender<feedback::Model>,
}

impl Default for FeedbackEvents {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(BACKLOG);
        Self { sender }
    }
}

impl FeedbackEvents {
    /// Announces `row` if it is published; queued, hidden or rejected items
    /// are never announced.
    pub fn published(&self, row: &feedback::Model) {
        if row.status == FeedbackStatus::Published.as_str() {
            // No subscriber is not an error: nobody is listening right now.
            let _ = self.sender.send(row.clone());
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
