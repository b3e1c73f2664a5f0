//! Quickstart: both providers behind one API, against the bundled simulators.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Starts UQPay and WooshPay simulators in this process, seeds a captured
//! 25.00 USD payment at each, refunds 10.01 USD and then the rest through
//! [`Refunds`], reads the refunds back by their `RefundRef`, and prints the
//! normalized results side by side with what went over the wire.

use refundkit::toolkit::transport::TransportConfig;
use refundkit::uqpay::{UqPayClient, UqPayConfig};
use refundkit::wooshpay::{WooshPayClient, WooshPayConfig};
use refundkit::{
    IdempotencyKey, Money, PollPolicy, ProviderId, Refund, RefundAmount, RefundReason,
    RefundRequest, Refunds, SecretString,
};
use refundkit_testkit::{JournalEntry, ProviderSim, Route, Simulator};

type Error = Box<dyn std::error::Error>;

/// What one provider did, for the table.
struct Run {
    provider: ProviderId,
    partial: Refund,
    rest: Refund,
    read_back: Refund,
    create_request: JournalEntry,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sim = Simulator::start().await?;
    println!(
        "simulators: uqpay {} · wooshpay {}\n",
        sim.uqpay_base_url(),
        sim.wooshpay_base_url()
    );

    // Configure both adapters exactly as production code would, only with the
    // simulators' URLs and credentials.
    let uqpay = UqPayConfig::builder(
        sim.uqpay_client_id(),
        SecretString::from(sim.uqpay_api_key()),
    )
    .base_url(&sim.uqpay_base_url())
    .transport(TransportConfig::default())
    .build()?;
    let wooshpay = WooshPayConfig::builder(SecretString::from(sim.wooshpay_secret_key()))
        .base_url(&sim.wooshpay_base_url())
        .build()?;
    let refunds = Refunds::builder()
        .with(UqPayClient::new(uqpay)?)
        .with(WooshPayClient::new(wooshpay)?)
        .default_provider(refundkit::uqpay::PROVIDER)
        .build()?;

    let runs = [
        run(&refunds, refundkit::uqpay::PROVIDER, sim.uqpay()).await?,
        run(&refunds, refundkit::wooshpay::PROVIDER, sim.wooshpay()).await?,
    ];
    print_table(&runs);
    Ok(())
}

/// Seeds a payment, refunds 10.01 USD, then the rest, and reads the first back.
async fn run(refunds: &Refunds, provider: ProviderId, sim: &ProviderSim) -> Result<Run, Error> {
    let payment = sim.seed_captured(Money::parse("25.00", "USD")?);
    let refund = |amount: RefundAmount, step: &str| -> Result<RefundRequest, Error> {
        Ok(
            RefundRequest::builder(&payment, amount, RefundReason::RequestedByCustomer)
                // Derived keys: re-running this step after a crash cannot refund twice.
                .idempotency_key(IdempotencyKey::derive(
                    "quickstart",
                    &format!("{payment}/{step}"),
                )?)
                .metadata("order_id", "order_6789")
                .build()?,
        )
    };

    let partial = refunds
        .create_refund_at(
            provider,
            &refund(
                RefundAmount::Partial(Money::parse("10.01", "USD")?),
                "partial",
            )?,
        )
        .await?;
    let rest = refunds
        .create_refund_at(provider, &refund(RefundAmount::Full, "rest")?)
        .await?;
    // Store the ref; later, route by it without knowing the provider.
    let stored = partial.refund_ref().to_string();
    let read_back = refunds
        .wait_for_final(&stored.parse()?, PollPolicy::default())
        .await?;

    let create_request = sim
        .journal()
        .into_iter()
        .find(|entry| entry.route == Some(Route::CreateRefund))
        .ok_or("the simulator saw no create request")?;
    Ok(Run {
        provider,
        partial,
        rest,
        read_back,
        create_request,
    })
}

fn print_table(runs: &[Run]) {
    let mut rows: Vec<(&str, Vec<String>)> = vec![
        ("normalized", vec![String::new(); runs.len()]),
        (
            "  partial refund ref",
            runs.iter()
                .map(|r| r.partial.refund_ref().to_string())
                .collect(),
        ),
        (
            "  partial amount",
            runs.iter().map(|r| r.partial.amount.to_string()).collect(),
        ),
        (
            "  partial status",
            runs.iter().map(|r| r.partial.status.to_string()).collect(),
        ),
        (
            "  read back by ref",
            runs.iter()
                .map(|r| format!("{} {}", r.read_back.amount, r.read_back.status))
                .collect(),
        ),
        (
            "  full refund of the rest",
            runs.iter().map(|r| r.rest.amount.to_string()).collect(),
        ),
        ("on the wire", vec![String::new(); runs.len()]),
        (
            "  create request amount",
            runs.iter()
                .map(|r| wire_amount(&r.create_request))
                .collect(),
        ),
        (
            "  auth header",
            runs.iter()
                .map(|r| auth_header(&r.create_request))
                .collect(),
        ),
        (
            "  idempotency header",
            runs.iter()
                .map(|r| idempotency_header(&r.create_request))
                .collect(),
        ),
        (
            "  status field",
            runs.iter().map(|r| raw_status(&r.partial)).collect(),
        ),
        (
            "  full refund body",
            runs.iter().map(|r| full_body_note(r.provider)).collect(),
        ),
    ];
    let headers: Vec<String> = runs.iter().map(|r| r.provider.to_string()).collect();
    rows.insert(0, ("", headers));
    let first = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..runs.len())
        .map(|column| {
            rows.iter()
                .map(|(_, cells)| cells[column].len())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (label, cells) in &rows {
        let mut line = format!("{label:<first$}");
        for (cell, width) in cells.iter().zip(&widths) {
            line.push_str(&format!(" │ {cell:<width$}"));
        }
        println!("{}", line.trim_end());
    }
}

fn wire_amount(entry: &JournalEntry) -> String {
    entry
        .json()
        .and_then(|body| body.get("amount").map(|amount| amount.to_string()))
        .unwrap_or_else(|| "(none)".into())
}

fn auth_header(entry: &JournalEntry) -> String {
    ["x-auth-token", "authorization"]
        .iter()
        .find_map(|name| entry.header(name).map(|value| format!("{name}: {value}")))
        .unwrap_or_default()
}

fn idempotency_header(entry: &JournalEntry) -> String {
    ["x-idempotency-key", "idempotency-key"]
        .iter()
        .find(|name| entry.header(name).is_some())
        .map(|name| name.to_string())
        .unwrap_or_default()
}

fn raw_status(refund: &Refund) -> String {
    let raw: serde_json::Value = serde_json::from_str(refund.raw.get()).unwrap_or_default();
    ["refund_status", "status"]
        .iter()
        .find_map(|field| raw.get(*field).map(|value| format!("{field}: {value}")))
        .unwrap_or_default()
}

fn full_body_note(provider: ProviderId) -> String {
    match provider {
        refundkit::uqpay::PROVIDER => "amount resolved from the payment intent".into(),
        _ => "amount omitted".into(),
    }
}
