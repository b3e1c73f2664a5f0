use refundkit::toolkit::descriptor::ProviderDescriptor;
use refundkit::{RefundAmount, RefundReason, RefundRef, RefundRequest, Refunds, RefundsConfig};
use refundkit_example_ledger::{DESCRIPTOR, LEDGER};
use refundkit_testkit::{Simulator, UQPAY};
use serde_json::json;

use crate::fake_ledger::{FakeLedger, API_KEY};
use crate::{lookup_in, partial, usd};

/// What a merchant passes: the built-in providers plus theirs.
fn descriptors() -> Vec<&'static dyn ProviderDescriptor> {
    let mut all = refundkit::builtin_providers().to_vec();
    all.push(&DESCRIPTOR);
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_refs_route_to_the_ledger_and_uqpay_refs_to_uqpay() {
    let sim = Simulator::start().await.unwrap();
    let ledger = FakeLedger::start().await;
    let mut variables = sim.uqpay().variables();
    variables.extend(ledger.variables());
    variables.push(("REFUNDKIT_PROVIDER", "ledger".into()));
    let refunds = Refunds::from_lookup_with(&descriptors(), lookup_in(variables)).unwrap();
    let providers: Vec<_> = refunds.providers().collect();
    assert!(
        providers.contains(&LEDGER) && providers.contains(&UQPAY),
        "{providers:?}"
    );
    assert_eq!(refunds.default_provider(), Some(LEDGER));

    let at_ledger = ledger.seed(usd("20.00"));
    let booked = refunds
        .create_refund(&partial(&at_ledger, "7.25"))
        .await
        .unwrap();
    let at_uqpay = sim.uqpay().seed_captured(usd("20.00"));
    let request = partial(&at_uqpay, "3.00");
    let elsewhere = refunds.create_refund_at(UQPAY, &request).await.unwrap();

    // What the merchant stores with each order, read back later.
    for (made, prefix) in [(&booked, "ledger:lr_"), (&elsewhere, "uqpay:")] {
        let stored = made.refund_ref().to_string();
        assert!(stored.starts_with(prefix), "{stored}");
        let read = refunds
            .get_refund(&stored.parse::<RefundRef>().unwrap())
            .await
            .unwrap();
        assert_eq!(
            (read.provider, &read.id, read.amount),
            (made.provider, &made.id, made.amount)
        );
    }
    assert_eq!(ledger.refund_ids_for(&at_ledger), [booked.id.to_string()]);
    assert_eq!(sim.uqpay().refund_count(), 1);
}

#[tokio::test]
async fn a_config_file_section_named_ledger_builds_the_ledger_client() {
    let ledger = FakeLedger::start().await;
    let section =
        json!({"default": "ledger", "ledger": {"url": ledger.base_url(), "api_key": API_KEY}});
    let config: RefundsConfig = serde_json::from_value(section.clone()).unwrap();
    let refunds = Refunds::from_config_with(&descriptors(), config).unwrap();
    let payment = ledger.seed(usd("5.00"));
    let request = RefundRequest::builder(
        payment.as_str(),
        RefundAmount::Full,
        RefundReason::Duplicate,
    )
    .build()
    .unwrap();
    assert_eq!(
        refunds.create_refund(&request).await.unwrap().amount,
        usd("5.00")
    );

    // Without its descriptor, the section names a provider refundkit does not know.
    let config: RefundsConfig = serde_json::from_value(section).unwrap();
    let unknown = Refunds::from_config(config).unwrap_err().to_string();
    assert!(
        unknown.contains("not compiled in") && !unknown.contains(API_KEY),
        "{unknown}"
    );
}
