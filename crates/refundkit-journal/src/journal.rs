//! `Journal`: the database handle and the queries a backend needs.

use std::time::Duration;

use refundkit_core::{IdempotencyKey, Money, RefundEvent};

use crate::entry::{HistoryEntry, JournalEntry, PaymentRefunds};
use crate::error::JournalError;
use crate::open::{connect, Backend};
use crate::reserve::reserved_total;
use crate::store::{self, EventApplied, Store};

/// How long a create or a sweeper holds a row by default. A live process
/// renews it while its provider call runs, so this is how soon a dead
/// process's row can be taken over, not a bound on a call.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(120);

/// A durable record of refunds, in SQLite or PostgreSQL.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use refundkit_journal::Journal;
///
/// let dir = std::env::temp_dir().join(format!("refundkit-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let url = format!("sqlite://{}", dir.join("journal.db").display());
/// let journal = Journal::open(&url).await?; // created 0600 if absent, migrated
/// assert!(journal.unfinished(100).await?.is_empty());
/// assert!(journal.payment_refunds("PI1").await?.refunded.is_none());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Journal {
    pub(crate) store: Store,
    pub(crate) lease: Duration,
}

/// Shows the backend and the lease, never the connection's settings.
impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("backend", &self.store.backend)
            .field("lease", &self.lease)
            .finish()
    }
}

impl Journal {
    /// Opens (and migrates) the journal at `url`: `sqlite://refundkit.db`
    /// (the file is created, owner-only, when absent) or
    /// `postgres://user@host/db`.
    pub async fn open(url: &str) -> Result<Self, JournalError> {
        Self::open_with(url, 8).await
    }

    /// [`Journal::open`] with at most `max_connections` pooled connections.
    pub async fn open_with(url: &str, max_connections: u32) -> Result<Self, JournalError> {
        let (backend, pool) = connect(url, max_connections.max(1)).await?;
        Ok(Self {
            store: Store { backend, pool },
            lease: DEFAULT_LEASE,
        })
    }

    /// How long a create or a sweeper holds a row ([`DEFAULT_LEASE`]),
    /// renewed every third of it while its provider call runs. A process
    /// that dies mid-refund gives its row back to reconcile after it.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.store.backend
    }

    pub(crate) fn lease_ms(&self) -> i64 {
        i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX)
    }

    /// Every journaled refund of a payment and the sum of those that moved
    /// or may have moved money.
    pub async fn payment_refunds(&self, payment_id: &str) -> Result<PaymentRefunds, JournalError> {
        let refunds = store::by_payment(&self.store, payment_id).await?;
        let held: Vec<Money> = refunds
            .iter()
            .filter(|entry| entry.state.holds_reservation())
            .map(|entry| entry.amount)
            .collect();
        let refunded = match held.first() {
            Some(first) => Some(reserved_total(&held, first.currency())?),
            None => None,
        };
        Ok(PaymentRefunds { refunds, refunded })
    }

    /// The row of `reference` in `namespace`.
    pub async fn by_reference(
        &self,
        namespace: &str,
        reference: &str,
    ) -> Result<Option<JournalEntry>, JournalError> {
        store::by_reference(&self.store, namespace, reference).await
    }

    /// The row of an idempotency key.
    pub async fn by_key(&self, key: &IdempotencyKey) -> Result<Option<JournalEntry>, JournalError> {
        store::by_key(&self.store, &key.to_string()).await
    }

    /// Unfinished rows (`recorded`, `outcome_unknown`, `pending`), oldest change first.
    pub async fn unfinished(&self, limit: u32) -> Result<Vec<JournalEntry>, JournalError> {
        store::unfinished(&self.store, i64::from(limit)).await
    }

    /// The history of one refund, oldest first.
    pub async fn history(&self, key: &IdempotencyKey) -> Result<Vec<HistoryEntry>, JournalError> {
        store::history(&self.store, &key.to_string()).await
    }

    /// The history of every refund of a payment, oldest first.
    pub async fn payment_history(
        &self,
        payment_id: &str,
    ) -> Result<Vec<HistoryEntry>, JournalError> {
        store::history_for_payment(&self.store, payment_id).await
    }

    /// Applies a verified webhook event to its row (found by provider refund
    /// id, or by the key stamped in the refund's metadata), once per event
    /// id: a redelivered event changes nothing.
    pub async fn apply_event(&self, event: &RefundEvent) -> Result<EventApplied, JournalError> {
        store::apply_event(&self.store, event).await
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.store.pool.close().await;
    }
}
