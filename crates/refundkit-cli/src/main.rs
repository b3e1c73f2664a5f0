//! `refundkit`: refunds at UQPay and WooshPay from a shell, JSON out,
//! meaningful exit codes.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod args;
mod bulk;
mod commands;
mod environment;
mod failure;
mod journal;
mod output;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use serde_json::json;

use crate::args::{Cli, Command};
use crate::failure::Failure;
use refundkit::RefundError;

/// clap's whole message on one line: what is wrong and which arguments,
/// without the "error: " prefix and the closing hint.
fn usage_message(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("For more information"))
        .collect();
    let message = lines.join(" ");
    let message = message.trim_start_matches("error: ").to_string();
    if message.is_empty() {
        "invalid usage".to_string()
    } else {
        message
    }
}

fn error_line(kind: &str, message: &str, retryable: bool, key: Option<String>) -> String {
    json!({"error": {
        "kind": kind,
        "message": message,
        "retryable": retryable,
        "idempotency_key": key,
    }})
    .to_string()
}

fn print(value: &commands::Printed, pretty: bool, format: output::OutputFormat) {
    if let commands::Printed::Text(text) = value {
        print!("{text}");
        return;
    }
    if format == output::OutputFormat::Table {
        print!("{}", output::table(value));
        return;
    }
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    println!("{}", text.unwrap_or_else(|_| "null".into()));
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => {
            // --help and --version
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!(
                "{}",
                error_line("usage", &usage_message(&error), false, None)
            );
            return ExitCode::from(2);
        }
    };
    if let Command::Completions { shell } = &cli.command {
        clap_complete::generate(
            *shell,
            &mut Cli::command(),
            "refundkit",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
    if std::io::stderr().is_terminal() {
        // Retry backoffs show up as one line each while they run.
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::WARN)
            .with_target(false)
            .compact()
            .try_init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{}", error_line("runtime", &error.to_string(), false, None));
            return ExitCode::from(1);
        }
    };
    let command = match cli.command {
        Command::Bulk(args) => {
            return match runtime.block_on(bulk::run(args, cli.output)) {
                bulk::BulkEnd::Code(code) => ExitCode::from(code),
                bulk::BulkEnd::File(bulk::FileError(error)) => {
                    let error = RefundError::Invalid(error);
                    eprintln!(
                        "{}",
                        error_line(error.code(), &error.to_string(), false, None)
                    );
                    ExitCode::from(2)
                }
                bulk::BulkEnd::Config(error) => {
                    eprintln!(
                        "{}",
                        error_line(error.code(), &error.to_string(), false, None)
                    );
                    ExitCode::from(Failure::from(error).exit_code)
                }
            };
        }
        command => command,
    };
    match runtime.block_on(commands::run(command, cli.journal)) {
        Ok(value) => {
            print(&value, cli.pretty, cli.output);
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!(
                "{}",
                error_line(
                    failure.kind,
                    &failure.message,
                    failure.retryable,
                    failure.idempotency_key.map(|k| k.to_string())
                )
            );
            ExitCode::from(failure.exit_code)
        }
    }
}
