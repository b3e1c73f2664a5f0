//! # refundkit-testkit
//!
//! Test doubles for refundkit that behave like the real providers as they
//! document themselves:
//!
//! - [`Simulator`]: stateful HTTP simulators of UQPay and WooshPay on
//!   loopback, with seeded payments, a refund ledger, idempotent replay,
//!   configurable settlement ([`SettleMode`]), an idempotency window after
//!   which a key is forgotten ([`SimulatorBuilder::idempotency_window`]),
//!   fault injection per route and
//!   call number ([`Fault`], [`Route`], [`Calls`]) and a request journal with
//!   secrets masked ([`JournalEntry`]). The `refundkit-sim` binary runs the
//!   same simulators as a process.
//! - [`webhook`]: signs refund events exactly as each provider does and
//!   POSTs them to your endpoint.
//! - [`InMemoryProvider`]: a `RefundProvider` with the same rules and no HTTP.
//! - [`conformance`]: the checks every `RefundProvider` must pass, and the
//!   fault table.
//!
//! Default credentials: UQPay client id `sim-client` and API key
//! `sim-api-key`; WooshPay secret key `sk_test_simulator`
//! ([`SimulatorBuilder`] changes them).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use base64::Engine;
//! use refundkit_core::Money;
//! use refundkit_testkit::Simulator;
//!
//! let sim = Simulator::start().await?;
//! let payment = sim.wooshpay().seed_captured(Money::parse("10.00", "USD")?);
//!
//! // A raw WooshPay create: Basic auth with the secret key, amount in cents.
//! let auth = base64::engine::general_purpose::STANDARD.encode("sk_test_simulator:");
//! let response = reqwest::Client::new()
//!     .post(format!("{}/v1/refunds", sim.wooshpay_base_url()))
//!     .header("authorization", format!("Basic {auth}"))
//!     .header("content-type", "application/json")
//!     .header("idempotency-key", "order-42-refund-1")
//!     .body(format!(r#"{{"payment_intent":"{payment}","amount":250}}"#))
//!     .send()
//!     .await?;
//! assert_eq!(response.status(), 200);
//! let refund: serde_json::Value = serde_json::from_slice(&response.bytes().await?)?;
//! assert_eq!(refund["status"], "succeeded");
//! assert_eq!(sim.wooshpay().refund_count_for(&payment), 1);
//! assert_eq!(sim.wooshpay().journal()[0].header("authorization"), Some("Basic [masked]"));
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod conformance;
mod idempotency;
mod ledger;
mod memory;
mod model;
mod sim;
mod util;
pub mod webhook;

pub use idempotency::DEFAULT_IDEMPOTENCY_WINDOW;
pub use memory::{InMemoryProvider, ATTEMPT_OPTION, MEMORY, ORDER_OPTION};
pub use model::{PaymentSeed, PaymentStatus, SettleMode, SimPayment, SimRefund, SimRefundStatus};
pub use sim::{
    Calls, Fault, JournalEntry, ProviderSim, Route, SimCredentials, SimError, Simulator,
    SimulatorBuilder, SupersededAnswer, DEFAULT_TOKEN_TTL, DEFAULT_UQPAY_API_KEY,
    DEFAULT_UQPAY_CLIENT_ID, DEFAULT_WOOSHPAY_SECRET_KEY, MASK, UQPAY, WOOSHPAY,
};
pub use util::{mask_secret, wooshpay_exponent};
