//! # refundkit-example-ledger
//!
//! A refund provider written **outside** refundkit's built-ins, the way a
//! merchant would write one: refunds booked by an in-house ledger service
//! over HTTP, built only from the `refundkit` facade and its adapter
//! toolkit (`refundkit::toolkit`). Nothing in refundkit names it, yet it is
//! configured, routed and conformance-tested like UQPay or WooshPay.
//!
//! - [`LEDGER`]: its provider id, the `ledger` in refs like `ledger:lr_000001`.
//! - [`LedgerConfig`] and [`LedgerClient`]: the client, a
//!   [`RefundProvider`](refundkit::RefundProvider) on the toolkit's
//!   transport (retries with one idempotency key, `OutcomeUnknown`, secret
//!   scrubbing).
//! - [`DESCRIPTOR`]: what `Refunds::from_lookup_with` / `from_config_with`
//!   read to build it from `LEDGER_URL` and `LEDGER_API_KEY`.
//! - [`LedgerOptions`]: the one option only this provider understands.
//!
//! ```
//! use refundkit::toolkit::descriptor::ProviderDescriptor;
//! use refundkit::Refunds;
//! use refundkit_example_ledger::{DESCRIPTOR, LEDGER};
//!
//! // Built-ins plus ours; the environment says which to configure.
//! let mut descriptors = refundkit::builtin_providers().to_vec();
//! descriptors.push(&DESCRIPTOR);
//! let env = [("LEDGER_URL", "https://ledger.internal.example"), ("LEDGER_API_KEY", "lk_example")];
//! let lookup = |name: &str| env.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string());
//! assert!(DESCRIPTOR.is_selected(&lookup));
//!
//! let refunds = Refunds::from_lookup_with(&descriptors, lookup)?;
//! assert_eq!(refunds.providers().collect::<Vec<_>>(), [LEDGER]);
//! # Ok::<(), refundkit::RefundError>(())
//! ```
//!
//! The ledger service's wire format (its answers are documented in
//! `wire.rs`) is this crate's own; the tests run a fake of it on loopback.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod client;
mod config;
mod descriptor;
mod mapping;
mod wire;

pub use client::LedgerClient;
pub use config::{LedgerConfig, LedgerOptions, ACCOUNT_OPTION, ENV_API_KEY, ENV_URL};
pub use descriptor::{LedgerDescriptor, LedgerSettings, DESCRIPTOR};
pub use mapping::LedgerErrorClassifier;

/// The ledger's provider id: the name in its refs (`ledger:lr_000001`) and
/// in config files.
pub const LEDGER: refundkit::ProviderId = refundkit::ProviderId::from_static("ledger");
