//! `refundkit bulk --file refunds.csv|refunds.jsonl`: one refund per row,
//! each keyed by its row's reference, so that running the same file again
//! (after a crash, a kill, Ctrl-C) refunds nothing twice and finishes what
//! was left: every row goes through `recover_refund_at`, which returns the
//! refund already made with the row's key, or makes it with that key.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use futures::StreamExt;
use refundkit::{Refund, RefundError, RefundStatus, Refunds};
use serde_json::Value;

use crate::output::OutputFormat;

mod report;
mod rows;
#[cfg(test)]
mod tests;

use report::*;
pub use rows::FileError;
use rows::*;

/// The columns (CSV header) / keys (JSON lines) of a bulk file.
pub const COLUMNS: [&str; 6] = [
    "provider",
    "payment",
    "amount",
    "currency",
    "reason",
    "reference",
];

/// The file format of `--file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BulkFormat {
    /// Comma-separated values with a header line (line 1).
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// `refundkit bulk` options.
#[derive(Debug, Args)]
pub struct BulkArgs {
    /// The file of refunds: CSV with the header
    /// provider,payment,amount,currency,reason,reference (plus an optional
    /// description column), or JSON lines with those keys. An empty amount
    /// and currency refund what remains of the payment.
    #[arg(long, value_name = "PATH")]
    pub file: PathBuf,
    /// The file's format; by default from its extension (.csv, .jsonl/.ndjson).
    #[arg(long, value_enum)]
    pub format: Option<BulkFormat>,
    /// At most this many refunds in flight at once (1 to 256).
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Validate every row and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The namespace the rows' references are derived in (the library's
    /// default too): the same file in the same namespace makes the same keys.
    #[arg(
        long,
        env = "REFUNDKIT_KEY_NAMESPACE",
        default_value = refundkit::DEFAULT_KEY_NAMESPACE
    )]
    pub namespace: String,
}

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// The refund exists (made now, or found from an earlier run).
    Ok,
    /// Valid, not sent (`--dry-run`).
    Valid,
    /// Not sent: the row is wrong.
    Invalid,
    /// The provider refused.
    Failed,
    /// Unknown whether the refund was made: run the file again.
    Unknown,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Valid => "valid",
            Outcome::Invalid => "invalid",
            Outcome::Failed => "failed",
            Outcome::Unknown => "outcome_unknown",
        }
    }

    fn of(error: &RefundError) -> Self {
        match error {
            RefundError::OutcomeUnknown { .. } => Outcome::Unknown,
            RefundError::Invalid(_) | RefundError::Unsupported { .. } => Outcome::Invalid,
            _ => Outcome::Failed,
        }
    }
}

/// What `bulk` ends with: the exit code, or a failure before any row.
pub enum BulkEnd {
    /// Every row was reported; exit with this code.
    Code(u8),
    /// The file could not be read (exit 2).
    File(FileError),
    /// The configuration is wrong (exit 5).
    Config(RefundError),
}

/// Runs `refundkit bulk`. Rows print as JSON lines whatever `--pretty` says.
pub async fn run(args: BulkArgs, format: OutputFormat) -> BulkEnd {
    let (rows, bad) = match load(&args) {
        Ok(loaded) => loaded,
        Err(error) => return BulkEnd::File(error),
    };
    let refunds = if args.dry_run {
        None
    } else {
        match crate::environment::refunds() {
            Ok(refunds) => Some(refunds),
            Err(error) => return BulkEnd::Config(error),
        }
    };
    let started = Instant::now();
    let total = u64::try_from(rows.len() + bad.len()).unwrap_or(u64::MAX);
    let mut tally = Tally::default();
    let mut progress = Progress::new(total);
    let mut results = Results {
        format,
        rows: Vec::new(),
    };
    for row in &bad {
        let value = result_line(
            row.line,
            row.reference.as_deref(),
            None,
            Outcome::Invalid,
            Err(bad_row_error(row)),
        );
        progress.println(&format!(
            "line {}: {}: {}",
            row.line, row.field, row.message
        ));
        results.emit(&value, None);
        tally.add(Outcome::Invalid, None);
        progress.update(&tally);
    }
    let Some(refunds) = refunds else {
        for row in &rows {
            let key = row.request.idempotency_key();
            let value = result_line(
                row.line,
                Some(&row.reference),
                Some(key),
                Outcome::Valid,
                Ok(None),
            );
            results.emit(&value, None);
            tally.add(Outcome::Valid, None);
            progress.update(&tally);
        }
        progress.finish();
        results.finish();
        eprint!("{}", summary(&tally, started.elapsed(), 0));
        return BulkEnd::Code(exit_code(&tally, false));
    };

    let stopping = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stopping = Arc::clone(&stopping);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stopping.store(true, Ordering::SeqCst);
                eprintln!("\ninterrupted: finishing the refunds in flight (Ctrl-C again to quit now; then run the same file again)");
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        })
    };
    let rows_total = u64::try_from(rows.len()).unwrap_or(u64::MAX);
    let mut sent = 0u64;
    let refunds = &refunds;
    let stop_flag = Arc::clone(&stopping);
    let mut stream = std::pin::pin!(futures::stream::iter(rows)
        .take_while(move |_| {
            let go = !stop_flag.load(Ordering::SeqCst);
            async move { go }
        })
        .map(|row| async move {
            let result = send(refunds, &row).await;
            (row, result)
        })
        .buffer_unordered(usize::from(args.concurrency)));
    while let Some((row, result)) = stream.next().await {
        sent += 1;
        let key = row.request.idempotency_key();
        let (outcome, value, refund) = match result {
            // Made (or found) but not in effect: the money did not go back.
            Ok(refund)
                if matches!(refund.status, RefundStatus::Failed | RefundStatus::Canceled) =>
            {
                let mut value = result_line(
                    row.line,
                    Some(&row.reference),
                    Some(key),
                    Outcome::Failed,
                    Ok(Some(&refund)),
                );
                if let Value::Object(members) = &mut value {
                    members.insert("error".into(), not_in_effect(row.line, &refund));
                }
                results.emit(&value, Some(&refund));
                tally.add(Outcome::Failed, None);
                progress.update(&tally);
                continue;
            }
            Ok(refund) => {
                let value = result_line(
                    row.line,
                    Some(&row.reference),
                    Some(key),
                    Outcome::Ok,
                    Ok(Some(&refund)),
                );
                (Outcome::Ok, value, Some(refund))
            }
            Err(error) => {
                let outcome = Outcome::of(&error);
                let value = result_line(
                    row.line,
                    Some(&row.reference),
                    Some(key),
                    outcome,
                    Err(refund_error(row.line, &error)),
                );
                (outcome, value, None)
            }
        };
        results.emit(&value, refund.as_ref());
        tally.add(outcome, refund.as_ref());
        progress.update(&tally);
    }
    watcher.abort();
    progress.finish();
    results.finish();
    let not_started = rows_total.saturating_sub(sent);
    eprint!("{}", summary(&tally, started.elapsed(), not_started));
    BulkEnd::Code(exit_code(&tally, stopping.load(Ordering::SeqCst)))
}

/// One row: the refund made with its key before (an earlier run), or a new
/// one with that key.
/// An unknown outcome is resolved once more (recovering is safe to repeat)
/// before the row is reported as unknown.
async fn send(refunds: &Refunds, row: &Row) -> Result<Refund, RefundError> {
    match refunds.recover_refund_at(row.provider, &row.request).await {
        Err(RefundError::OutcomeUnknown { .. }) => {
            tokio::time::sleep(UNKNOWN_RETRY_DELAY).await;
            refunds.recover_refund_at(row.provider, &row.request).await
        }
        other => other,
    }
}

/// How long an unknown outcome waits before its one more recover.
const UNKNOWN_RETRY_DELAY: Duration = Duration::from_millis(250);
