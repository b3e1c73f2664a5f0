//! Refund event bodies shaped like each provider's documentation.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::model::{SimRefund, SimRefundStatus};
use crate::sim::{uqpay, wooshpay};
use crate::util::new_id;

/// UQPay's refund event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UqPayRefundEvent {
    /// `acquiring.refund.created`
    Created,
    /// `acquiring.refund.succeeded`
    Succeeded,
    /// `acquiring.refund.failed`
    Failed,
}

impl UqPayRefundEvent {
    /// The `event_type` value.
    pub fn event_type(self) -> &'static str {
        match self {
            UqPayRefundEvent::Created => "acquiring.refund.created",
            UqPayRefundEvent::Succeeded => "acquiring.refund.succeeded",
            UqPayRefundEvent::Failed => "acquiring.refund.failed",
        }
    }

    /// The event a refund's current status calls for. UQPay documents no
    /// reversal event: a reversed refund (no longer in effect) is sent as
    /// `failed`, its data saying `REVERSAL_SUCCEEDED`.
    pub fn for_status(status: SimRefundStatus) -> Self {
        match status {
            SimRefundStatus::Pending => UqPayRefundEvent::Created,
            SimRefundStatus::Succeeded => UqPayRefundEvent::Succeeded,
            SimRefundStatus::Failed | SimRefundStatus::Reversed => UqPayRefundEvent::Failed,
        }
    }
}

/// A UQPay refund event: `version`, `event_name: "ACQUIRING"`, `event_type`,
/// a fresh UUID `event_id`, `source_id` (the refund id) and `data` (the
/// refund with `payment_intent_id` and `complete_time`).
pub fn uqpay_refund_event(event: UqPayRefundEvent, refund: &SimRefund) -> Value {
    json!({
        "version": "V1.6.0",
        "event_name": "ACQUIRING",
        "event_type": event.event_type(),
        "event_id": uuid::Uuid::new_v4().to_string(),
        "source_id": refund.id,
        "data": uqpay::render::refund_event_data(refund),
    })
}

/// A WooshPay event of type `charge.refund.updated` whose `data.object` is
/// the refund.
pub fn wooshpay_refund_event(refund: &SimRefund) -> Value {
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    json!({
        "id": new_id("evt_"),
        "object": "event",
        "api_version": "1.0.1",
        "created": created,
        "type": "charge.refund.updated",
        "livemode": false,
        "request": {"id": null, "idempotency_key": null},
        "data": {"object": wooshpay::render::refund(refund)},
    })
}
