//! Step 4: the sweeper. Every unfinished row older than a threshold is
//! claimed by one sweeper (a lease), resolved through the exactly-once
//! recover path (or, when pending, read again), and released.

use std::time::Duration;

use refundkit_core::{wait_for_final, PollPolicy, RefundError, RefundId, RefundProvider};

use crate::entry::JournalEntry;
use crate::error::JournalError;
use crate::journaled::JournaledRefunds;
use crate::recover::{check_journaled, recover, Answer};
use crate::state::JournalState;
use crate::store::{self, now_ms, OutcomeRecord};

/// How a sweep runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconcileOptions {
    /// Only rows unchanged for at least this long (zero: every unfinished row).
    pub older_than: Duration,
    /// Poll a refund that is still pending to final with this policy; `None`
    /// reads it once per sweep.
    pub poll: Option<PollPolicy>,
    /// At most this many rows per sweep.
    pub max_rows: u32,
}

impl Default for ReconcileOptions {
    fn default() -> Self {
        Self {
            older_than: Duration::ZERO,
            poll: None,
            max_rows: 10_000,
        }
    }
}

impl ReconcileOptions {
    /// Only rows unchanged for at least `older_than`.
    pub fn older_than(older_than: Duration) -> Self {
        Self {
            older_than,
            ..Self::default()
        }
    }

    /// Polls pending refunds to final with `policy`.
    pub fn poll(mut self, policy: PollPolicy) -> Self {
        self.poll = Some(policy);
        self
    }
}

/// One row a sweep handled.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Reconciled {
    /// The row's key.
    pub idempotency_key: String,
    /// The state it was in.
    pub from: String,
    /// The state it is in now.
    pub to: String,
    /// The error code of the call, when it failed (the row keeps its state).
    pub error: Option<String>,
}

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ReconcileReport {
    /// Every row this sweeper claimed, in order.
    pub rows: Vec<Reconciled>,
}

impl ReconcileReport {
    /// Rows that ended finished.
    pub fn resolved(&self) -> usize {
        self.rows
            .iter()
            .filter(|row| JournalState::from_name(&row.to).is_some_and(JournalState::is_finished))
            .count()
    }

    /// Rows still unfinished after the sweep (pending, or a call failed).
    pub fn unfinished(&self) -> usize {
        self.rows.len().saturating_sub(self.resolved())
    }
}

impl JournaledRefunds {
    /// Resolves every unfinished row unchanged for `older_than`
    /// ([`ReconcileOptions::older_than`]); safe to run in many processes at once.
    pub async fn reconcile(&self, older_than: Duration) -> Result<ReconcileReport, JournalError> {
        self.reconcile_with(ReconcileOptions::older_than(older_than))
            .await
    }

    /// One sweep: claim a row, resolve it, record it, release it; until no
    /// row is left that is unfinished, old enough and not leased by another.
    pub async fn reconcile_with(
        &self,
        options: ReconcileOptions,
    ) -> Result<ReconcileReport, JournalError> {
        let older_ms = i64::try_from(options.older_than.as_millis()).unwrap_or(i64::MAX);
        // Rows visited in this sweep are stamped later than the cutoff, so
        // each is handled at most once per sweep.
        let cutoff = now_ms().saturating_sub(older_ms);
        let mut report = ReconcileReport::default();
        for _ in 0..options.max_rows {
            let now = now_ms();
            let until = now.saturating_add(self.journal.lease_ms());
            let claimed =
                store::claim_next(&self.journal.store, &self.owner, now, until, cutoff).await?;
            let Some(entry) = claimed else { break };
            report
                .rows
                .push(self.resolve(&entry, options.poll.clone()).await?);
        }
        Ok(report)
    }

    async fn resolve(
        &self,
        entry: &JournalEntry,
        poll: Option<PollPolicy>,
    ) -> Result<Reconciled, JournalError> {
        let (answer, called, cause) = match self.provider(entry.provider) {
            Ok(client) => {
                let key = entry.idempotency_key.to_string();
                let store = &self.journal.store;
                let asking = ask(client.as_ref(), entry, poll);
                let (answer, cause) =
                    store::holding_lease(store, &key, &self.owner, self.journal.lease, asking)
                        .await;
                (answer, true, cause)
            }
            // Released untouched; a process with that client resolves it.
            Err(_) => (
                Answer::of_read(Err(RefundError::Config(String::new()))),
                false,
                "reconcile",
            ),
        };
        let error = answer.result.as_ref().err().filter(|_| called);
        let record = OutcomeRecord {
            entry,
            lease_owner: &self.owner,
            outcome: &answer.outcome,
            error,
            called,
            cause,
        };
        let written = store::record_outcome(&self.journal.store, &record).await?;
        let to = written.unwrap_or_else(|| answer.outcome.next_state(entry.state));
        Ok(Reconciled {
            idempotency_key: entry.idempotency_key.to_string(),
            from: entry.state.as_str().to_string(),
            to: to.as_str().to_string(),
            error: error.map(|e| e.code().to_string()),
        })
    }
}

/// Recovers a row that may be unsent or unanswered, or reads a pending one;
/// then polls to final when asked.
async fn ask(
    client: &dyn RefundProvider,
    entry: &JournalEntry,
    poll: Option<PollPolicy>,
) -> (Answer, &'static str) {
    let (answer, cause) = match (&entry.state, &entry.provider_refund_id) {
        (JournalState::Pending, Some(id)) => match RefundId::new(id.clone()) {
            Ok(id) => {
                let read = client.get_refund(&id).await;
                let read = read.and_then(|refund| check_journaled(entry, refund));
                (Answer::of_read(read), "poll")
            }
            Err(error) => (Answer::of_read(Err(error.into())), "poll"),
        },
        _ => match entry.to_request() {
            Ok(request) => (recover(client, &request).await, "reconcile"),
            Err(error) => (
                Answer::of_read(Err(RefundError::decode(entry.provider, error.to_string()))),
                "reconcile",
            ),
        },
    };
    match (answer.result, poll) {
        (Ok(refund), Some(policy)) if !refund.status.is_final() => {
            let last = match wait_for_final(client, &refund.id, policy).await {
                Ok(done) => done,
                Err(RefundError::StillPending { refund, .. }) => *refund,
                Err(_) => refund,
            };
            (Answer::of_read(check_journaled(entry, last)), cause)
        }
        (result, _) => (
            Answer {
                outcome: answer.outcome,
                result,
            },
            cause,
        ),
    }
}
