//! # refundkit
//!
//! One refund API over several payment providers. (Crate docs with a worked
//! example are completed with the facade.)

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod refunds;
pub mod webhooks;

pub use config::{RefundsConfig, UqPaySettings, WooshPaySettings, PROVIDER_VARIABLE};
pub use refunds::{Refunds, RefundsBuilder};

pub use refundkit_core::*;

#[cfg(feature = "uqpay")]
pub use refundkit_uqpay as uqpay;
#[cfg(feature = "wooshpay")]
pub use refundkit_wooshpay as wooshpay;
