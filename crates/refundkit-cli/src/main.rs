//! `refundkit`: refunds at UQPay and WooshPay from a shell, JSON out,
//! meaningful exit codes.

#![forbid(unsafe_code)]

mod args;
mod commands;
mod failure;
mod journal;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

use crate::args::Cli;

fn error_line(kind: &str, message: &str, retryable: bool, key: Option<String>) -> String {
    json!({"error": {
        "kind": kind,
        "message": message,
        "retryable": retryable,
        "idempotency_key": key,
    }})
    .to_string()
}

fn print(value: &commands::Printed, pretty: bool) {
    if let commands::Printed::Text(text) = value {
        print!("{text}");
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
            let message = error.render().to_string();
            let first = message.lines().next().unwrap_or("invalid usage");
            let first = first.trim_start_matches("error: ");
            eprintln!("{}", error_line("usage", first, false, None));
            return ExitCode::from(2);
        }
    };
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
    match runtime.block_on(commands::run(cli.command, cli.journal)) {
        Ok(value) => {
            print(&value, cli.pretty);
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
