//! WooshPay's objects as JSON, shaped like the API reference.

use serde_json::{json, Value};

use crate::model::{SimRefund, SimRefundStatus};
use crate::util::to_wooshpay_minor;

/// The Refund object: amount in minor units, currency in lower case,
/// `created` in Unix seconds.
pub(crate) fn refund(refund: &SimRefund) -> Value {
    let failure_reason = match refund.status {
        SimRefundStatus::Failed | SimRefundStatus::Reversed => Value::String("unknown".into()),
        _ => Value::Null,
    };
    json!({
        "id": refund.id,
        "object": "refund",
        "amount": to_wooshpay_minor(&refund.amount).unwrap_or_default(),
        "created": refund.created_at.unix_timestamp(),
        "currency": refund.amount.currency().code().to_ascii_lowercase(),
        "metadata": refund.metadata,
        "payment_intent": refund.payment_id,
        "reason": refund.reason,
        "status": refund.status.wooshpay_name(),
        "description": refund.description,
        "failure_reason": failure_reason,
    })
}
