//! # refundkit
//!
//! One refund API over several payment providers — UQPay and WooshPay today.
//! Link this crate, pick providers with cargo features (`uqpay`, `wooshpay`,
//! both on by default) and a config value, and create, track and verify
//! refunds without caring which provider is behind them.
//!
//! - [`Refunds`] routes calls: new refunds to the default (or a named)
//!   provider, reads by the [`RefundRef`] stored with each refund
//!   (`uqpay:RF…`), so old refunds stay readable after a switch.
//! - Configure from the environment ([`Refunds::from_env`]), a config file
//!   ([`RefundsConfig`]) or code ([`Refunds::builder`]).
//! - Money is exact ([`Money`]); every create carries an [`IdempotencyKey`]
//!   that retries reuse; a create whose answer is lost is
//!   [`RefundError::OutcomeUnknown`] with the key to retry with.
//! - Webhooks: [`Refunds::verify_webhook`].
//!
//! The model, the [`RefundProvider`] trait and the transport are re-exported
//! from `refundkit-core`; the adapters are [`uqpay`] and [`wooshpay`].
//!
//! ## Example
//!
//! Against the testkit's UQPay simulator (swap in real credentials with
//! [`Refunds::from_env`] and nothing else changes):
//!
//! ```
//! use refundkit::uqpay::{UqPayClient, UqPayConfig};
//! use refundkit::{
//!     IdempotencyKey, Money, RefundAmount, RefundReason, RefundRequest, RefundStatus, Refunds,
//!     SecretString,
//! };
//! use refundkit_testkit::Simulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sim = Simulator::start().await?;
//! let payment = sim.uqpay().seed_captured(Money::parse("25.00", "USD")?);
//!
//! let config = UqPayConfig::builder(sim.uqpay_client_id(), SecretString::from(sim.uqpay_api_key()))
//!     .base_url(&sim.uqpay_base_url())
//!     .build()?;
//! let refunds = Refunds::builder().with(UqPayClient::new(config)?).build()?;
//!
//! let request = RefundRequest::builder(
//!     payment.as_str(),
//!     RefundAmount::Partial(Money::parse("10.01", "USD")?),
//!     RefundReason::RequestedByCustomer,
//! )
//! .idempotency_key(IdempotencyKey::derive("billing", "order-6789/refund-1")?)
//! .build()?;
//! let refund = refunds.create_refund(&request).await?;
//! assert_eq!(refund.amount, Money::parse("10.01", "USD")?);
//!
//! // Sending the same request again (same key) returns the same refund.
//! let again = refunds.create_refund(&request).await?;
//! assert_eq!(again.id, refund.id);
//!
//! // Store the ref; read it back later wherever it lives.
//! let stored = refund.refund_ref().to_string();
//! let read = refunds.get_refund(&stored.parse()?).await?;
//! assert_eq!(read.status, RefundStatus::Succeeded);
//! # Ok(())
//! # }
//! ```
//!
//! ## What the examples need
//!
//! Every example in these docs runs: against the stateful simulators
//! (`refundkit_testkit::Simulator`, real HTTP on loopback) or the in-memory
//! provider (`refundkit_testkit::InMemoryProvider`) of `refundkit-testkit`,
//! which your own tests can use the same way. Add it (and a tokio runtime) as
//! dev-dependencies:
//!
//! ```toml
//! [dev-dependencies]
//! refundkit-testkit = "0.1"
//! tokio = { version = "1", features = ["macros", "rt"] }
//! ```
//!
//! Where to start: [`Refunds`] (the router), [`RefundError`] (what can go
//! wrong, and resolving [`RefundError::OutcomeUnknown`] to exactly one
//! refund), [`Refund`], [`RefundProvider`] (code that works with any
//! provider), [`refund_many`], [`wait_for_final`], and the clients
//! [`uqpay::UqPayClient`] / [`wooshpay::WooshPayClient`] with their configs.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

#[cfg(feature = "axum")]
pub mod axum;
mod config;
#[cfg(feature = "journal")]
mod journaled;
mod providers;
mod refunds;
pub mod webhooks;

pub use config::{RefundsConfig, PROVIDER_VARIABLE};
pub use providers::{builtin_provider, builtin_provider_names, builtin_providers};
pub use refunds::{PaymentRefunds, Refunds, RefundsBuilder};

// The merchant API: what a backend that issues and tracks refunds names.
/// The type of [`Refund::raw`]: the provider's JSON as text.
pub use refundkit_core::RawJson;
pub use refundkit_core::{
    recover_refund, refund_many, wait_for_final, wait_for_final_with_progress, Capabilities,
    Currency, Decimal, ErrorKind, ExposeSecret, FailureReason, IdempotencyKey, ListRefunds, Money,
    MoneyError, OffsetDateTime, PollPolicy, ProviderError, ProviderId, ProviderOptions, Refund,
    RefundAmount, RefundError, RefundEvent, RefundEventKind, RefundId, RefundPage, RefundProvider,
    RefundReason, RefundRef, RefundRequest, RefundRequestBuilder, RefundStatus, SecretString,
    ValidationError, WebhookError, DEFAULT_KEY_NAMESPACE, KEY_METADATA, KEY_NAMESPACE_VARIABLE,
    MAX_TEXT_LEN, REFERENCE_METADATA,
};

/// The adapter toolkit, for people writing a provider of their own (an
/// in-house ledger, another PSP) rather than issuing refunds: the
/// [`descriptor`](toolkit::descriptor) the facade, CLI and testkit read,
/// the [`transport`](toolkit::transport) that owns retries and the
/// "outcome unknown" rule, echo checks, exact decimal parsing, the secret
/// scrubber and the metadata stamps. Merchant code does not need it.
/// `examples/custom-provider` is a whole provider built from it.
pub mod toolkit {
    pub use refundkit_core::async_trait;
    pub use refundkit_core::descriptor;
    pub use refundkit_core::transport;
    pub use refundkit_core::webhook;
    pub use refundkit_core::{
        check_echo, check_opaque_id, check_provider_id, check_same_refund, find_stamped,
        parse_plain_decimal, redact_url, system_clock, Clock, ManualClock, Scrub, Secrets,
        SystemClock, MAX_PROVIDER_ID_LEN, PAYMENT_METADATA, REDACTED, RESERVED_METADATA_PREFIX,
    };
    /// The JSON crate the descriptor's settings and raw bodies use.
    pub use serde_json;
}

/// The UQPay adapter (feature `uqpay`).
#[cfg(feature = "uqpay")]
#[doc(inline)]
pub use refundkit_uqpay as uqpay;
/// The WooshPay adapter (feature `wooshpay`).
#[cfg(feature = "wooshpay")]
#[doc(inline)]
pub use refundkit_wooshpay as wooshpay;

/// Durable refund records: intent before sending, the amount reserved
/// against the payment's ceiling, reconcile, webhook dedupe (feature
/// `journal`; `journal-postgres` adds PostgreSQL). Start from
/// [`Refunds::journaled`].
#[cfg(feature = "journal")]
#[doc(inline)]
pub use refundkit_journal as journal;

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
