//! The ledger provider over real HTTP against a fake ledger service: the
//! public conformance suite, routing beside a built-in provider, recovery
//! after a lost answer, and the adapter's own promises.

mod conformance;
mod contract;
mod fake_ledger;
mod hostile;
mod recovery;
mod routing;

use refundkit::{Money, RefundAmount, RefundReason, RefundRequest};

/// Reads settings from `variables`, as `Refunds::from_lookup_with` does from
/// the environment.
pub fn lookup_in(variables: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |name| {
        let found = variables.iter().find(|(n, _)| *n == name);
        found.map(|(_, value)| value.clone())
    }
}

pub fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

/// A refund of `amount` USD of `payment` with a fresh key.
pub fn partial(payment: &str, amount: &str) -> RefundRequest {
    RefundRequest::builder(
        payment,
        RefundAmount::Partial(usd(amount)),
        RefundReason::RequestedByCustomer,
    )
    .build()
    .unwrap()
}
