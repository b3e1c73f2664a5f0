//! WooshPay's `POST /v1/refunds` and `GET /v1/refunds/{id}`.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{errors, render};
use crate::idempotency::Lookup;
use crate::ledger::{NewRefund, Refusal};
use crate::sim::server::{Reply, SimRequest};
use crate::sim::SimCore;
use crate::util::{from_wooshpay_minor, lock, to_wooshpay_minor};

/// The request reasons WooshPay documents.
pub(crate) const REASONS: [&str; 4] = [
    "duplicate",
    "fraudulent",
    "requested_by_customer",
    "resolved_dispute",
];

/// Longest `Idempotency-Key` accepted (Stripe's limit).
const MAX_KEY_LEN: usize = 255;

struct CreateBody {
    raw: Value,
    payment_intent: String,
    /// Minor units; `None` refunds everything that remains.
    amount: Option<i64>,
    reason: Option<String>,
    metadata: Map<String, Value>,
}

fn parse_create(bytes: &[u8]) -> Result<CreateBody, Reply> {
    let raw: Value = serde_json::from_slice(bytes).map_err(|_| {
        errors::invalid_parameter(None, "The request body must be a JSON object.".into())
    })?;
    let body = raw.as_object().ok_or_else(|| {
        errors::invalid_parameter(None, "The request body must be a JSON object.".into())
    })?;
    let payment_intent = match body.get("payment_intent") {
        Some(Value::String(id)) if !id.trim().is_empty() => id.clone(),
        _ => {
            return Err(errors::invalid_parameter(
                Some("payment_intent"),
                "Missing required param: payment_intent.".into(),
            ))
        }
    };
    let amount = match body.get("amount") {
        None | Some(Value::Null) => None,
        Some(Value::Number(number)) => match number.as_i64() {
            Some(minor) if minor > 0 => Some(minor),
            _ => return Err(errors::invalid_amount("must be a positive integer")),
        },
        Some(_) => return Err(errors::invalid_amount("must be an integer, not a string")),
    };
    let reason = match body.get("reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(reason)) if REASONS.contains(&reason.as_str()) => Some(reason.clone()),
        Some(_) => {
            return Err(errors::invalid_parameter(
                Some("reason"),
                format!("Invalid reason: must be one of {}", REASONS.join(", ")),
            ))
        }
    };
    let metadata = match body.get("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            return Err(errors::invalid_parameter(
                Some("metadata"),
                "Invalid metadata: must be an object.".into(),
            ))
        }
    };
    Ok(CreateBody {
        payment_intent,
        amount,
        reason,
        metadata,
        raw,
    })
}

/// Books the refund; the answer and whether it is replayed for its key.
fn commit(core: &SimCore, body: &CreateBody) -> (Reply, bool) {
    let mut ledger = lock(&core.ledger);
    let Some(currency) = ledger.currency_of(&body.payment_intent) else {
        return (errors::no_such_payment_intent(&body.payment_intent), true);
    };
    let amount = match body.amount {
        Some(minor) => match from_wooshpay_minor(minor, currency) {
            Some(amount) => Some(amount),
            None => return (errors::invalid_amount("is out of range"), false),
        },
        None => None,
    };
    let outcome = ledger.create(NewRefund {
        payment_id: body.payment_intent.clone(),
        amount,
        attempt_id: None,
        reason: body.reason.clone(),
        description: None,
        metadata: body.metadata.clone(),
    });
    drop(ledger);
    match outcome {
        Ok(refund) => (Reply::json(200, &render::refund(&refund)), true),
        Err(Refusal::PaymentNotFound | Refusal::AttemptNotFound) => {
            (errors::no_such_payment_intent(&body.payment_intent), true)
        }
        Err(Refusal::NotRefundable(status)) => (
            errors::refund_failed(&body.payment_intent, status.wooshpay_name()),
            true,
        ),
        Err(Refusal::FullyRefunded) => (errors::already_refunded(&body.payment_intent), true),
        Err(Refusal::ExceedsAvailable { remaining }) => (
            errors::amount_too_large(
                body.amount.unwrap_or_default(),
                to_wooshpay_minor(&remaining).unwrap_or_default(),
            ),
            true,
        ),
        Err(Refusal::InvalidAmount(why)) => (errors::invalid_amount(&why), false),
    }
}

/// `POST /v1/refunds`.
pub(crate) async fn create(
    core: &SimCore,
    request: &SimRequest,
    pre_commit_delay: Option<Duration>,
) -> Reply {
    let key = request.header("idempotency-key");
    if key.is_some_and(|k| k.is_empty() || k.len() > MAX_KEY_LEN) {
        return errors::invalid_parameter(
            None,
            format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} characters."),
        );
    }
    let body = match parse_create(&request.body) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    if let Some(key) = key {
        let lookup = lock(&core.idempotency).begin(key, body.raw.clone());
        match lookup {
            Lookup::Fresh => {}
            Lookup::Replay(reply) => return reply,
            Lookup::Mismatch => return errors::idempotency_key_reused(key),
            Lookup::InFlight => return errors::idempotency_key_in_use(key),
        }
    }
    if let Some(delay) = pre_commit_delay {
        tokio::time::sleep(delay).await;
    }
    let (reply, replayable) = commit(core, &body);
    if let Some(key) = key {
        lock(&core.idempotency).conclude(key, &reply, replayable);
    }
    reply
}

/// `GET /v1/refunds/{id}`: counts as a read of the refund.
pub(crate) fn get(core: &SimCore, id: &str) -> Reply {
    let refund = lock(&core.ledger).read(id);
    match refund {
        Some(refund) => Reply::json(200, &render::refund(&refund)),
        None => errors::no_such_refund(id),
    }
}
