//! `refundkit bulk --file refunds.csv|refunds.jsonl`: one refund per row,
//! each keyed by its row's reference, so that running the same file again
//! (after a crash, a kill, Ctrl-C) refunds nothing twice and finishes what
//! was left: every row goes through `recover_refund_at`, which returns the
//! refund already made with the row's key, or makes it with that key.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use refundkit::{
    IdempotencyKey, Money, ProviderId, Refund, RefundAmount, RefundError, RefundReason,
    RefundRequest, RefundStatus, Refunds, ValidationError,
};
use serde_json::{json, Value};

use crate::args::ReasonArg;
use crate::output::{format_amount, OutputFormat, Table};

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

/// A row as read, every field text (empty when missing).
#[derive(Debug, Default, Clone)]
struct RawRow {
    line: u64,
    fields: HashMap<String, String>,
}

impl RawRow {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(|v| v.trim()).unwrap_or("")
    }
}

/// A row ready to send.
#[derive(Debug)]
struct Row {
    line: u64,
    reference: String,
    provider: ProviderId,
    request: RefundRequest,
}

/// A row that could not be read or validated.
#[derive(Debug)]
struct BadRow {
    line: u64,
    reference: Option<String>,
    field: String,
    message: String,
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

/// A whole-file problem (unreadable, no header): exit 2 before any row.
#[derive(Debug)]
pub struct FileError(pub ValidationError);

fn file_error(message: impl Into<String>) -> FileError {
    FileError(ValidationError::new("file", message))
}

fn format_of(args: &BulkArgs) -> Result<BulkFormat, FileError> {
    if let Some(format) = args.format {
        return Ok(format);
    }
    let extension = args
        .file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("csv") => Ok(BulkFormat::Csv),
        Some("jsonl") | Some("ndjson") => Ok(BulkFormat::Jsonl),
        _ => Err(file_error(format!(
            "cannot tell the format of {} from its extension: name it .csv or .jsonl, or give --format csv|jsonl",
            args.file.display()
        ))),
    }
}

fn open(path: &Path) -> Result<std::fs::File, FileError> {
    std::fs::File::open(path)
        .map_err(|e| file_error(format!("cannot read {}: {e}", path.display())))
}

/// The rows of a CSV file; bad records come back as errors with their line.
fn read_csv(path: &Path) -> Result<Vec<Result<RawRow, BadRow>>, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(open(path)?);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| file_error(format!("line 1: cannot read the CSV header: {e}")))?
        .iter()
        // A spreadsheet's UTF-8 byte-order mark is not part of the first name.
        .map(|name| {
            name.trim_start_matches('\u{feff}')
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|column| !header.iter().any(|name| name == column))
        .collect();
    if !missing.is_empty() {
        return Err(file_error(format!(
            "line 1: the CSV header lacks the column(s) {}; it needs {}",
            missing.join(", "),
            COLUMNS.join(",")
        )));
    }
    let mut rows = Vec::new();
    let mut last_line = 1;
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(last_line + 1, |p| p.line());
                last_line = line;
                if record.iter().all(|cell| cell.trim().is_empty()) {
                    continue;
                }
                if record.len() > header.len() {
                    rows.push(Err(BadRow {
                        line,
                        reference: None,
                        field: "row".into(),
                        message: format!(
                            "{} fields, the header has {}",
                            record.len(),
                            header.len()
                        ),
                    }));
                    continue;
                }
                let fields = header
                    .iter()
                    .cloned()
                    .zip(record.iter().map(str::to_string))
                    .collect();
                rows.push(Ok(RawRow { line, fields }));
            }
            Err(error) => {
                let line = error
                    .position()
                    .map_or(last_line + 1, |position| position.line());
                last_line = line;
                rows.push(Err(BadRow {
                    line,
                    reference: None,
                    field: "row".into(),
                    message: format!("not a CSV record: {}", csv_error_text(&error)),
                }));
            }
        }
    }
    Ok(rows)
}

fn csv_error_text(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        csv::ErrorKind::Io(e) => e.to_string(),
        _ => error.to_string(),
    }
}

/// The rows of a JSON-lines file; blank lines are skipped.
fn read_jsonl(path: &Path) -> Result<Vec<Result<RawRow, BadRow>>, FileError> {
    let reader = std::io::BufReader::new(open(path)?);
    let mut rows = Vec::new();
    for (index, text) in reader.split(b'\n').enumerate() {
        let line = u64::try_from(index).unwrap_or(u64::MAX).saturating_add(1);
        let bad = |message: String| BadRow {
            line,
            reference: None,
            field: "row".into(),
            message,
        };
        let bytes = text.map_err(|e| file_error(format!("line {line}: cannot read: {e}")))?;
        let Ok(text) = String::from_utf8(bytes) else {
            rows.push(Err(bad("invalid UTF-8".into())));
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(object)) => object,
            Ok(_) => {
                rows.push(Err(bad("not a JSON object".into())));
                continue;
            }
            Err(error) => {
                rows.push(Err(bad(format!("not JSON: {error}"))));
                continue;
            }
        };
        let mut fields = HashMap::new();
        let mut problem = None;
        for (name, value) in object {
            let text = match value {
                Value::Null => String::new(),
                Value::String(text) => text,
                // Integers are exact; a fraction in a JSON number is not.
                Value::Number(number) if number.is_u64() || number.is_i64() => number.to_string(),
                Value::Number(_) => {
                    problem.get_or_insert_with(|| BadRow {
                        line,
                        reference: None,
                        field: name.clone(),
                        message: "give amounts with a fraction as a JSON string (\"10.01\"), not a number".into(),
                    });
                    continue;
                }
                _ => {
                    problem.get_or_insert_with(|| BadRow {
                        line,
                        reference: None,
                        field: name.clone(),
                        message: "must be a string".into(),
                    });
                    continue;
                }
            };
            fields.insert(name.to_ascii_lowercase(), text);
        }
        let raw = RawRow { line, fields };
        rows.push(match problem {
            Some(mut problem) => {
                let reference = raw.get("reference");
                problem.reference = (!reference.is_empty()).then(|| reference.to_string());
                Err(problem)
            }
            None => Ok(raw),
        });
    }
    Ok(rows)
}

fn parse_provider(text: &str) -> Result<ProviderId, ValidationError> {
    let compiled = refundkit::builtin_providers();
    let names = compiled
        .iter()
        .map(|d| d.id().to_string())
        .collect::<Vec<_>>()
        .join(" or ");
    if text.trim().is_empty() {
        return Err(ValidationError::new(
            "provider",
            format!("is empty: {names}"),
        ));
    }
    text.parse::<ProviderId>()
        .ok()
        .filter(|id| refundkit::toolkit::descriptor::find(compiled, *id).is_some())
        .ok_or_else(|| ValidationError::new("provider", format!("{text:?} is not {names}")))
}

fn parse_reason(text: &str, description: &str) -> Result<RefundReason, ValidationError> {
    let reason = ReasonArg::from_str(text, true).map_err(|_| {
        ValidationError::new(
            "reason",
            format!(
                "{text:?} is not one of duplicate, fraudulent, requested_by_customer, resolved_dispute, other"
            ),
        )
    })?;
    Ok(match reason {
        ReasonArg::Duplicate => RefundReason::Duplicate,
        ReasonArg::Fraudulent => RefundReason::Fraudulent,
        ReasonArg::RequestedByCustomer => RefundReason::RequestedByCustomer,
        ReasonArg::ResolvedDispute => RefundReason::ResolvedDispute,
        ReasonArg::Other if description.is_empty() => {
            return Err(ValidationError::new(
                "reason",
                "other needs the text in a description column",
            ))
        }
        ReasonArg::Other => RefundReason::Other(description.to_string()),
    })
}

fn validate(raw: &RawRow, namespace: &str) -> Result<Row, ValidationError> {
    let provider = parse_provider(raw.get("provider"))?;
    let payment = raw.get("payment");
    if payment.is_empty() {
        return Err(ValidationError::new("payment", "is empty"));
    }
    let amount = match (raw.get("amount"), raw.get("currency")) {
        ("", "") => RefundAmount::Full,
        ("", _) => {
            return Err(ValidationError::new(
                "amount",
                "is empty but currency is not: give both, or neither for a full refund",
            ))
        }
        (_, "") => {
            return Err(ValidationError::new(
                "currency",
                "is empty but amount is not: give both, or neither for a full refund",
            ))
        }
        (amount, currency) => RefundAmount::Partial(
            Money::parse(amount, currency).map_err(|e| ValidationError::money("amount", e))?,
        ),
    };
    let description = raw.get("description");
    let reason = parse_reason(raw.get("reason"), description)?;
    let reference = raw.get("reference");
    if reference.is_empty() {
        return Err(ValidationError::new(
            "reference",
            "is empty: each row needs its own reference (its idempotency key is derived from it)",
        ));
    }
    let mut builder =
        RefundRequest::builder(payment.to_string(), amount, reason).reference(namespace, reference);
    if !description.is_empty()
        && !matches!(
            ReasonArg::from_str(raw.get("reason"), true),
            Ok(ReasonArg::Other)
        )
    {
        builder = builder.description(description.to_string());
    }
    let request = builder.build()?;
    Ok(Row {
        line: raw.line,
        reference: reference.to_string(),
        provider,
        request,
    })
}

/// Reads and validates the whole file: the rows to send and the bad ones,
/// in file order. A reference on two rows is refused on the second.
fn load(args: &BulkArgs) -> Result<(Vec<Row>, Vec<BadRow>), FileError> {
    let raws = match format_of(args)? {
        BulkFormat::Csv => read_csv(&args.file)?,
        BulkFormat::Jsonl => read_jsonl(&args.file)?,
    };
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for raw in raws {
        let raw = match raw {
            Ok(raw) => raw,
            Err(row) => {
                bad.push(row);
                continue;
            }
        };
        let reference = raw.get("reference").to_string();
        let reference_option = (!reference.is_empty()).then(|| reference.clone());
        match validate(&raw, &args.namespace) {
            Ok(row) => {
                if let Some(first) = seen.get(&row.reference) {
                    bad.push(BadRow {
                        line: row.line,
                        reference: reference_option,
                        field: "reference".into(),
                        message: format!(
                            "{:?} is already the reference of line {first}: each refund needs its own",
                            row.reference
                        ),
                    });
                    continue;
                }
                seen.insert(row.reference.clone(), row.line);
                rows.push(row);
            }
            Err(error) => bad.push(BadRow {
                line: raw.line,
                reference: reference_option,
                field: error.field().to_string(),
                message: error.message().to_string(),
            }),
        }
    }
    Ok((rows, bad))
}

/// One row's result line (docs/json.md).
fn result_line(
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

fn bad_row_error(row: &BadRow) -> Value {
    json!({
        "kind": "invalid",
        "field": row.field,
        "message": format!("line {}: {}: {}", row.line, row.field, row.message),
        "retryable": false,
    })
}

fn refund_error(line: u64, error: &RefundError) -> Value {
    json!({
        "kind": error.code(),
        "message": format!("line {line}: {error}"),
        "retryable": error.is_retryable(),
    })
}

/// The error of a row whose refund exists but failed or was canceled: its
/// key is spent, so a new attempt needs a new reference.
fn not_in_effect(line: u64, refund: &Refund) -> Value {
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
struct Tally {
    outcomes: BTreeMap<Outcome, u64>,
    refunded: BTreeMap<String, Money>,
}

impl Tally {
    fn count(&self, outcome: Outcome) -> u64 {
        self.outcomes.get(&outcome).copied().unwrap_or(0)
    }

    fn add(&mut self, outcome: Outcome, refund: Option<&Refund>) {
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

    fn done(&self) -> u64 {
        self.outcomes.values().sum()
    }

    fn message(&self) -> String {
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
enum Progress {
    Bar(ProgressBar),
    Lines {
        total: u64,
        started: Instant,
        last: Instant,
        step: u64,
    },
}

impl Progress {
    fn new(total: u64) -> Self {
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

    fn update(&mut self, tally: &Tally) {
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

    fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish();
        }
    }

    /// Prints a line without tearing the bar.
    fn println(&self, text: &str) {
        match self {
            Progress::Bar(bar) => bar.suspend(|| eprintln!("{text}")),
            Progress::Lines { .. } => eprintln!("{text}"),
        }
    }
}

/// The summary table (stderr).
fn summary(tally: &Tally, elapsed: Duration, not_started: u64) -> String {
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
fn exit_code(tally: &Tally, interrupted: bool) -> u8 {
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
struct Results {
    format: OutputFormat,
    rows: Vec<(u64, Vec<String>)>,
}

impl Results {
    fn emit(&mut self, value: &Value, refund: Option<&Refund>) {
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

    fn finish(&mut self) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(line: u64, pairs: &[(&str, &str)]) -> RawRow {
        RawRow {
            line,
            fields: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn rows_validate_and_name_the_field() {
        let good = raw(
            2,
            &[
                ("provider", "uqpay"),
                ("payment", "PI1"),
                ("amount", "3"),
                ("currency", "USD"),
                ("reason", "duplicate"),
                ("reference", "order-1"),
            ],
        );
        let row = validate(&good, "ns").unwrap();
        assert_eq!(row.provider, refundkit::uqpay::PROVIDER);
        assert_eq!(
            row.request.idempotency_key(),
            &IdempotencyKey::derive("ns", "order-1").unwrap()
        );
        let full = raw(
            3,
            &[
                ("provider", "WooshPay"),
                ("payment", "pi_1"),
                ("reason", "requested_by_customer"),
                ("reference", "order-2"),
            ],
        );
        assert!(matches!(
            validate(&full, "ns").unwrap().request.amount(),
            RefundAmount::Full
        ));
        let cases = [
            (("provider", "stripe"), "provider"),
            (("amount", "1.001"), "amount"),
            (("currency", ""), "currency"),
            (("reason", "because"), "reason"),
            (("reference", ""), "reference"),
            (("payment", ""), "payment"),
        ];
        for ((name, value), field) in cases {
            let mut row = good.clone();
            row.fields.insert(name.into(), value.into());
            let error = validate(&row, "ns").unwrap_err();
            assert_eq!(error.field(), field, "{name}={value}");
        }
    }

    #[test]
    fn reason_other_takes_the_description_column() {
        let mut row = raw(
            2,
            &[
                ("provider", "uqpay"),
                ("payment", "PI1"),
                ("reason", "other"),
                ("reference", "order-1"),
            ],
        );
        assert_eq!(validate(&row, "ns").unwrap_err().field(), "reason");
        row.fields
            .insert("description".into(), "goodwill gesture".into());
        let row = validate(&row, "ns").unwrap();
        assert_eq!(
            row.request.reason(),
            &RefundReason::Other("goodwill gesture".into())
        );
    }

    #[test]
    fn a_csv_header_with_a_byte_order_mark_is_read() {
        let dir = std::env::temp_dir().join(format!("refundkit-bom-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("refunds.csv");
        std::fs::write(
            &path,
            "\u{feff}provider,payment,amount,currency,reason,reference\nuqpay,PI1,1,USD,duplicate,r-1\n",
        )
        .unwrap();
        let rows = read_csv(&path).unwrap();
        assert_eq!(rows.len(), 1);
        let row = rows.into_iter().next().unwrap().unwrap();
        assert_eq!((row.line, row.get("provider")), (2, "uqpay"));
    }

    #[test]
    fn the_worst_outcome_decides_the_exit_code() {
        let mut tally = Tally::default();
        tally.add(Outcome::Ok, None);
        assert_eq!(exit_code(&tally, false), 0);
        tally.add(Outcome::Invalid, None);
        assert_eq!(exit_code(&tally, false), 2);
        tally.add(Outcome::Failed, None);
        assert_eq!(exit_code(&tally, false), 3);
        tally.add(Outcome::Unknown, None);
        assert_eq!(exit_code(&tally, false), 4);
    }
}
