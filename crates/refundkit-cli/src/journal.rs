//! The journaled commands: `create --journal`, `reconcile`, `history`.

use std::fmt::Write as _;

use refundkit::journal::{HistoryEntry, Journal, JournalEntry, JournaledRefunds, ReconcileOptions};
use refundkit::{Money, PollPolicy, RefundError, ValidationError};
use serde::Serialize;

use crate::args::{CreateArgs, HistoryArgs, ReconcileArgs};
use crate::commands::{build_request, key_of, Created, Failure, Printed};

async fn open(url: Option<&str>) -> Result<Journal, Failure> {
    let url = url.ok_or_else(|| {
        Failure::from(RefundError::Config(
            "this command needs a journal: set --journal URL or REFUNDKIT_JOURNAL".into(),
        ))
    })?;
    Ok(Journal::open(url).await?)
}

async fn journaled(url: Option<&str>) -> Result<JournaledRefunds, Failure> {
    let journal = open(url).await?;
    Ok(crate::environment::refunds()?.journaled(journal))
}

/// `create` (and `recover`) with `--journal`: recorded first, reserved
/// against `--ceiling`, sent once.
pub async fn create(args: CreateArgs, url: &str) -> Result<Printed, Failure> {
    let key = key_of(&args)?;
    let request = build_request(&args, key).map_err(|e| Failure::from(e).with_key(key))?;
    let ceiling = match (&args.ceiling, &args.currency) {
        (Some(ceiling), Some(currency)) => Money::parse(ceiling, currency)
            .map_err(|e| Failure::from(ValidationError::money("ceiling", e)).with_key(key))?,
        _ => {
            return Err(Failure::from(ValidationError::new(
                "ceiling",
                "a journaled create needs --amount with --currency and --ceiling \
                 (the most the payment's refunds may add up to)",
            ))
            .with_key(key))
        }
    };
    let refunds = journaled(Some(url)).await.map_err(|f| f.with_key(key))?;
    let refund = refunds
        .create_refund_at(args.provider, &request, ceiling)
        .await
        .map_err(|e| Failure::from(e).with_key(key))?;
    Ok(Printed::Created(Box::new(Created {
        refund,
        idempotency_key: key,
        reference: request.merchant_reference().map(str::to_string),
        namespace: request.merchant_reference().map(|_| args.namespace.clone()),
    })))
}

/// `reconcile` output.
#[derive(Debug, Serialize)]
pub struct ReconcileOutput {
    /// Rows the sweep claimed.
    pub claimed: usize,
    /// Rows that ended finished.
    pub resolved: usize,
    /// Rows still unfinished (pending, or a call failed).
    pub unfinished: usize,
    /// Each row: key, from, to, error.
    pub rows: Vec<refundkit::journal::Reconciled>,
}

pub async fn reconcile(args: ReconcileArgs, url: Option<&str>) -> Result<Printed, Failure> {
    let refunds = journaled(url).await?;
    let mut options = ReconcileOptions::older_than(args.older_than.unwrap_or_default());
    if let Some(wait) = args.wait {
        options = options.poll(PollPolicy::default().with_timeout(wait));
    }
    let report = refunds.reconcile_with(options).await?;
    Ok(Printed::Reconciled(ReconcileOutput {
        claimed: report.rows.len(),
        resolved: report.resolved(),
        unfinished: report.unfinished(),
        rows: report.rows,
    }))
}

/// One journaled refund in `history` output.
#[derive(Debug, Serialize)]
pub struct HistoryRefund {
    idempotency_key: String,
    reference: Option<String>,
    namespace: Option<String>,
    provider: String,
    amount: Money,
    state: String,
    status: Option<String>,
    provider_refund_id: Option<String>,
    attempts: i64,
    last_error_code: Option<String>,
    last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
    history: Vec<HistoryEntry>,
}

/// `history` output.
#[derive(Debug, Serialize)]
pub struct HistoryOutput {
    payment_id: String,
    /// What the payment's refunds that moved or may have moved money add up to.
    refunded: Option<Money>,
    refunds: Vec<HistoryRefund>,
}

fn history_refund(entry: JournalEntry, history: &[HistoryEntry]) -> HistoryRefund {
    let key = entry.idempotency_key.to_string();
    HistoryRefund {
        history: history
            .iter()
            .filter(|h| h.idempotency_key == key)
            .cloned()
            .collect(),
        idempotency_key: key,
        reference: entry.merchant_reference,
        namespace: entry.namespace,
        provider: entry.provider.as_str().to_string(),
        amount: entry.amount,
        state: entry.state.as_str().to_string(),
        status: entry.status.map(|s| s.as_str().to_string()),
        provider_refund_id: entry.provider_refund_id,
        attempts: entry.attempts,
        last_error_code: entry.last_error_code,
        last_error: entry.last_error,
        created_at: entry.created_at,
        updated_at: entry.updated_at,
    }
}

pub async fn history(args: HistoryArgs, url: Option<&str>) -> Result<Printed, Failure> {
    let journal = open(url).await?;
    let summary = journal.payment_refunds(&args.payment).await?;
    let history = journal.payment_history(&args.payment).await?;
    let output = HistoryOutput {
        payment_id: args.payment,
        refunded: summary.refunded,
        refunds: summary
            .refunds
            .into_iter()
            .map(|entry| history_refund(entry, &history))
            .collect(),
    };
    if args.table {
        Ok(Printed::Text(table(&output)))
    } else {
        Ok(Printed::History(output))
    }
}

fn at(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

/// The table `history --table` prints.
pub fn table(output: &HistoryOutput) -> String {
    let mut text = String::new();
    let refunded = output
        .refunded
        .map(|m| m.to_string())
        .unwrap_or_else(|| "nothing".into());
    let _ = writeln!(
        text,
        "payment {}: {} refund(s), refunded {refunded}",
        output.payment_id,
        output.refunds.len()
    );
    let _ = writeln!(
        text,
        "{:<24} {:>16} {:<18} {:<26} {:>3}  KEY",
        "REFERENCE", "AMOUNT", "STATE", "PROVIDER REFUND", "TRY"
    );
    for refund in &output.refunds {
        let _ = writeln!(
            text,
            "{:<24} {:>16} {:<18} {:<26} {:>3}  {}",
            refund.reference.as_deref().unwrap_or("-"),
            refund.amount.to_string(),
            refund.state,
            refund
                .provider_refund_id
                .as_deref()
                .map(|id| format!("{}:{id}", refund.provider))
                .unwrap_or_else(|| "-".into()),
            refund.attempts,
            refund.idempotency_key
        );
        for change in &refund.history {
            let _ = writeln!(
                text,
                "    {}  {} -> {}  ({}{})",
                at(change.at_ms),
                change.from_state.as_deref().unwrap_or("-"),
                change.to_state,
                change.cause,
                change
                    .detail
                    .as_deref()
                    .map(|d| format!(", {d}"))
                    .unwrap_or_default()
            );
        }
    }
    text
}
