//! # refundkit-core
//!
//! The provider-neutral heart of refundkit: the normalized refund model, the
//! [`RefundProvider`] trait every adapter implements, the errors, and the
//! shared HTTP plumbing ([`transport`]) with retries that keep one
//! idempotency key per logical refund.
//!
//! Merchant code normally depends on the `refundkit` facade crate, which
//! re-exports everything here and adds the provider adapters.
//!
//! ```
//! use refundkit_core::{IdempotencyKey, Money, RefundAmount, RefundReason, RefundRequest};
//!
//! // Money is an exact decimal plus a currency that knows its exponent.
//! let amount = Money::parse("10.01", "USD")?;
//! assert_eq!(amount.to_minor_units()?, 1001);
//! assert_eq!(Money::parse("1000", "JPY")?.to_major_string(), "1000");
//! assert!(Money::parse("10.001", "USD").is_err()); // never rounded
//!
//! // One key per logical refund, the same in every process that retries it.
//! let key = IdempotencyKey::derive("billing", "order-6789/refund-1")?;
//!
//! let request = RefundRequest::builder(
//!     "PI1234567890123456789",
//!     RefundAmount::Partial(amount),
//!     RefundReason::RequestedByCustomer,
//! )
//! .idempotency_key(key)
//! .build()?;
//! assert_eq!(request.idempotency_key(), &key);
//!
//! // Zero, negative and over-precise amounts never reach a provider.
//! let zero = RefundRequest::builder(
//!     "PI1",
//!     RefundAmount::Partial(Money::parse("0", "USD")?),
//!     RefundReason::Duplicate,
//! )
//! .build();
//! assert_eq!(zero.unwrap_err().field(), "amount");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod clock;
pub mod descriptor;
mod error;
mod helpers;
mod idempotency;
mod ids;
mod integrity;
mod money;
mod options;
mod provider;
mod query;
mod raw;
mod recover;
mod refund;
mod request;
mod secrets;
mod stamp;
mod status;
pub mod transport;
mod validation;
pub mod webhook;

pub use clock::{system_clock, Clock, ManualClock, SystemClock};
pub use error::{ErrorKind, ProviderError, RefundError};
pub use helpers::{refund_many, wait_for_final, wait_for_final_with_progress, PollPolicy};
pub use idempotency::IdempotencyKey;
pub use ids::{
    check_opaque_id, check_provider_id, ProviderId, RefundId, RefundRef, MAX_PROVIDER_ID_LEN,
};
pub use integrity::{check_echo, check_same_refund};
pub use money::{parse_plain_decimal, Currency, Money, MoneyError};
pub use options::ProviderOptions;
pub use provider::RefundProvider;
pub use query::{Capabilities, ListRefunds, RefundPage};
pub use raw::RawJson;
pub use recover::recover_refund;
pub use refund::Refund;
pub use request::{RefundAmount, RefundReason, RefundRequest, RefundRequestBuilder, MAX_TEXT_LEN};
pub use secrets::{redact_url, Scrub, Secrets, REDACTED};
pub use stamp::{
    find_stamped, DEFAULT_KEY_NAMESPACE, KEY_METADATA, KEY_NAMESPACE_VARIABLE, PAYMENT_METADATA,
    REFERENCE_METADATA, RESERVED_METADATA_PREFIX,
};
pub use status::{FailureReason, RefundStatus};
pub use validation::ValidationError;
pub use webhook::{RefundEvent, RefundEventKind, WebhookError};

/// Re-exported for provider authors: `RefundProvider` is an `async_trait`.
#[doc(no_inline)]
pub use async_trait::async_trait;
/// Re-exported so adapters and users name the same versions (as re-exports:
/// their own docs live with their crates).
#[doc(no_inline)]
pub use rust_decimal::Decimal;
#[doc(no_inline)]
pub use secrecy::{ExposeSecret, SecretString};
#[doc(no_inline)]
pub use time::OffsetDateTime;
