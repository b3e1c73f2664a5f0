//! Runs one subcommand and returns its JSON output.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, HeaderValue};
use refundkit::{
    IdempotencyKey, ListRefunds, Money, PollPolicy, ProviderId, ProviderOptions, Refund,
    RefundAmount, RefundError, RefundEvent, RefundPage, RefundReason, RefundRef, RefundRequest,
    ValidationError,
};
use serde::Serialize;

use crate::args::{Command, CreateArgs, ReasonArg};
pub use crate::failure::Failure;
use crate::journal;

/// Advice appended to an error's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// What the provider's descriptor says to use instead of an operation
    /// it does not offer (`list --provider wooshpay`).
    Instead(&'static str),
}

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Hint::Instead(text) => f.write_str(text),
        }
    }
}

/// The compiled-in descriptor of `provider` (the argument parser admits
/// only those).
fn descriptor(
    provider: ProviderId,
) -> Result<&'static dyn refundkit::toolkit::descriptor::ProviderDescriptor, Failure> {
    Ok(refundkit::builtin_provider(provider.as_str())?)
}

/// What a successful command prints, as JSON in the documented shapes.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Printed {
    /// A refund made or found by `create` / `recover`, with the key it was
    /// made with and the reference that key came from.
    Created(Box<Created>),
    /// A refund (`get`, `wait`).
    Refund(Box<Refund>),
    /// A page of refunds (`list`).
    Page(RefundPage),
    /// A verified webhook event (`verify-webhook`).
    Event(Box<RefundEvent>),
    /// What a sweep did (`reconcile`).
    Reconciled(journal::ReconcileOutput),
    /// A payment's journaled refunds (`history`).
    History(journal::HistoryOutput),
    /// Text for people (`history --table`).
    Text(String),
}

/// `create` / `recover` output: the refund's JSON plus how its key came about.
#[derive(Debug, Serialize)]
pub struct Created {
    /// The refund.
    #[serde(flatten)]
    pub refund: Refund,
    /// The idempotency key the create carries (retry or recover with it).
    pub idempotency_key: IdempotencyKey,
    /// The `--reference` the key was derived from, if any.
    pub reference: Option<String>,
    /// The namespace of that derivation, with a reference.
    pub namespace: Option<String>,
}

/// Runs `command` and returns what to print; `journal` is `--journal`.
pub async fn run(command: Command, journal: Option<String>) -> Result<Printed, Failure> {
    if let Command::Recover(args) = &command {
        // A fresh key would find nothing and make a second refund.
        if args.idempotency_key.is_none() && args.reference.is_none() {
            return Err(ValidationError::new(
                "reference",
                "recover needs the --reference or --idempotency-key the create used; \
                 without one it would make a new refund",
            )
            .into());
        }
    }
    match command {
        Command::Create(args) | Command::Recover(args) if journal.is_some() => {
            let url = journal.unwrap_or_default();
            journal::create(args, &url).await
        }
        Command::Create(args) => create(args, Mode::Create).await,
        Command::Recover(args) => create(args, Mode::Recover).await,
        Command::Reconcile(args) => journal::reconcile(args, journal.as_deref()).await,
        Command::History(args) => journal::history(args, journal.as_deref()).await,
        Command::Get { reference } => {
            let reference = parse_ref(&reference)?;
            let refund = crate::environment::refunds()?
                .get_refund(&reference)
                .await?;
            Ok(Printed::Refund(Box::new(refund)))
        }
        Command::List {
            provider,
            payment,
            page,
            page_size,
        } => {
            if let Some(instead) = descriptor(provider)?.instead_of("list_refunds") {
                let unsupported = RefundError::Unsupported {
                    provider,
                    operation: "list_refunds",
                };
                return Err(Failure::from(unsupported).with_hint(Hint::Instead(instead)));
            }
            let mut query = ListRefunds::default().page(page).page_size(page_size);
            query.payment_id = payment;
            let page = crate::environment::refunds()?
                .list_refunds(provider, &query)
                .await?;
            Ok(Printed::Page(page))
        }
        Command::Wait { reference, timeout } => wait(&reference, timeout).await,
        Command::VerifyWebhook {
            provider,
            body,
            headers,
            now,
        } => verify_webhook(provider, &body, &headers, now.as_deref()),
        Command::Bulk(_) | Command::Completions { .. } => {
            Err(RefundError::Config("bulk and completions are run by main".into()).into())
        }
    }
}

fn parse_ref(text: &str) -> Result<RefundRef, Failure> {
    Ok(text.parse::<RefundRef>()?)
}

/// Whether `create`'s arguments make a refund or resolve one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Create,
    Recover,
}

/// The key `args` ask for: given, derived from --reference, or fresh.
pub fn key_of(args: &CreateArgs) -> Result<IdempotencyKey, Failure> {
    Ok(match (&args.idempotency_key, &args.reference) {
        (Some(key), _) => IdempotencyKey::parse(key)?,
        (None, Some(reference)) => IdempotencyKey::derive(&args.namespace, reference)?,
        (None, None) => IdempotencyKey::new(),
    })
}

async fn create(args: CreateArgs, mode: Mode) -> Result<Printed, Failure> {
    let key = key_of(&args)?;
    let with_key = |error: RefundError| Failure::from(error).with_key(key);
    // Refused before anything was sent: no key worth printing.
    let request = build_request(&args, key)?;
    let refunds = crate::environment::refunds().map_err(with_key)?;
    let provider = args.provider;
    let refund = match mode {
        Mode::Create => refunds.create_refund_at(provider, &request).await,
        Mode::Recover => refunds.recover_refund_at(provider, &request).await,
    }
    .map_err(with_key)?;
    Ok(Printed::Created(Box::new(Created {
        refund,
        idempotency_key: key,
        reference: request.merchant_reference().map(str::to_string),
        namespace: request.merchant_reference().map(|_| args.namespace.clone()),
    })))
}

/// The request `args` describe, carrying `key` (derived from --reference in
/// --namespace, when given, which the request then stamps).
pub fn build_request(
    args: &CreateArgs,
    key: IdempotencyKey,
) -> Result<RefundRequest, ValidationError> {
    let amount = match (&args.amount, &args.currency, args.full) {
        (Some(amount), Some(currency), false) => RefundAmount::Partial(
            Money::parse(amount, currency).map_err(|e| ValidationError::money("amount", e))?,
        ),
        (None, None, true) => RefundAmount::Full,
        _ => {
            return Err(ValidationError::new(
                "amount",
                "give --amount with --currency, or --full",
            ))
        }
    };
    let reason = match args.reason {
        ReasonArg::Duplicate => RefundReason::Duplicate,
        ReasonArg::Fraudulent => RefundReason::Fraudulent,
        ReasonArg::RequestedByCustomer => RefundReason::RequestedByCustomer,
        ReasonArg::ResolvedDispute => RefundReason::ResolvedDispute,
        ReasonArg::Other => match &args.description {
            Some(text) => RefundReason::Other(text.clone()),
            None => {
                return Err(ValidationError::new(
                    "reason",
                    "--reason other needs --description with the text",
                ))
            }
        },
    };
    let mut builder = RefundRequest::builder(args.payment.clone(), amount, reason);
    builder = match (&args.idempotency_key, &args.reference) {
        (None, Some(reference)) => builder.reference(&args.namespace, reference),
        _ => builder.idempotency_key(key),
    };
    if let (Some(text), false) = (&args.description, args.reason == ReasonArg::Other) {
        builder = builder.description(text.clone());
    }
    for pair in &args.metadata {
        let (name, value) = pair.split_once('=').ok_or_else(|| {
            ValidationError::new("metadata", format!("{pair:?} is not KEY=VALUE"))
        })?;
        builder = builder.metadata(name, value);
    }
    if !args.options.is_empty() {
        let mut options = ProviderOptions::new(args.provider);
        for pair in &args.options {
            // The value is not quoted: an option may hold an account id.
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| ValidationError::new("option", "must be NAME=VALUE"))?;
            options = options.with(name.trim(), value);
        }
        builder = builder.provider_options(options);
    }
    builder.build()
}

async fn wait(reference: &str, timeout: u64) -> Result<Printed, Failure> {
    let reference = parse_ref(reference)?;
    let refunds = crate::environment::refunds()?;
    let policy = PollPolicy::default().with_timeout(Duration::from_secs(timeout));
    let started = Instant::now();
    let show_progress = std::io::stderr().is_terminal();
    let mut progress = |refund: &Refund| {
        if show_progress {
            eprint!(
                "\rwaiting for {}: {} after {} s   ",
                refund.refund_ref(),
                refund.status,
                started.elapsed().as_secs()
            );
        }
    };
    let result = refunds
        .wait_for_final_with_progress(&reference, policy, &mut progress)
        .await;
    if show_progress {
        eprintln!();
    }
    Ok(Printed::Refund(Box::new(result?)))
}

/// `--now`: RFC 3339 or Unix seconds.
fn parse_now(text: &str) -> Result<time::OffsetDateTime, ValidationError> {
    let text = text.trim();
    let unix = text
        .parse::<i64>()
        .ok()
        .and_then(|seconds| time::OffsetDateTime::from_unix_timestamp(seconds).ok());
    let rfc3339 =
        || time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok();
    unix.or_else(rfc3339)
        .ok_or_else(|| ValidationError::new("now", "must be an RFC 3339 time or Unix seconds"))
}

fn verify_webhook(
    provider: ProviderId,
    body_path: &std::path::Path,
    header_lines: &[String],
    now: Option<&str>,
) -> Result<Printed, Failure> {
    let now = match now {
        Some(text) => parse_now(text)?,
        None => time::OffsetDateTime::now_utc(),
    };
    let body = std::fs::read(body_path).map_err(|e| {
        ValidationError::new("body", format!("cannot read {}: {e}", body_path.display()))
    })?;
    let mut headers = HeaderMap::new();
    for line in header_lines {
        let (name, value) = line.split_once(':').ok_or_else(|| {
            ValidationError::new("header", format!("{line:?} is not 'Name: value'"))
        })?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
            ValidationError::new("header", format!("{name:?} is not a header name"))
        })?;
        let value = HeaderValue::from_str(value.trim()).map_err(|_| {
            ValidationError::new("header", format!("value of {name} is not header text"))
        })?;
        headers.append(name, value);
    }
    let event = refundkit::webhooks::verify_from_env_at(provider, &headers, &body, now)?;
    Ok(Printed::Event(Box::new(event)))
}
