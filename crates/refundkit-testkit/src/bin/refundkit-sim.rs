//! `refundkit-sim`: the UQPay and WooshPay simulators as a process, for
//! tests in any language. Prints one line per provider once listening, then
//! the credentials in effect (secrets masked), the seeded payments and, when
//! `--idempotency-window-ms` is given, the window; then one line per
//! `--fault`, the `--settle` mode when given, and a line of `export ...` to
//! paste into a shell; runs until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use refundkit_core::{Money, ProviderId};
use refundkit_testkit::{
    mask_secret, Calls, Fault, PaymentSeed, ProviderSim, Route, SettleMode, Simulator,
    SupersededAnswer, DEFAULT_UQPAY_API_KEY, DEFAULT_UQPAY_CLIENT_ID, DEFAULT_WOOSHPAY_SECRET_KEY,
    UQPAY, WOOSHPAY,
};

/// A scripted fault: `[PROVIDER:]ROUTE:CALL:FAULT[:ARG]`.
#[derive(Debug, Clone)]
struct FaultArg {
    /// `None`: both providers.
    provider: Option<ProviderId>,
    route: Route,
    calls: Calls,
    fault: Fault,
}

const FAULT_FORMAT: &str = "expected [PROVIDER:]ROUTE:CALL:FAULT[:ARG], e.g. create_refund:2:server_error:503 or wooshpay:create_refund:every:slow_commit:200";

fn parse_route(text: &str) -> Result<Route, String> {
    Ok(match text {
        "token" => Route::Token,
        "get_payment" => Route::GetPayment,
        "create_refund" => Route::CreateRefund,
        "get_refund" => Route::GetRefund,
        "list_refunds" => Route::ListRefunds,
        other => {
            return Err(format!(
                "unknown route {other:?}: token, get_payment, create_refund, get_refund or list_refunds"
            ))
        }
    })
}

fn parse_calls(text: &str) -> Result<Calls, String> {
    if text == "every" {
        return Ok(Calls::Every);
    }
    match text.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(Calls::Nth(n)),
        _ => Err(format!(
            "call {text:?} is not a call number from 1 or `every`"
        )),
    }
}

fn parse_fault_kind(name: &str, arg: Option<&str>) -> Result<Fault, String> {
    let number = |default: u64| -> Result<u64, String> {
        match arg {
            None => Ok(default),
            Some(text) => text
                .parse::<u64>()
                .map_err(|_| format!("{name}: {text:?} is not a whole number")),
        }
    };
    let status = |default: u16| -> Result<u16, String> {
        let value = number(u64::from(default))?;
        u16::try_from(value)
            .ok()
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| format!("{name}: {value} is not an HTTP status"))
    };
    let needs_ms = || -> Result<Duration, String> {
        match arg {
            None => Err(format!(
                "{name} needs a delay in milliseconds, e.g. {name}:200"
            )),
            Some(_) => Ok(Duration::from_millis(number(0)?)),
        }
    };
    let fault = match name {
        "server_error" => {
            let status = status(503)?;
            if status < 500 {
                return Err(format!("server_error: {status} is not a 5xx status"));
            }
            Fault::ServerError(status)
        }
        "rate_limited" => Fault::RateLimited {
            retry_after_secs: number(1)?,
        },
        "malformed_json" => Fault::MalformedJson {
            status: status(200)?,
        },
        "html" => Fault::Html {
            status: status(502)?,
        },
        "empty_body" => Fault::EmptyBody {
            status: status(200)?,
        },
        "delay_response" => Fault::DelayResponse(needs_ms()?),
        "slow_commit" => Fault::SlowCommit(needs_ms()?),
        "commit_then_drop" | "drop_unprocessed" if arg.is_some() => {
            return Err(format!("{name} takes no argument"))
        }
        "commit_then_drop" => Fault::CommitThenDrop,
        "drop_unprocessed" => Fault::DropUnprocessed,
        other => {
            return Err(format!(
                "unknown fault {other:?}: server_error[:STATUS], rate_limited[:SECS], malformed_json[:STATUS], html[:STATUS], empty_body[:STATUS], delay_response:MS, slow_commit:MS, commit_then_drop, drop_unprocessed"
            ))
        }
    };
    Ok(fault)
}

fn parse_fault(text: &str) -> Result<FaultArg, String> {
    let mut parts: Vec<&str> = text.split(':').map(str::trim).collect();
    let provider = parts.first().and_then(|p| simulated(p));
    if provider.is_some() {
        parts.remove(0);
    }
    let (route, calls, fault, arg) = match parts.as_slice() {
        [route, calls, fault] => (*route, *calls, *fault, None),
        [route, calls, fault, arg] => (*route, *calls, *fault, Some(*arg)),
        _ => return Err(FAULT_FORMAT.into()),
    };
    Ok(FaultArg {
        provider,
        route: parse_route(route)?,
        calls: parse_calls(calls)?,
        fault: parse_fault_kind(fault, arg)?,
    })
}

/// How refunds settle: `instant`, or `pending:WAIT[:succeeded|failed|reversed]`.
#[derive(Debug, Clone)]
struct SettleArg {
    mode: SettleMode,
    /// How refunds of the `--payment` payments end.
    outcome: Outcome,
    text: String,
}

/// The end state of the `--payment` payments' refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    Failed,
    /// UQPay `REVERSAL_SUCCEEDED`; WooshPay, which has no reversal, `failed`.
    Reversed,
}

const SETTLE_FORMAT: &str =
    "expected instant or pending:WAIT[:succeeded|failed|reversed], WAIT as 5s, 500ms or 3reads";

fn parse_settle(text: &str) -> Result<SettleArg, String> {
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    let (mode, outcome) = match parts.as_slice() {
        ["instant"] => (SettleMode::Instant, None),
        ["instant", outcome] => (SettleMode::Instant, Some(*outcome)),
        ["pending", wait] => (parse_wait(wait)?, None),
        ["pending", wait, outcome] => (parse_wait(wait)?, Some(*outcome)),
        _ => return Err(SETTLE_FORMAT.into()),
    };
    let outcome = match outcome {
        None | Some("succeeded") => Outcome::Succeeded,
        Some("failed") => Outcome::Failed,
        Some("reversed") => Outcome::Reversed,
        Some(other) => return Err(format!("{other:?} is not succeeded, failed or reversed")),
    };
    Ok(SettleArg {
        mode,
        outcome,
        text: text.to_string(),
    })
}

fn parse_wait(text: &str) -> Result<SettleMode, String> {
    let number = |digits: &str| {
        digits
            .parse::<u64>()
            .map_err(|_| format!("{text:?}: {SETTLE_FORMAT}"))
    };
    if let Some(reads) = text.strip_suffix("reads") {
        let reads =
            u32::try_from(number(reads)?).map_err(|_| format!("{text:?}: too many reads"))?;
        return Ok(SettleMode::AfterReads(reads));
    }
    if let Some(ms) = text.strip_suffix("ms") {
        return Ok(SettleMode::AfterDelay(Duration::from_millis(number(ms)?)));
    }
    if let Some(seconds) = text.strip_suffix('s') {
        return Ok(SettleMode::AfterDelay(Duration::from_secs(number(
            seconds,
        )?)));
    }
    Err(format!("{text:?}: {SETTLE_FORMAT}"))
}

/// A shell word: the text in single quotes unless it is plain.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The `export` line for `sim`: its own test credentials in full; a
/// credential given on the command line is not repeated (a placeholder
/// names the flag instead).
fn export_line(sim: &Simulator) -> String {
    let shown = |value: &str, default: &str, flag: &str| {
        if value == default {
            shell_word(value)
        } else {
            format!("\"<the {flag} you gave>\"")
        }
    };
    format!(
        "export UQPAY_CLIENT_ID={} UQPAY_API_KEY={} UQPAY_BASE_URL={} WOOSHPAY_SECRET_KEY={} WOOSHPAY_BASE_URL={}",
        shell_word(sim.uqpay_client_id()),
        shown(sim.uqpay_api_key(), DEFAULT_UQPAY_API_KEY, "--uqpay-api-key"),
        shell_word(&sim.uqpay_base_url()),
        shown(
            sim.wooshpay_secret_key(),
            DEFAULT_WOOSHPAY_SECRET_KEY,
            "--wooshpay-secret-key"
        ),
        shell_word(&sim.wooshpay_base_url()),
    )
}

/// A payment to seed: `PROVIDER:ID:CURRENCY:AMOUNT` (empty ID = generated).
#[derive(Debug, Clone)]
struct PaymentArg {
    provider: ProviderId,
    id: Option<String>,
    amount: Money,
}

fn parse_payment(text: &str) -> Result<PaymentArg, String> {
    let parts: Vec<&str> = text.splitn(4, ':').collect();
    let [provider, id, currency, amount] = parts.as_slice() else {
        return Err("expected PROVIDER:ID:CURRENCY:AMOUNT, e.g. uqpay:PI123:USD:100.00".into());
    };
    let provider = simulated(provider)
        .ok_or_else(|| format!("unknown provider {provider:?} (uqpay or wooshpay)"))?;
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
///
/// Once listening, prints on stdout: `uqpay URL`, `wooshpay URL`, the
/// credentials accepted (secrets masked), one `payment PROVIDER ID CURRENCY
/// AMOUNT` line per --payment, `idempotency_window_ms MS` when that flag is
/// given, one `fault PROVIDER ROUTE ...` line per scripted fault and
/// provider, `settle MODE` when --settle is given, and last a line of
/// `export UQPAY_CLIENT_ID=... UQPAY_API_KEY=... UQPAY_BASE_URL=...
/// WOOSHPAY_SECRET_KEY=... WOOSHPAY_BASE_URL=...` to paste into a shell (the
/// simulator's own test credentials in full; a key given with a flag is not
/// repeated). Runs until Ctrl-C or SIGTERM.
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
    /// Script a fault (repeat for more): `[PROVIDER:]ROUTE:CALL:FAULT[:ARG]`.
    /// PROVIDER uqpay or wooshpay (default both); ROUTE token, get_payment,
    /// create_refund, get_refund, list_refunds; CALL the route's call number
    /// from 1 (counting every request on it) or `every`; FAULT
    /// `server_error[:STATUS]` (503), `rate_limited[:SECS]` (1),
    /// `malformed_json[:STATUS]` (200), `html[:STATUS]` (502),
    /// `empty_body[:STATUS]` (200), delay_response:MS, slow_commit:MS,
    /// commit_then_drop, drop_unprocessed. E.g. create_refund:2:server_error:503.
    #[arg(long = "fault", value_name = "[PROVIDER:]ROUTE:CALL:FAULT[:ARG]", value_parser = parse_fault)]
    faults: Vec<FaultArg>,
    /// How refunds settle at both providers: `instant` (default: final in
    /// the create's answer) or pending:WAIT[:succeeded|failed|reversed] —
    /// pending until WAIT has passed (5s, 500ms) or for WAIT reads (3reads),
    /// then succeeded (default) or, for the --payment payments, failed or
    /// reversed (UQPay REVERSAL_SUCCEEDED; WooshPay, which has no reversal
    /// status, failed).
    #[arg(long, value_name = "instant|pending:WAIT[:succeeded|failed|reversed]", value_parser = parse_settle)]
    settle: Option<SettleArg>,
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

/// The simulated provider named `name` (any case), if one is simulated.
fn simulated(name: &str) -> Option<ProviderId> {
    name.parse()
        .ok()
        .filter(|id| [UQPAY, WOOSHPAY].contains(id))
}

fn seed(sim: &Simulator, payment: &PaymentArg, outcome: Outcome) -> (String, ProviderId) {
    let name = payment.provider;
    let provider: &ProviderSim = match sim.provider(name) {
        Some(provider) => provider,
        None => sim.uqpay(),
    };
    let mut seed = PaymentSeed::captured(payment.amount);
    if let Some(id) = &payment.id {
        seed = seed.id(id.clone());
    }
    seed = match outcome {
        Outcome::Succeeded => seed,
        Outcome::Failed => seed.failing_refunds(),
        Outcome::Reversed => seed.reversing_refunds(),
    };
    (provider.seed_payment(seed), name)
}

/// A line on stdout. A reader that has gone (a test that read the first
/// lines and closed the pipe) does not stop the simulators.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, $($arg)*);
        let _ = stdout.flush();
    }};
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
    if let Some(settle) = &args.settle {
        builder = builder.settle_mode(settle.mode);
    }
    let started = builder.start().await;
    let sim = match started {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!("refundkit-sim: {error}");
            return ExitCode::FAILURE;
        }
    };
    say!("uqpay {}", sim.uqpay_base_url());
    say!("wooshpay {}", sim.wooshpay_base_url());
    say!(
        "credentials uqpay client_id={} api_key={}",
        sim.uqpay_client_id(),
        mask_secret(sim.uqpay_api_key())
    );
    say!(
        "credentials wooshpay secret_key={}",
        mask_secret(sim.wooshpay_secret_key())
    );
    for payment in &args.payments {
        let outcome = args
            .settle
            .as_ref()
            .map_or(Outcome::Succeeded, |s| s.outcome);
        let (id, provider) = seed(&sim, payment, outcome);
        say!(
            "payment {provider} {id} {} {}",
            payment.amount.currency(),
            payment.amount.to_major_string()
        );
    }
    // Printed last (and only when set), after the lines scripts already read.
    if args.idempotency_window_ms.is_some() {
        say!(
            "idempotency_window_ms {}",
            sim.uqpay().idempotency_window().as_millis()
        );
    }
    for fault in &args.faults {
        let targets: Vec<(&ProviderSim, ProviderId)> = sim
            .providers()
            .filter(|provider| fault.provider.is_none_or(|id| provider.id() == id))
            .map(|provider| (provider, provider.id()))
            .collect();
        for (provider, name) in targets {
            provider.inject_fault(fault.route, fault.calls, fault.fault);
            let calls = match fault.calls {
                Calls::Nth(n) => format!("call {n}"),
                _ => "every call".to_string(),
            };
            say!(
                "fault {name} {} {calls}: {}",
                fault.route.as_str(),
                fault.fault
            );
        }
    }
    if let Some(settle) = &args.settle {
        say!("settle {}", settle.text);
    }
    say!("{}", export_line(&sim));
    wait_for_stop().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_args_parse_and_refuse_garbage() {
        let p = parse_payment("uqpay:PI123:USD:100.00").unwrap();
        assert_eq!(p.provider, UQPAY);
        assert_eq!(p.id.as_deref(), Some("PI123"));
        assert_eq!(p.amount, Money::parse("100", "USD").unwrap());
        assert!(parse_payment("wooshpay::JPY:1000").unwrap().id.is_none());
        assert!(parse_payment("stripe:x:USD:1").is_err());
        assert!(parse_payment("uqpay:x:USD:1.001").is_err());
        assert!(parse_payment("uqpay:x:USD").is_err());
        assert!(parse_payment("uqpay:x:USD:0").is_err());
    }

    #[test]
    fn settle_and_fault_args_parse() {
        let settle = parse_settle("pending:5s:failed").unwrap();
        assert_eq!(settle.mode, SettleMode::AfterDelay(Duration::from_secs(5)));
        assert_eq!(settle.outcome, Outcome::Failed);
        let settle = parse_settle("pending:250ms").unwrap();
        assert_eq!(
            settle.mode,
            SettleMode::AfterDelay(Duration::from_millis(250))
        );
        assert_eq!(settle.outcome, Outcome::Succeeded);
        let settle = parse_settle("pending:2s:reversed").unwrap();
        assert_eq!(settle.mode, SettleMode::AfterDelay(Duration::from_secs(2)));
        assert_eq!(settle.outcome, Outcome::Reversed);
        assert_eq!(
            parse_settle("pending:3reads:succeeded").unwrap().mode,
            SettleMode::AfterReads(3)
        );
        assert_eq!(parse_settle("instant").unwrap().mode, SettleMode::Instant);
        assert!(parse_settle("later").is_err());
        assert!(parse_settle("pending:1s:refunded").is_err());

        let fault = parse_fault("create_refund:2:server_error:503").unwrap();
        assert_eq!(fault.provider, None);
        assert_eq!(fault.route, Route::CreateRefund);
        assert_eq!(fault.calls, Calls::Nth(2));
        assert_eq!(fault.fault, Fault::ServerError(503));
        let fault = parse_fault("WooshPay:create_refund:every:slow_commit:200").unwrap();
        assert_eq!(fault.provider, Some(WOOSHPAY));
        assert_eq!(fault.calls, Calls::Every);
        assert_eq!(fault.fault, Fault::SlowCommit(Duration::from_millis(200)));
        assert_eq!(
            parse_fault("token:1:rate_limited").unwrap().fault,
            Fault::RateLimited {
                retry_after_secs: 1
            }
        );
        assert!(parse_fault("create_refund:1:commit_then_drop:5").is_err());
        assert!(parse_fault("create_refund").is_err());
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(
            shell_word("http://127.0.0.1:1/api"),
            "http://127.0.0.1:1/api"
        );
        assert_eq!(shell_word("a b'c"), "'a b'\\''c'");
    }
}
