//! `refundkit-sim`: the UQPay and WooshPay simulators as a process, for
//! tests in any language. Prints one line per provider once listening, then
//! the credentials in effect (secrets masked), the seeded payments and, when
//! `--idempotency-window-ms` is given, the window; runs until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use refundkit_core::{Money, ProviderKind};
use refundkit_testkit::{
    mask_secret, PaymentSeed, ProviderSim, Simulator, SupersededAnswer, DEFAULT_UQPAY_API_KEY,
    DEFAULT_UQPAY_CLIENT_ID, DEFAULT_WOOSHPAY_SECRET_KEY,
};

/// A payment to seed: `PROVIDER:ID:CURRENCY:AMOUNT` (empty ID = generated).
#[derive(Debug, Clone)]
struct PaymentArg {
    provider: ProviderKind,
    id: Option<String>,
    amount: Money,
}

fn parse_payment(text: &str) -> Result<PaymentArg, String> {
    let parts: Vec<&str> = text.splitn(4, ':').collect();
    let [provider, id, currency, amount] = parts.as_slice() else {
        return Err("expected PROVIDER:ID:CURRENCY:AMOUNT, e.g. uqpay:PI123:USD:100.00".into());
    };
    let provider = match provider.to_ascii_lowercase().as_str() {
        "uqpay" => ProviderKind::UqPay,
        "wooshpay" => ProviderKind::WooshPay,
        other => return Err(format!("unknown provider {other:?} (uqpay or wooshpay)")),
    };
    let amount = Money::parse(amount, currency).map_err(|e| e.to_string())?;
    if !amount.is_positive() {
        return Err("the amount must be above zero".into());
    }
    let id = (!id.is_empty()).then(|| id.to_string());
    Ok(PaymentArg {
        provider,
        id,
        amount,
    })
}

/// What a superseded UQPay token gets (both wordings are seen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SupersededArg {
    /// `invalid auth token`.
    InvalidAuthToken,
    /// `token has expired`.
    TokenHasExpired,
}

/// Stateful UQPay and WooshPay simulators with fault injection.
#[derive(Debug, Parser)]
#[command(name = "refundkit-sim", version)]
struct Args {
    /// UQPay port (0 = any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    uqpay_port: u16,
    /// WooshPay port (0 = any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    wooshpay_port: u16,
    /// UQPay client id (`x-client-id`) accepted.
    #[arg(long, value_name = "ID", default_value = DEFAULT_UQPAY_CLIENT_ID)]
    uqpay_client_id: String,
    /// UQPay API key (`x-api-key`) accepted.
    #[arg(long, value_name = "KEY", default_value = DEFAULT_UQPAY_API_KEY)]
    uqpay_api_key: String,
    /// WooshPay secret key (HTTP Basic user) accepted.
    #[arg(long, value_name = "sk_test_...", default_value = DEFAULT_WOOSHPAY_SECRET_KEY)]
    wooshpay_secret_key: String,
    /// The 401 a UQPay token superseded by a newer mint gets.
    #[arg(long, value_enum, default_value_t = SupersededArg::InvalidAuthToken)]
    uqpay_superseded_answer: SupersededArg,
    /// Seed a captured payment: PROVIDER:ID:CURRENCY:AMOUNT with AMOUNT in
    /// major units (e.g. uqpay:PI123:USD:100.00); an empty ID is generated.
    #[arg(long = "payment", value_name = "PROVIDER:ID:CURRENCY:AMOUNT", value_parser = parse_payment)]
    payments: Vec<PaymentArg>,
    /// How long both providers remember an idempotency key, in milliseconds
    /// (default 86400000: 24 hours). After it, the same key makes a new
    /// refund, as at a provider that has forgotten the key.
    #[arg(long, value_name = "MS")]
    idempotency_window_ms: Option<u64>,
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn seed(sim: &Simulator, payment: &PaymentArg) -> (String, &'static str) {
    let (provider, name): (&ProviderSim, _) = match payment.provider {
        ProviderKind::UqPay => (sim.uqpay(), "uqpay"),
        _ => (sim.wooshpay(), "wooshpay"),
    };
    let mut seed = PaymentSeed::captured(payment.amount);
    if let Some(id) = &payment.id {
        seed = seed.id(id.clone());
    }
    (provider.seed_payment(seed), name)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut builder = Simulator::builder()
        .uqpay_port(args.uqpay_port)
        .wooshpay_port(args.wooshpay_port)
        .uqpay_credentials(&args.uqpay_client_id, &args.uqpay_api_key)
        .wooshpay_secret_key(&args.wooshpay_secret_key)
        .uqpay_superseded_answer(match args.uqpay_superseded_answer {
            SupersededArg::InvalidAuthToken => SupersededAnswer::InvalidAuthToken,
            SupersededArg::TokenHasExpired => SupersededAnswer::TokenHasExpired,
        });
    if let Some(ms) = args.idempotency_window_ms {
        builder = builder.idempotency_window(Duration::from_millis(ms));
    }
    let started = builder.start().await;
    let sim = match started {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!("refundkit-sim: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("uqpay {}", sim.uqpay_base_url());
    println!("wooshpay {}", sim.wooshpay_base_url());
    println!(
        "credentials uqpay client_id={} api_key={}",
        sim.uqpay_client_id(),
        mask_secret(sim.uqpay_api_key())
    );
    println!(
        "credentials wooshpay secret_key={}",
        mask_secret(sim.wooshpay_secret_key())
    );
    for payment in &args.payments {
        let (id, provider) = seed(&sim, payment);
        println!(
            "payment {provider} {id} {} {}",
            payment.amount.currency(),
            payment.amount.to_major_string()
        );
    }
    // Printed last (and only when set), after the lines scripts already read.
    if args.idempotency_window_ms.is_some() {
        println!(
            "idempotency_window_ms {}",
            sim.uqpay().idempotency_window().as_millis()
        );
    }
    wait_for_stop().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_args_parse_and_refuse_garbage() {
        let p = parse_payment("uqpay:PI123:USD:100.00").unwrap();
        assert_eq!(p.provider, ProviderKind::UqPay);
        assert_eq!(p.id.as_deref(), Some("PI123"));
        assert_eq!(p.amount, Money::parse("100", "USD").unwrap());
        assert!(parse_payment("wooshpay::JPY:1000").unwrap().id.is_none());
        assert!(parse_payment("stripe:x:USD:1").is_err());
        assert!(parse_payment("uqpay:x:USD:1.001").is_err());
        assert!(parse_payment("uqpay:x:USD").is_err());
        assert!(parse_payment("uqpay:x:USD:0").is_err());
    }
}
