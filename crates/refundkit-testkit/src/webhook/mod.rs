//! The webhook emitter: signs refund events exactly as each provider does
//! and POSTs them to a URL, for merchants testing their webhook endpoints.
//!
//! ```
//! use refundkit_testkit::webhook::{uqpay_signature, SignedWebhook};
//!
//! let body = br#"{"event_type":"acquiring.refund.succeeded"}"#;
//! let delivery = SignedWebhook::uqpay("whsec", body.to_vec(), "1776074262");
//! assert_eq!(delivery.header("x-wk-timestamp"), Some("1776074262"));
//! assert_eq!(
//!     delivery.header("x-wk-signature"),
//!     Some(uqpay_signature("whsec", body, "1776074262").as_str())
//! );
//! ```

mod events;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue};
use refundkit_core::ProviderId;

use crate::sim::{UQPAY, WOOSHPAY};
use sha2::{Sha256, Sha512};

pub use events::{uqpay_refund_event, wooshpay_refund_event, UqPayRefundEvent};

/// `hex(HMAC-SHA512(secret, raw_body ++ timestamp))`: UQPay's
/// `x-wk-signature` for the `x-wk-timestamp` header value `timestamp`,
/// signed exactly as written (seconds or milliseconds).
pub fn uqpay_signature(secret: &str, body: &[u8], timestamp: &str) -> String {
    match Hmac::<Sha512>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            mac.update(timestamp.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// `hex(HMAC-SHA256(secret, "{timestamp}.{raw_body}"))`: WooshPay's `v1`.
pub fn wooshpay_signature(secret: &str, body: &[u8], timestamp: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(timestamp.as_bytes());
            mac.update(b".");
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// The whole `Wooshpay-Signature` header value: `t={timestamp},v1={hex}`.
pub fn wooshpay_signature_header(secret: &str, body: &[u8], timestamp: i64) -> String {
    let t = timestamp.to_string();
    format!("t={t},v1={}", wooshpay_signature(secret, body, &t))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A webhook delivery, signed: the exact body bytes and the headers to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedWebhook {
    provider: ProviderId,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl SignedWebhook {
    /// A UQPay delivery: `x-wk-timestamp: {timestamp}` and `x-wk-signature`.
    pub fn uqpay(secret: &str, body: Vec<u8>, timestamp: &str) -> Self {
        let signature = uqpay_signature(secret, &body, timestamp);
        Self {
            provider: UQPAY,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-wk-timestamp".into(), timestamp.to_string()),
                ("x-wk-signature".into(), signature),
            ],
            body,
        }
    }

    /// A UQPay delivery signed now (timestamp in Unix seconds).
    pub fn uqpay_now(secret: &str, body: Vec<u8>) -> Self {
        Self::uqpay(secret, body, &unix_now().to_string())
    }

    /// A WooshPay delivery: `Wooshpay-Signature: t={timestamp},v1=…`.
    pub fn wooshpay(secret: &str, body: Vec<u8>, timestamp: i64) -> Self {
        let header = wooshpay_signature_header(secret, &body, timestamp);
        Self {
            provider: WOOSHPAY,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("wooshpay-signature".into(), header),
            ],
            body,
        }
    }

    /// A WooshPay delivery signed now.
    pub fn wooshpay_now(secret: &str, body: Vec<u8>) -> Self {
        Self::wooshpay(secret, body, unix_now())
    }

    /// Which provider's scheme signed it.
    pub fn provider(&self) -> ProviderId {
        self.provider
    }

    /// The headers to send, names in lower case.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// One header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The headers as an
    /// [`http::HeaderMap`](https://docs.rs/http/1/http/header/struct.HeaderMap.html),
    /// e.g. to call a verifier directly.
    pub fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                map.insert(name, value);
            }
        }
        map
    }

    /// The exact body bytes that were signed.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// What the webhook endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivered {
    /// Its HTTP status.
    pub status: u16,
    /// Its body as text.
    pub body: String,
}

/// Why a delivery did not get an answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The POST failed before an answer came back.
    #[error("webhook delivery to {url} failed: {message}")]
    Delivery {
        /// Where it was sent.
        url: String,
        /// What failed.
        message: String,
    },
}

/// POSTs signed webhooks to a URL.
#[derive(Debug, Clone)]
pub struct WebhookEmitter {
    client: reqwest::Client,
}

impl Default for WebhookEmitter {
    fn default() -> Self {
        Self::new()
    }
}

impl WebhookEmitter {
    /// An emitter with a 10 s timeout per delivery.
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self { client }
    }

    /// POSTs `webhook` to `url` and returns the endpoint's answer, whatever
    /// its status.
    pub async fn deliver(
        &self,
        url: &str,
        webhook: &SignedWebhook,
    ) -> Result<Delivered, EmitError> {
        let failed = |e: reqwest::Error| EmitError::Delivery {
            url: url.to_string(),
            message: e.to_string(),
        };
        let response = self
            .client
            .post(url)
            .headers(webhook.header_map())
            .body(webhook.body.clone())
            .send()
            .await
            .map_err(failed)?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(failed)?;
        Ok(Delivered { status, body })
    }
}

impl crate::sim::ProviderSim {
    /// A webhook about ledger refund `refund_id`, in this provider's event
    /// format for its current status, signed now with `secret`. `None` when
    /// there is no such refund.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use refundkit_testkit::Simulator;
    /// let sim = Simulator::start().await?;
    /// assert!(sim.uqpay().refund_webhook("RF404", "whsec").is_none());
    /// # Ok(()) }
    /// ```
    pub fn refund_webhook(&self, refund_id: &str, secret: &str) -> Option<SignedWebhook> {
        let refund = self.refund(refund_id)?;
        Some(self.sign_refund_event(&refund, secret))
    }
}
