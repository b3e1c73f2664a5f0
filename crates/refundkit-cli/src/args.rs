//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Create, read, list, wait for and verify refunds at UQPay and WooshPay.
///
/// Configured by environment variables (UQPAY_CLIENT_ID, UQPAY_API_KEY,
/// UQPAY_ENVIRONMENT, WOOSHPAY_SECRET_KEY, ... — see the README). UQPay's
/// token is shared with the other processes of this user on this host
/// through UQPAY_TOKEN_STORE, `file` unless set (a new UQPay token
/// invalidates the previous one, so a command must not mint its own while a
/// backend runs). Success
/// prints one JSON line on stdout (`--output table` for aligned columns;
/// `bulk` one line per row); failure prints one JSON line on stderr and
/// exits 2 (invalid input), 3 (provider error), 4 (outcome unknown: retry with
/// the printed idempotency key), 5 (configuration) or 1 (anything else).
#[derive(Debug, Parser)]
#[command(name = "refundkit", version)]
pub struct Cli {
    /// Pretty-print the JSON output for humans (bulk's rows stay JSON lines).
    #[arg(long, global = true)]
    pub pretty: bool,

    /// How results print on stdout: json (default, for scripts) or table
    /// (aligned columns, amounts with the currency's digits, for humans).
    #[arg(long, global = true, value_enum, default_value_t = crate::output::OutputFormat::Json)]
    pub output: crate::output::OutputFormat,
    /// Journal every create in this database first (sqlite://refundkit.db —
    /// created owner-only if absent — or postgres://...): a finished
    /// --reference sends nothing again, an unfinished one is resumed with its
    /// key, and --ceiling caps what the payment's refunds may add up to.
    #[arg(long, global = true, env = "REFUNDKIT_JOURNAL", value_name = "URL")]
    pub journal: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// A compiled-in provider on the command line: one of
/// `refundkit::builtin_providers()`, listed in `--help` and completions.
pub fn provider_parser() -> impl clap::builder::TypedValueParser<Value = refundkit::ProviderId> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(refundkit::builtin_providers().iter().map(|descriptor| {
        PossibleValue::new(descriptor.id().to_string()).help(descriptor.display_name())
    }))
    .try_map(|name| name.parse::<refundkit::ProviderId>())
}

/// A refund reason on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum ReasonArg {
    /// Charged twice.
    Duplicate,
    /// Fraudulent payment.
    Fraudulent,
    /// The customer asked.
    RequestedByCustomer,
    /// A dispute was settled for the customer.
    ResolvedDispute,
    /// Free text, given with --description.
    Other,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a refund.
    Create(CreateArgs),
    /// Resolve a refund whose outcome is unknown (exit 4, a crash, a lost
    /// answer — any time later) to exactly one: print the refund made with
    /// this request's key if the provider has it, else make it with the same
    /// key. Same arguments as `create`; give the same --reference (or
    /// --idempotency-key) as the create it resolves.
    Recover(CreateArgs),
    /// Refund every row of a file (CSV or JSON lines: provider, payment,
    /// amount, currency, reason, reference), keys derived from each row's
    /// reference: running the same file again refunds nothing twice and
    /// finishes what was left. One JSON line per row on stdout, progress and
    /// a summary on stderr; exits with the worst outcome (4 unknown, 3
    /// failed, 2 invalid rows, 0 all done).
    Bulk(crate::bulk::BulkArgs),
    /// Read a refund by its ref (provider:id).
    Get {
        /// The refund ref, e.g. uqpay:RF2043629695899013120.
        #[arg(value_name = "REF")]
        reference: String,
    },
    /// List refunds at a provider.
    List {
        /// The provider.
        #[arg(long, value_parser = provider_parser())]
        provider: refundkit::ProviderId,
        /// Only refunds of this payment.
        #[arg(long)]
        payment: Option<String>,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Items per page, 1 to 100.
        #[arg(long, default_value_t = 20)]
        page_size: u32,
    },
    /// Wait until a refund's status is final.
    Wait {
        /// The refund ref, e.g. wooshpay:re_1787730829493927937.
        #[arg(value_name = "REF")]
        reference: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// Resolve every unfinished refund in the --journal (a crash, a lost
    /// answer, a pending refund) to exactly one, through the recover path;
    /// safe to run in many places at once.
    Reconcile(ReconcileArgs),
    /// A payment's journaled refunds, their total and their history
    /// (JSON; --table for people).
    History(HistoryArgs),
    /// Print a shell completion script: `refundkit completions bash >
    /// /etc/bash_completion.d/refundkit` (or zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Verify a webhook delivery and print the refund event.
    VerifyWebhook {
        /// The provider that sent it.
        #[arg(long, value_parser = provider_parser())]
        provider: refundkit::ProviderId,
        /// File holding the raw request body, byte for byte.
        #[arg(long)]
        body: PathBuf,
        /// A request header, 'Name: value' (repeat for each).
        #[arg(long = "header", value_name = "NAME: VALUE")]
        headers: Vec<String>,
        /// Check the timestamp against this time instead of now, to verify a
        /// stored delivery: RFC 3339 (2026-04-13T17:57:42+08:00) or Unix seconds.
        #[arg(long, value_name = "RFC3339|UNIX")]
        now: Option<String>,
    },
}

/// `refundkit create` options.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The provider to refund at.
    #[arg(long, value_parser = provider_parser())]
    pub provider: refundkit::ProviderId,
    /// The payment (intent) id.
    #[arg(long)]
    pub payment: String,
    /// Amount in major units (10.01), with --currency.
    #[arg(long, requires = "currency", conflicts_with = "full")]
    pub amount: Option<String>,
    /// ISO 4217 currency code of --amount.
    #[arg(long, requires = "amount")]
    pub currency: Option<String>,
    /// Refund everything that remains on the payment.
    #[arg(long, required_unless_present = "amount")]
    pub full: bool,
    /// Why the money goes back.
    #[arg(long, value_enum)]
    pub reason: ReasonArg,
    /// Free-text description (required with --reason other).
    #[arg(long)]
    pub description: Option<String>,
    /// Metadata pair KEY=VALUE (repeat for each).
    #[arg(long = "metadata", value_name = "KEY=VALUE")]
    pub metadata: Vec<String>,
    /// Idempotency key (a UUID) to send; reuse it to retry safely.
    #[arg(long, conflicts_with = "reference")]
    pub idempotency_key: Option<String>,
    /// Your reference for this refund; the idempotency key is derived from it
    /// (in --namespace), so re-running the same command can never refund
    /// twice, and the library derives the same key for the same reference.
    #[arg(long)]
    pub reference: Option<String>,
    /// The namespace --reference is derived in; the library's default too.
    #[arg(
        long,
        env = "REFUNDKIT_KEY_NAMESPACE",
        default_value = refundkit::DEFAULT_KEY_NAMESPACE
    )]
    pub namespace: String,
    /// An option of the provider's own, NAME=VALUE (repeat for each), e.g.
    /// uqpay's payment_attempt_id=PA… or on_behalf_of=UUID; a name the
    /// provider does not know is refused before anything is sent.
    #[arg(long = "option", value_name = "NAME=VALUE")]
    pub options: Vec<String>,
    /// With --journal: the most the payment's refunds may add up to, in
    /// --currency (usually the captured amount); over it, nothing is sent.
    #[arg(long, value_name = "AMOUNT")]
    pub ceiling: Option<String>,
}

/// `refundkit reconcile` options.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Only refunds unchanged for this long (90s, 15m, 2h, 1d; default: all).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub older_than: Option<std::time::Duration>,
    /// Poll pending refunds until final, for at most this long (e.g. 2m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<std::time::Duration>,
}

/// `refundkit history` options.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The payment (intent) id.
    #[arg(long)]
    pub payment: String,
    /// Print a table for people instead of JSON.
    #[arg(long)]
    pub table: bool,
}

/// `90`, `90s`, `15m`, `2h`, `1d`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let value: u64 = digits
        .parse()
        .map_err(|_| "expected a whole number with s, m, h or d (e.g. 15m)".to_string())?;
    let seconds = match unit {
        "" | "s" => Some(value),
        "m" => value.checked_mul(60),
        "h" => value.checked_mul(3600),
        "d" => value.checked_mul(86_400),
        _ => None,
    }
    .ok_or_else(|| "expected a whole number with s, m, h or d (e.g. 15m)".to_string())?;
    Ok(std::time::Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_take_seconds_minutes_hours_and_days() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}
