//! Group commit. Ingest handlers hand their validated events to one committer task and wait;
//! the committer takes everything queued while the previous transaction ran and writes it in
//! one transaction, so one fsync covers many requests. A handler answers 2xx only after its
//! reply arrives, that is after the transaction committed.
//!
//! The committer also assigns event ids, immediately before writing. Because one task writes
//! in order, the ids of one instance increase in the order events became durable: a reader
//! that has seen id X has seen every event of this instance committed before X (the live
//! stream's resume relies on it).

use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::{InsertOutcome, NewEvent};
use crate::bus::{BusEvent, DynBus};
use crate::store::{DynStore, StoreError};

/// How many requests may wait for the committer before senders are slowed down.
const QUEUE_DEPTH: usize = 4096;

/// Each committed event with its outcome, in the order handed in.
pub type Committed = Vec<(NewEvent, InsertOutcome)>;

struct Job {
    events: Vec<NewEvent>,
    /// How many events the job brought (its `events` are taken while they are written).
    size: usize,
    reply: oneshot::Sender<Result<Committed, Arc<StoreError>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("the committer has stopped")]
    Stopped,
    #[error(transparent)]
    Store(Arc<StoreError>),
}

/// The handle used by handlers; cloning it is cheap. The committer task ends once every
/// handle is dropped and the queue is drained, which is how shutdown flushes pending work.
#[derive(Clone)]
pub struct Committer {
    queue: mpsc::Sender<Job>,
}

impl Committer {
    /// Starts the committer task; `committed` is notified after every commit that wrote new
    /// events (the webhook worker waits on it for the deliveries they may have queued).
    pub fn start(
        store: DynStore,
        bus: DynBus,
        committed: Arc<Notify>,
        max_events_per_commit: usize,
    ) -> (Committer, JoinHandle<()>) {
        let (queue, jobs) = mpsc::channel(QUEUE_DEPTH);
        let task = tokio::spawn(run(store, bus, committed, jobs, max_events_per_commit));
        (Committer { queue }, task)
    }

    /// Writes the events (ids are assigned here) and returns each with its outcome, in order.
    pub async fn commit(&self, events: Vec<NewEvent>) -> Result<Committed, CommitError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job {
                size: events.len(),
                events,
                reply,
            })
            .await
            .map_err(|_| CommitError::Stopped)?;
        answer
            .await
            .map_err(|_| CommitError::Stopped)?
            .map_err(CommitError::Store)
    }
}

async fn run(
    store: DynStore,
    bus: DynBus,
    committed: Arc<Notify>,
    mut jobs: mpsc::Receiver<Job>,
    max_events: usize,
) {
    while let Some(first) = jobs.recv().await {
        let mut count = first.events.len();
        let mut group = vec![first];
        while count < max_events {
            match jobs.try_recv() {
                Ok(job) => {
                    count += job.events.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        if let Some(error) = commit_group(&store, &bus, &committed, group, count).await
            && error.is_unavailable()
        {
            // The store is down: what queued meanwhile is answered with the same error now,
            // rather than each group waiting out its own connection timeout in turn (a
            // request would wait for every group ahead of it).
            while let Ok(job) = jobs.try_recv() {
                let _ = job.reply.send(Err(error.clone()));
            }
        }
    }
}

/// Writes one group and answers its jobs; the error, if the write failed.
async fn commit_group(
    store: &DynStore,
    bus: &DynBus,
    committed: &Notify,
    mut group: Vec<Job>,
    count: usize,
) -> Option<Arc<StoreError>> {
    // The events are moved out of their jobs into one vector for the store and handed back
    // afterwards, each job its own in order: no copy of any event.
    let mut all = Vec::with_capacity(count);
    for job in &mut group {
        for mut event in job.events.drain(..) {
            event.id = Uuid::now_v7();
            all.push(event);
        }
    }
    metrics::histogram!("tributary_commit_group_events").record(count as f64);
    let all = Arc::new(all);
    match store.insert_events(all.clone()).await {
        Ok(outcomes) => {
            // The store has let go of its share (a copy only if one broke that promise).
            let all = Arc::unwrap_or_clone(all);
            // Published only now that they are committed; duplicates were published the
            // first time. Rendered only for tenants someone may be listening to.
            let fresh = all
                .iter()
                .zip(&outcomes)
                .filter(|(event, outcome)| !outcome.duplicate && bus.wants(event.tenant_id))
                .filter_map(|(event, _)| match BusEvent::render(event) {
                    Ok(rendered) => Some(Arc::new(rendered)),
                    Err(error) => {
                        tracing::error!(%error, "an event could not be rendered for the stream");
                        None
                    }
                })
                .collect();
            bus.publish(fresh);
            if outcomes.iter().any(|outcome| !outcome.duplicate) {
                // Stores a permit when the worker is busy: it looks again as soon as it waits.
                committed.notify_one();
            }
            let mut committed = all.into_iter().zip(outcomes);
            for job in group {
                let results = committed.by_ref().take(job.size).collect();
                // A handler that went away (client disconnected) no longer needs the answer;
                // its events are committed all the same.
                let _ = job.reply.send(Ok(results));
            }
            None
        }
        Err(error) => {
            tracing::error!(error = ?error, events = count, "group commit failed");
            let error = Arc::new(error);
            for job in group {
                let _ = job.reply.send(Err(error.clone()));
            }
            Some(error)
        }
    }
}
