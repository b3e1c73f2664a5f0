//! # refundkit-journal
//!
//! A durable record of every refund, for merchant backends that must never
//! lose track of money they moved: SQLite embedded by default (one file, no
//! server), PostgreSQL for fleets (many processes and machines on one
//! journal), both through `sqlx` with runtime-checked queries and embedded
//! migrations.
//!
//! - [`JournaledRefunds::create_refund`] records the intent **before** any
//!   request is sent and, in the same transaction, reserves the amount
//!   against the payment's ceiling (the payment's rows that hold a
//!   reservation plus this one must not exceed it; PostgreSQL locks the
//!   payment's row, SQLite takes the write lock with `BEGIN IMMEDIATE`).
//!   It then sends with the row's idempotency key and records the answer;
//!   `OutcomeUnknown` is recorded as such, never as failed. A repeated
//!   reference returns the recorded refund or resumes the unfinished one
//!   with the same key — never a second key.
//! - [`JournaledRefunds::reconcile`] resolves every unfinished row through
//!   the exactly-once recover path and polls pending refunds; each row is
//!   claimed by one sweeper (a lease; `FOR UPDATE SKIP LOCKED` on PostgreSQL).
//! - [`Journal::apply_event`] applies a verified webhook once per event id.
//! - [`Journal::payment_refunds`], [`Journal::by_reference`],
//!   [`Journal::unfinished`], [`Journal::history`] answer a backend's questions.
//!
//! The states and the schema are in `docs/journal.md`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use refundkit_core::{Money, RefundAmount, RefundReason, RefundRequest, DEFAULT_KEY_NAMESPACE};
//! use refundkit_journal::{Journal, JournalState, JournaledRefunds};
//! use refundkit_testkit::InMemoryProvider;
//!
//! let provider = InMemoryProvider::new();
//! let payment = provider.seed_captured(Money::parse("25.00", "USD")?);
//! let refunds = JournaledRefunds::new(Journal::open("sqlite::memory:").await?, Arc::new(provider));
//!
//! let request = RefundRequest::builder(&payment, RefundAmount::Partial(Money::parse("10.01", "USD")?),
//!         RefundReason::Duplicate)
//!     .reference(DEFAULT_KEY_NAMESPACE, "order-7/refund-1")
//!     .build()?;
//! refunds.create_refund(&request, Money::parse("25.00", "USD")?).await?;
//!
//! let row = refunds.journal().by_reference(DEFAULT_KEY_NAMESPACE, "order-7/refund-1").await?.unwrap();
//! assert_eq!(row.state, JournalState::Succeeded);
//! assert_eq!(refunds.journal().payment_refunds(&payment).await?.refunded, Some(Money::parse("10.01", "USD")?));
//! assert!(refunds.reconcile(Duration::ZERO).await?.rows.is_empty()); // nothing unfinished
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod entry;
mod error;
mod journal;
mod journaled;
mod open;
mod reconcile;
mod recover;
mod reserve;
mod state;
mod store;

pub use entry::{HistoryEntry, JournalEntry, PaymentRefunds};
pub use error::JournalError;
pub use journal::{Journal, DEFAULT_LEASE};
pub use journaled::JournaledRefunds;
pub use open::Backend;
pub use reconcile::{ReconcileOptions, ReconcileReport, Reconciled};
pub use reserve::check_reservation;
pub use state::{state_after_event, state_for_status, JournalState, Outcome};
pub use store::EventApplied;
