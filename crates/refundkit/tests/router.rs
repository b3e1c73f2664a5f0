//! `Refunds` conveniences against the simulators: a payment's refunds and
//! refunded total in one call, bulk creates, cancel where unsupported.
#![cfg(feature = "uqpay")]

use futures::StreamExt;
use refundkit::{Money, RefundAmount, RefundError, RefundReason, RefundRequest, Refunds};
use refundkit_testkit::Simulator;

fn refunds_for(sim: &Simulator) -> Refunds {
    let env = [
        ("UQPAY_CLIENT_ID", sim.uqpay_client_id().to_string()),
        ("UQPAY_API_KEY", sim.uqpay_api_key().to_string()),
        ("UQPAY_BASE_URL", sim.uqpay_base_url()),
    ];
    Refunds::from_lookup(|name| {
        env.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    })
    .unwrap()
}

fn request(payment: &str, amount: &str) -> RefundRequest {
    RefundRequest::builder(
        payment,
        RefundAmount::Partial(Money::parse(amount, "USD").unwrap()),
        RefundReason::Duplicate,
    )
    .build()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payments_refunds_and_refunded_total_come_in_one_call() {
    let sim = Simulator::start().await.unwrap();
    let refunds = refunds_for(&sim);
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("100.00", "USD").unwrap());
    let other = sim
        .uqpay()
        .seed_captured(Money::parse("100.00", "USD").unwrap());

    let created: Vec<_> = refunds
        .refund_many(
            vec![
                request(&payment, "10.00"),
                request(&payment, "5.25"),
                request(&other, "1.00"),
            ],
            2,
        )
        .unwrap()
        .collect()
        .await;

    assert!(created.iter().all(Result::is_ok), "{created:?}");
    let listed = refunds
        .payment_refunds(refundkit::uqpay::PROVIDER, &payment)
        .await
        .unwrap();
    assert_eq!(listed.refunds.len(), 2);
    assert_eq!(listed.refunded, vec![Money::parse("15.25", "USD").unwrap()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_where_the_provider_has_none_is_unsupported_and_named() {
    let sim = Simulator::start().await.unwrap();
    let refunds = refunds_for(&sim);
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("100.00", "USD").unwrap());
    let refund = refunds
        .create_refund(&request(&payment, "1"))
        .await
        .unwrap();

    let error = refunds
        .cancel_refund(&refund.refund_ref())
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            RefundError::Unsupported {
                operation: "cancel_refund",
                ..
            }
        ),
        "{error:?}"
    );
}
