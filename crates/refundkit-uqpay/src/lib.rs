//! # refundkit-uqpay
//!
//! The UQPay Global Acquiring adapter of refundkit: create, read and list
//! refunds through the provider-neutral [`RefundProvider`] trait, with
//! UQPay's token auth, exact decimal amounts, full-refund resolution, error
//! classification and webhook verification.
//!
//! - **Auth**: a token from `POST /v1/connect/token`, shared by every clone of
//!   the client, refreshed single-flight 5 minutes before it expires and
//!   re-minted once when UQPay says it expired ([`TokenStore`]). UQPay keeps
//!   one live token per client id, so processes sharing a client id share
//!   one store: [`FileTokenStore`] on one host, `RedisTokenStore` (feature
//!   `redis`) for a fleet, chosen with `UQPAY_TOKEN_STORE`
//!   ([`TokenStoreSetting`]); the default keeps the token in this process.
//! - **Create**: validated against UQPay's limits before anything is sent;
//!   the request's idempotency key is sent as `x-idempotency-key` on every
//!   attempt. A create whose answer is lost is
//!   [`RefundError::OutcomeUnknown`]: retry with the same key.
//! - **Full refunds**: UQPay needs an amount, so the adapter reads the payment
//!   intent and refunds what remains.
//! - **Webhooks**: [`webhook::verify_and_parse`].
//!
//! ```no_run
//! use refundkit_core::{IdempotencyKey, Money, RefundAmount, RefundReason, RefundRequest};
//! use refundkit_uqpay::{Environment, RefundProvider, SecretString, UqPayClient, UqPayConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = UqPayConfig::builder("my-client-id", SecretString::from("my-api-key"))
//!     .environment(Environment::Sandbox)
//!     .build()?;
//! // Or: UqPayConfig::from_env()? (UQPAY_CLIENT_ID, UQPAY_API_KEY, UQPAY_ENVIRONMENT, ...)
//! let client = UqPayClient::new(config)?;
//!
//! let request = RefundRequest::builder(
//!     "PI2043628825316691968",
//!     RefundAmount::Partial(Money::parse("8.88", "SGD")?),
//!     RefundReason::RequestedByCustomer,
//! )
//! .idempotency_key(IdempotencyKey::derive("shop", "order-6789/refund-1")?)
//! .build()?;
//! let refund = client.create_refund(&request).await?;
//! println!("{} is {}", refund.refund_ref(), refund.status);
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
mod currency_cache;
mod descriptor;
mod error;
mod mapping;
mod options;
mod store;
mod token;
mod wire;

pub mod webhook;

pub use client::UqPayClient;
pub use config::{
    Environment, UqPayConfig, UqPayConfigBuilder, ENV_API_KEY, ENV_BASE_URL, ENV_CLIENT_ID,
    ENV_ENVIRONMENT, ENV_ON_BEHALF_OF, ENV_WEBHOOK_SECRET, PRODUCTION_BASE_URL, SANDBOX_BASE_URL,
};
pub use currency_cache::CurrencyCheck;
pub use descriptor::{UqPayDescriptor, UqPaySettings, DESCRIPTOR};
pub use options::{UqPayListFilter, UqPayOptions};
#[cfg(feature = "redis")]
pub use store::RedisTokenStore;
pub use store::{
    refresh_lock_ttl, FileTokenStore, TokenStoreError, TokenStoreSetting, ENV_TOKEN_STORE,
    PROBE_INTERVAL, STORE_TIMEOUT,
};
pub use token::{
    AccessToken, InMemoryTokenStore, MintedToken, TokenMinter, TokenStore, REFRESH_MARGIN,
};

/// UQPay's provider id: the name in its refs (`uqpay:RF…`), config and CLI.
pub const PROVIDER: refundkit_core::ProviderId = refundkit_core::ProviderId::from_static("uqpay");

/// Re-exported so users name the same types as the adapter.
pub use refundkit_core::transport::{CredentialGeneration, RetryPolicy, TransportConfig};
#[doc(no_inline)]
pub use refundkit_core::SecretString;
pub use refundkit_core::{RefundError, RefundProvider};
