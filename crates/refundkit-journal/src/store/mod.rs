//! The SQL behind the journal. One statement set for both backends (`$n`
//! parameters work in SQLite and PostgreSQL); where they differ — how a
//! write transaction serializes on a payment, how a row is claimed — the
//! backend picks the statement.

mod claim;
mod intent;
mod lease;
mod outcome;
mod query;
mod webhook;

pub(crate) use claim::claim_next;
pub(crate) use intent::{partial_amount, record_intent, IntentRow, Recorded};
pub(crate) use lease::holding_lease;
pub(crate) use outcome::{record_outcome, OutcomeRecord};
pub(crate) use query::{
    by_key, by_payment, by_reference, history, history_for_payment, unfinished,
};
pub(crate) use webhook::apply_event;
pub use webhook::EventApplied;

use sqlx::AnyPool;
use sqlx::{Any, Transaction};

use crate::error::JournalError;
use crate::open::Backend;

/// The journal's database handle.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pub backend: Backend,
    pub pool: AnyPool,
}

impl Store {
    /// A write transaction. SQLite: `BEGIN IMMEDIATE` takes the write lock
    /// up front, so concurrent reservations run one after another instead
    /// of failing on upgrade. PostgreSQL: a plain transaction; callers lock
    /// the payment row.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>, JournalError> {
        let begun = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        };
        begun.map_err(JournalError::database("begin a write transaction"))
    }
}

/// Now in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}

/// Appends one history row.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn append_history(
    tx: &mut Transaction<'static, Any>,
    key: &str,
    at: i64,
    from_state: Option<&str>,
    to_state: &str,
    status: Option<&str>,
    cause: &str,
    detail: Option<&str>,
) -> Result<(), JournalError> {
    sqlx::query(
        "INSERT INTO refund_history (idempotency_key, at, from_state, to_state, status, cause, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(key)
    .bind(at)
    .bind(from_state)
    .bind(to_state)
    .bind(status)
    .bind(cause)
    .bind(detail)
    .execute(&mut **tx)
    .await
    .map_err(JournalError::database("append history"))?;
    Ok(())
}
