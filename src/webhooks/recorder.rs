//! Group commit for attempt results. Each finished attempt hands its record to one recorder
//! task and waits; the recorder writes everything that queued up while its previous write ran
//! in one call ([`Store::record_webhook_attempts`]), so that on SQLite, whose single writer
//! syncs once per commit, a busy endpoint's results do not cost one commit each (measured:
//! one endpoint's deliveries were held below 150/s by it, `bench/fairness.sh`).
//!
//! Invariant: an attempt's caller hears back only after its record is durable (or the write
//! failed, in which case the delivery's lease runs out and it is attempted again: at least
//! once). The task ends when the last handle is dropped and its queue is drained.
//!
//! [`Store::record_webhook_attempts`]: crate::store::Store::record_webhook_attempts

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::{AttemptRecord, EndpointHealth};
use crate::store::{DynStore, StoreError};

/// Most records written in one call.
const MAX_BATCH: usize = 128;

/// What recording one attempt answers: the endpoint's health and whether it is enabled, or
/// `None` when the delivery no longer exists.
pub type Recorded = Option<(EndpointHealth, bool)>;

struct Job {
    record: AttemptRecord,
    reply: oneshot::Sender<Result<Recorded, Arc<StoreError>>>,
}

#[derive(Clone)]
pub struct AttemptRecorder {
    queue: mpsc::Sender<Job>,
}

impl AttemptRecorder {
    /// Starts the recorder task (in the current runtime).
    pub fn start(store: DynStore) -> AttemptRecorder {
        let (queue, jobs) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(store, jobs));
        AttemptRecorder { queue }
    }

    pub async fn record(&self, record: AttemptRecord) -> Result<Recorded, Arc<StoreError>> {
        let (reply, answer) = oneshot::channel();
        let stopped = || {
            Arc::new(StoreError::Invalid(
                "the attempt recorder has stopped".into(),
            ))
        };
        self.queue
            .send(Job { record, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(store: DynStore, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (records, replies): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|job| (job.record, job.reply)).unzip();
        match store.record_webhook_attempts(&records).await {
            Ok(answers) => {
                for (reply, answer) in replies.into_iter().zip(answers) {
                    let _ = reply.send(Ok(answer));
                }
            }
            Err(error) => {
                let error = Arc::new(error);
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}
