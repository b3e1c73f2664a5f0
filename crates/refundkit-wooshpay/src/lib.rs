//! # refundkit-wooshpay
//!
//! The WooshPay adapter of refundkit: [`WooshPayClient`] implements
//! [`refundkit_core::RefundProvider`] over WooshPay's `/v1/refunds` API.
//!
//! - **Auth**: HTTP Basic with the secret key as user name and an empty
//!   password. `sk_test_` keys go to `https://apitest.wooshpay.com`,
//!   `sk_live_` keys to `https://api.wooshpay.com`; publishable `pk_` keys are
//!   refused.
//! - **Create** (`POST /v1/refunds`): amounts as integer minor units (Stripe's
//!   zero-decimal list, [`ZERO_DECIMAL_CURRENCIES`], overridable), no amount
//!   for a full refund, the request's idempotency key in `Idempotency-Key` on
//!   every attempt, and the echoed amount, currency and payment checked.
//! - **Get** (`GET /v1/refunds/{id}`). **List** and **cancel** are not
//!   documented by WooshPay and return [`refundkit_core::RefundError::Unsupported`].
//! - **Webhooks**: [`webhook::verify_and_parse`].
//!
//! ```no_run
//! use refundkit_core::{
//!     IdempotencyKey, Money, RefundAmount, RefundProvider, RefundReason, RefundRequest,
//! };
//! use refundkit_wooshpay::{WooshPayClient, WooshPayConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // WOOSHPAY_SECRET_KEY=sk_test_…, optional WOOSHPAY_BASE_URL, WOOSHPAY_WEBHOOK_SECRET
//! let client = WooshPayClient::new(WooshPayConfig::from_env()?)?;
//!
//! let request = RefundRequest::builder(
//!     "pi_1787730829493927936",
//!     RefundAmount::Partial(Money::parse("10.01", "USD")?), // sent as "amount": 1001
//!     RefundReason::RequestedByCustomer,
//! )
//! // The same key on every retry, in every process: WooshPay deduplicates by it.
//! .idempotency_key(IdempotencyKey::derive("shop", "order-6789/refund-1")?)
//! .build()?;
//!
//! let refund = client.create_refund(&request).await?;
//! let again = client.get_refund(&refund.id).await?;
//! println!("{} is {}", again.refund_ref(), again.status);
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod auth;
mod client;
mod config;
mod descriptor;
mod error;
mod mapping;
pub mod webhook;
mod wire;

pub use client::WooshPayClient;
pub use config::{
    WooshPayConfig, WooshPayConfigBuilder, ENV_BASE_URL, ENV_SECRET_KEY, ENV_WEBHOOK_SECRET,
    LIVE_BASE_URL, TEST_BASE_URL,
};
pub use descriptor::{WooshPayDescriptor, WooshPaySettings, DESCRIPTOR};
pub use error::{classify_error, WooshPayErrorClassifier};
pub use mapping::{METADATA_DESCRIPTION_KEY, METADATA_REASON_KEY, ZERO_DECIMAL_CURRENCIES};

/// WooshPay's provider id: the name in its refs (`wooshpay:re_…`), config and CLI.
pub const PROVIDER: refundkit_core::ProviderId =
    refundkit_core::ProviderId::from_static("wooshpay");
