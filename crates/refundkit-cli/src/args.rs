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

    #[command(subcommand)]
    pub command: Command,
}

/// A provider name on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderArg {
    /// UQPay Global Acquiring.
    Uqpay,
    /// WooshPay.
    Wooshpay,
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
        #[arg(long, value_enum)]
        provider: ProviderArg,
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
        #[arg(long, value_enum)]
        provider: ProviderArg,
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
    #[arg(long, value_enum)]
    pub provider: ProviderArg,
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
    /// UQPay: refund this payment attempt.
    #[arg(long)]
    pub attempt: Option<String>,
    /// UQPay: act for this connected sub-account.
    #[arg(long)]
    pub on_behalf_of: Option<String>,
}
