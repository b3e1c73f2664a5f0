//! What a bulk run prints: a JSON line per row, progress, the summary, the
//! exit code.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use refundkit::{IdempotencyKey, Money, Refund, RefundError};
use serde_json::{json, Value};

use crate::output::{format_amount, OutputFormat, Table};

use super::rows::*;
use super::*;

/// One row's result line (docs/json.md).
pub(super) fn result_line(
    line: u64,
    reference: Option<&str>,
    key: Option<&IdempotencyKey>,
    outcome: Outcome,
    body: Result<Option<&Refund>, Value>,
) -> Value {
    let mut value = json!({
        "line": line,
        "reference": reference,
        "idempotency_key": key.map(|k| k.to_string()),
        "outcome": outcome.as_str(),
    });
    if let Value::Object(members) = &mut value {
        match body {
            Ok(Some(refund)) => {
                members.insert(
                    "refund".into(),
                    serde_json::to_value(refund).unwrap_or(Value::Null),
                );
            }
            Ok(None) => {}
            Err(error) => {
                members.insert("error".into(), error);
            }
        }
    }
    value
}

pub(super) fn bad_row_error(row: &BadRow) -> Value {
    json!({
        "kind": "invalid",
        "field": row.field,
        "message": format!("line {}: {}: {}", row.line, row.field, row.message),
        "retryable": false,
    })
}

pub(super) fn refund_error(line: u64, error: &RefundError) -> Value {
    json!({
        "kind": error.code(),
        "message": format!("line {line}: {error}"),
        "retryable": error.is_retryable(),
    })
}

/// The error of a row whose refund exists but failed or was canceled: its
/// key is spent, so a new attempt needs a new reference.
pub(super) fn not_in_effect(line: u64, refund: &Refund) -> Value {
    let why = refund
        .failure
        .as_ref()
        .map(|failure| format!(" ({})", failure.as_str()))
        .unwrap_or_default();
    json!({
        "kind": "refund_failed",
        "message": format!(
            "line {line}: refund {} is {}{why}; its key is used: refund again with a new reference",
            refund.refund_ref(),
            refund.status
        ),
        "retryable": false,
    })
}

/// Counts of what became of the rows, and what was refunded per currency.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) outcomes: BTreeMap<Outcome, u64>,
    pub(super) refunded: BTreeMap<String, Money>,
}

impl Tally {
    pub(super) fn count(&self, outcome: Outcome) -> u64 {
        self.outcomes.get(&outcome).copied().unwrap_or(0)
    }

    pub(super) fn add(&mut self, outcome: Outcome, refund: Option<&Refund>) {
        *self.outcomes.entry(outcome).or_default() += 1;
        if let Some(refund) = refund {
            let code = refund.amount.currency().to_string();
            let sum = match self.refunded.get(&code) {
                Some(sum) => sum.checked_add(&refund.amount),
                None => Some(refund.amount),
            };
            if let Some(sum) = sum {
                self.refunded.insert(code, sum);
            }
        }
    }

    pub(super) fn done(&self) -> u64 {
        self.outcomes.values().sum()
    }

    pub(super) fn message(&self) -> String {
        format!(
            "ok {} failed {} unknown {} invalid {}",
            self.count(Outcome::Ok) + self.count(Outcome::Valid),
            self.count(Outcome::Failed),
            self.count(Outcome::Unknown),
            self.count(Outcome::Invalid)
        )
    }
}

/// The live progress: a bar on a terminal, plain lines on stderr otherwise.
pub(super) enum Progress {
    Bar(ProgressBar),
    Lines {
        total: u64,
        started: Instant,
        last: Instant,
        step: u64,
    },
}

impl Progress {
    pub(super) fn new(total: u64) -> Self {
        let target = ProgressDrawTarget::stderr();
        if target.is_hidden() {
            let now = Instant::now();
            return Progress::Lines {
                total,
                started: now,
                last: now,
                step: (total / 20).max(1),
            };
        }
        let bar = ProgressBar::with_draw_target(Some(total), target);
        let template =
            "{spinner} [{elapsed_precise}] [{bar:30}] {pos}/{len} {msg} | {per_sec} | eta {eta}";
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress::Bar(bar)
    }

    pub(super) fn update(&mut self, tally: &Tally) {
        match self {
            Progress::Bar(bar) => {
                bar.set_message(tally.message());
                bar.set_position(tally.done());
            }
            Progress::Lines {
                total,
                started,
                last,
                step,
            } => {
                let done = tally.done();
                if done % *step != 0 && done != *total && last.elapsed() < Duration::from_secs(2) {
                    return;
                }
                *last = Instant::now();
                let seconds = started.elapsed().as_secs_f64();
                let rate = if seconds > 0.0 {
                    done as f64 / seconds
                } else {
                    0.0
                };
                let eta = if rate > 0.0 {
                    format!("{:.0} s", total.saturating_sub(done) as f64 / rate)
                } else {
                    "-".into()
                };
                eprintln!(
                    "bulk: {done}/{total} {}, {rate:.1} rows/s, eta {eta}",
                    tally.message()
                );
            }
        }
    }

    pub(super) fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish();
        }
    }

    /// Prints a line without tearing the bar.
    pub(super) fn println(&self, text: &str) {
        match self {
            Progress::Bar(bar) => bar.suspend(|| eprintln!("{text}")),
            Progress::Lines { .. } => eprintln!("{text}"),
        }
    }
}

/// The summary table (stderr).
pub(super) fn summary(tally: &Tally, elapsed: Duration, not_started: u64) -> String {
    let mut table = Table::new(&["OUTCOME", "ROWS"]).align_right(1);
    let outcomes = [
        Outcome::Ok,
        Outcome::Valid,
        Outcome::Failed,
        Outcome::Unknown,
        Outcome::Invalid,
    ];
    for outcome in outcomes {
        if outcome == Outcome::Valid && tally.count(outcome) == 0 {
            continue;
        }
        table.row(vec![
            outcome.as_str().into(),
            tally.count(outcome).to_string(),
        ]);
    }
    if not_started > 0 {
        table.row(vec!["not_started".into(), not_started.to_string()]);
    }
    table.row(vec![
        "total".into(),
        (tally.done() + not_started).to_string(),
    ]);
    let mut text = table.render();
    for (currency, sum) in &tally.refunded {
        text.push_str(&format!("refunded {} {currency}\n", format_amount(sum)));
    }
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        tally.done() as f64 / seconds
    } else {
        0.0
    };
    text.push_str(&format!("elapsed {seconds:.1} s, {rate:.1} rows/s\n"));
    if tally.count(Outcome::Unknown) > 0 || not_started > 0 {
        text.push_str(
            "run the same file again to finish it: rows already refunded are not refunded twice\n",
        );
    }
    text
}

/// The exit code of the worst outcome: 4 unknown, 3 failed, 2 invalid, 0.
pub(super) fn exit_code(tally: &Tally, interrupted: bool) -> u8 {
    if tally.count(Outcome::Unknown) > 0 {
        4
    } else if tally.count(Outcome::Failed) > 0 {
        3
    } else if tally.count(Outcome::Invalid) > 0 {
        2
    } else if interrupted {
        130
    } else {
        0
    }
}

/// A row's line printed on stdout: JSON lines, or kept for the table.
pub(super) struct Results {
    pub(super) format: OutputFormat,
    pub(super) rows: Vec<(u64, Vec<String>)>,
}

impl Results {
    pub(super) fn emit(&mut self, value: &Value, refund: Option<&Refund>) {
        match self.format {
            OutputFormat::Json => {
                let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
                let mut stdout = std::io::stdout().lock();
                let _ = writeln!(stdout, "{text}");
                let _ = stdout.flush();
            }
            OutputFormat::Table => {
                let text = |name: &str| {
                    value
                        .get(name)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                };
                let line = value.get("line").and_then(Value::as_u64).unwrap_or(0);
                let (reference, amount, currency, status) = match refund {
                    Some(refund) => (
                        refund.refund_ref().to_string(),
                        format_amount(&refund.amount),
                        refund.amount.currency().to_string(),
                        refund.status.to_string(),
                    ),
                    None => Default::default(),
                };
                let error = value
                    .get("error")
                    .and_then(|e| e.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                self.rows.push((
                    line,
                    vec![
                        line.to_string(),
                        text("reference"),
                        text("outcome"),
                        reference,
                        amount,
                        currency,
                        status,
                        error,
                    ],
                ));
            }
        }
    }

    pub(super) fn finish(&mut self) {
        if self.format != OutputFormat::Table {
            return;
        }
        self.rows.sort_by_key(|(line, _)| *line);
        let mut table = Table::new(&[
            "LINE",
            "REFERENCE",
            "OUTCOME",
            "REFUND",
            "AMOUNT",
            "CURRENCY",
            "STATUS",
            "ERROR",
        ])
        .align_right(0)
        .align_right(4);
        for (_, cells) in self.rows.drain(..) {
            table.row(cells);
        }
        print!("{}", table.render());
        let _ = std::io::stdout().flush();
    }
}
