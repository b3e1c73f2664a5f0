//! `refundkit bulk` as a process against the simulators: 1,000 rows through
//! a fault script, killed half-way and re-run (exactly 1,000 refunds),
//! `--dry-run` (nothing sent), malformed rows (named by line, the others
//! go on), the progress bar under a pseudo-terminal and plain lines without.

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use common::{env_for, refundkit};
use refundkit::Money;
use refundkit_testkit::{Calls, Fault, Route, Simulator};
use serde_json::Value;

const HEADER: &str = "provider,payment,amount,currency,reason,reference";

/// A file in a fresh temporary directory.
fn write_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "refundkit-bulk-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `rows` refunds of 1.00 USD over 50 payments per provider, alternating.
fn thousand_row_file(sim: &Simulator, rows: usize, tag: &str) -> PathBuf {
    let payments: Vec<(&str, String)> = (0..50)
        .flat_map(|_| {
            [
                (
                    "uqpay",
                    sim.uqpay()
                        .seed_captured(Money::parse("1000.00", "USD").unwrap()),
                ),
                (
                    "wooshpay",
                    sim.wooshpay()
                        .seed_captured(Money::parse("1000.00", "USD").unwrap()),
                ),
            ]
        })
        .collect();
    let mut text = format!("{HEADER}\n");
    for row in 0..rows {
        let (provider, payment) = &payments[row % payments.len()];
        text.push_str(&format!(
            "{provider},{payment},1.00,USD,requested_by_customer,{tag}-row-{row}\n"
        ));
    }
    write_file("refunds.csv", &text)
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn total_refunds(sim: &Simulator) -> usize {
    sim.uqpay().refund_count() + sim.wooshpay().refund_count()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_rows_through_a_fault_script_end_ok_or_unknown_and_a_rerun_makes_none_twice() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let file = thousand_row_file(&sim, 1000, "faults");
    for provider in [sim.uqpay(), sim.wooshpay()] {
        provider.inject_fault(Route::CreateRefund, Calls::Nth(3), Fault::ServerError(503));
        provider.inject_fault(Route::CreateRefund, Calls::Nth(10), Fault::CommitThenDrop);
        provider.inject_fault(Route::CreateRefund, Calls::Nth(20), Fault::DropUnprocessed);
        provider.inject_fault(
            Route::CreateRefund,
            Calls::Nth(30),
            Fault::RateLimited {
                retry_after_secs: 1,
            },
        );
        provider.inject_fault(
            Route::CreateRefund,
            Calls::Nth(40),
            Fault::MalformedJson { status: 200 },
        );
    }
    let path = file.display().to_string();
    let started = Instant::now();
    let output = refundkit(&env, &["bulk", "--file", &path, "--concurrency", "32"]).await;
    let first = started.elapsed();
    let results = lines(&output);
    assert_eq!(results.len(), 1000, "{}", stderr(&output));
    let mut seen_lines: Vec<u64> = results
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    seen_lines.sort_unstable();
    assert_eq!(seen_lines, (2..=1001).collect::<Vec<u64>>());
    let unknown = results
        .iter()
        .filter(|r| r["outcome"] == "outcome_unknown")
        .count();
    for result in &results {
        let outcome = result["outcome"].as_str().unwrap();
        assert!(outcome == "ok" || outcome == "outcome_unknown", "{result}");
        if outcome == "ok" {
            let amount = &result["refund"]["amount"];
            let money = Money::parse(
                amount["value"].as_str().unwrap(),
                amount["currency"].as_str().unwrap(),
            );
            assert_eq!(
                money.unwrap(),
                Money::parse("1", "USD").unwrap(),
                "{result}"
            );
        }
    }
    let code = output.status.code().unwrap();
    assert_eq!(code, if unknown > 0 { 4 } else { 0 }, "{}", stderr(&output));
    assert!(total_refunds(&sim) <= 1000);
    assert!(stderr(&output).contains("OUTCOME"), "{}", stderr(&output));

    let output = refundkit(&env, &["bulk", "--file", &path, "--concurrency", "32"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(lines(&output).iter().all(|r| r["outcome"] == "ok"));
    assert_eq!(total_refunds(&sim), 1000, "exactly one refund per row");
    eprintln!(
        "1000 rows with faults: {:.1} s, then a re-run",
        first.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_run_killed_half_way_and_run_again_makes_exactly_a_thousand_refunds() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let file = thousand_row_file(&sim, 1000, "kill");
    let path = file.display().to_string();
    // Slow creates, so the kill lands with creates in flight.
    for provider in [sim.uqpay(), sim.wooshpay()] {
        provider.inject_fault(
            Route::CreateRefund,
            Calls::Every,
            Fault::SlowCommit(Duration::from_millis(5)),
        );
    }
    let mut child = common::spawn(&env, &["bulk", "--file", &path, "--concurrency", "32"]);
    let started = Instant::now();
    while total_refunds(&sim) < 300 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the bulk run stalled"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = total_refunds(&sim);
    assert!(at_kill < 1000, "killed after {at_kill} refunds");
    // Creates that were in flight commit, as at a provider.
    tokio::time::sleep(Duration::from_millis(100)).await;
    sim.uqpay().clear_faults();
    sim.wooshpay().clear_faults();

    let output = refundkit(&env, &["bulk", "--file", &path, "--concurrency", "32"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let results = lines(&output);
    assert_eq!(results.len(), 1000);
    assert!(results.iter().all(|r| r["outcome"] == "ok"));
    assert_eq!(total_refunds(&sim), 1000, "killed at {at_kill}");
    for payment in sim
        .uqpay()
        .refunds()
        .iter()
        .chain(sim.wooshpay().refunds().iter())
    {
        assert_eq!(payment.amount, Money::parse("1", "USD").unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_validates_every_row_and_sends_nothing() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("10.00", "USD").unwrap());
    let text = format!(
        "{HEADER}\nuqpay,{payment},3,USD,duplicate,dry-1\nuqpay,{payment},,,fraudulent,dry-2\nuqpay,{payment},x,USD,duplicate,dry-3\n"
    );
    let file = write_file("refunds.csv", &text);
    let output = refundkit(
        &env,
        &["bulk", "--dry-run", "--file", &file.display().to_string()],
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let results = lines(&output);
    let outcomes: Vec<(u64, &str)> = results
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert!(outcomes.contains(&(2, "valid")), "{outcomes:?}");
    assert!(outcomes.contains(&(3, "valid")), "{outcomes:?}");
    assert!(outcomes.contains(&(4, "invalid")), "{outcomes:?}");
    for provider in [sim.uqpay(), sim.wooshpay()] {
        assert_eq!(provider.journal_len(), 0, "no call at all");
        assert_eq!(provider.call_count(Route::CreateRefund), 0);
        assert_eq!(provider.refund_count(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_rows_are_named_by_line_and_the_others_go_on() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let uqpay = sim
        .uqpay()
        .seed_captured(Money::parse("10.00", "USD").unwrap());
    let wooshpay = sim
        .wooshpay()
        .seed_captured(Money::parse("5000", "JPY").unwrap());
    let text = format!(
        "{HEADER}\n\
         uqpay,{uqpay},3,USD,duplicate,bad-1\n\
         uqpay,{uqpay},3.001,USD,duplicate,bad-2\n\
         stripe,{uqpay},3,USD,duplicate,bad-3\n\
         wooshpay,{wooshpay},,,requested_by_customer,bad-4\n\
         uqpay,{uqpay},1,USD,duplicate,bad-1\n\
         uqpay,{uqpay},1,USD,because,bad-6\n"
    );
    let file = write_file("refunds.csv", &text);
    let output = refundkit(&env, &["bulk", "--file", &file.display().to_string()]).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let results = lines(&output);
    assert_eq!(results.len(), 6);
    let by_line = |line: u64| {
        results
            .iter()
            .find(|r| r["line"] == line)
            .unwrap_or_else(|| panic!("line {line}"))
    };
    assert_eq!(by_line(2)["outcome"], "ok");
    assert_eq!(by_line(5)["outcome"], "ok");
    assert_eq!(by_line(5)["refund"]["amount"]["value"], "5000");
    for (line, field) in [
        (3, "amount"),
        (4, "provider"),
        (6, "reference"),
        (7, "reason"),
    ] {
        let result = by_line(line);
        assert_eq!(result["outcome"], "invalid", "{result}");
        assert_eq!(result["error"]["field"], field, "{result}");
        // Nothing was sent for the row: no key to print (issue 15).
        assert!(result["idempotency_key"].is_null(), "{result}");
        let message = result["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("line {line}: {field}")),
            "{message}"
        );
    }
    assert!(by_line(6)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("line 2"));
    assert_eq!(sim.uqpay().refund_count(), 1);
    assert_eq!(sim.wooshpay().refund_count(), 1);
    assert!(
        stderr(&output).contains("line 3: amount"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_files_name_their_lines_too() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let payment = sim
        .wooshpay()
        .seed_captured(Money::parse("10.00", "USD").unwrap());
    let text = format!(
        "{{\"provider\":\"wooshpay\",\"payment\":\"{payment}\",\"amount\":\"2.50\",\"currency\":\"USD\",\"reason\":\"duplicate\",\"reference\":\"j-1\"}}\n\
         \n\
         {{\"provider\":\"wooshpay\",\"payment\":\"{payment}\",\"amount\":2.5,\"currency\":\"USD\",\"reason\":\"duplicate\",\"reference\":\"j-2\"}}\n\
         not json\n"
    );
    let file = write_file("refunds.jsonl", &text);
    let output = refundkit(&env, &["bulk", "--file", &file.display().to_string()]).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let results = lines(&output);
    let outcome = |line: u64| {
        results
            .iter()
            .find(|r| r["line"] == line)
            .map(|r| r["outcome"].as_str().unwrap().to_string())
    };
    assert_eq!(outcome(1).as_deref(), Some("ok"));
    assert_eq!(outcome(3).as_deref(), Some("invalid"));
    assert_eq!(outcome(4).as_deref(), Some("invalid"));
    assert_eq!(sim.wooshpay().refund_count(), 1);
}

fn progress_file(sim: &Simulator) -> PathBuf {
    let mut text = format!("{HEADER}\n");
    for row in 0..40 {
        let payment = sim
            .uqpay()
            .seed_captured(Money::parse("10.00", "USD").unwrap());
        text.push_str(&format!("uqpay,{payment},1,USD,duplicate,tty-{row}\n"));
    }
    write_file("refunds.csv", &text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_progress_is_plain_lines_on_stderr() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let file = progress_file(&sim);
    let output = refundkit(&env, &["bulk", "--file", &file.display().to_string()]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.lines()
            .any(|l| l.starts_with("bulk: 40/40 ok 40 failed 0 unknown 0 invalid 0")),
        "{err}"
    );
    assert!(!err.contains("[="), "no bar without a terminal: {err}");
    assert!(err.contains("refunded 40.00 USD"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_pseudo_terminal_progress_is_a_bar() {
    let script = std::path::Path::new("/usr/bin/script");
    if !script.exists() {
        eprintln!(
            "skipped: util-linux `script` is not installed (no pseudo-terminal to test with)"
        );
        return;
    }
    let sim = Simulator::start().await.unwrap();
    let mut env = env_for(&sim);
    env.push(("TERM".into(), "xterm".into()));
    let file = progress_file(&sim);
    let command = format!(
        "{} bulk --file {} --concurrency 4 >/dev/null",
        env!("CARGO_BIN_EXE_refundkit"),
        file.display()
    );
    let mut script = std::process::Command::new(script);
    script
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().cloned())
        .env("SHELL", "/bin/sh")
        .args(["-qfc", &command, "/dev/null"]);
    let output = tokio::task::spawn_blocking(move || script.output().unwrap())
        .await
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    assert!(shown.contains("40/40"), "{shown}");
    assert!(
        shown.contains("[=============================="),
        "a bar: {shown}"
    );
    assert!(
        shown.contains("ok 40 failed 0 unknown 0 invalid 0"),
        "{shown}"
    );
    assert!(shown.contains("eta"), "{shown}");
    assert!(!shown.contains("bulk: 40/40"), "no plain lines: {shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_output_formats_amounts_with_the_currency_digits() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("10.00", "USD").unwrap());
    let output = refundkit(
        &env,
        &[
            "create",
            "--provider",
            "uqpay",
            "--payment",
            &payment,
            "--amount",
            "3",
            "--currency",
            "USD",
            "--reason",
            "duplicate",
            "--reference",
            "table-1",
            "--output",
            "table",
        ],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    let mut rows = text.lines();
    let header = rows.next().unwrap();
    assert!(header.starts_with("REF "), "{text}");
    assert!(header.contains("AMOUNT  CURRENCY  STATUS"), "{text}");
    let row = rows.next().unwrap();
    assert!(row.contains(" 3.00  USD "), "{text}");
    let reference = row.split_whitespace().next().unwrap().to_string();

    // Global: before the subcommand too.
    let output = refundkit(&env, &["--output", "table", "get", &reference]).await;
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains(" 3.00  USD "), "{text}");

    let output = refundkit(
        &env,
        &[
            "list",
            "--provider",
            "uqpay",
            "--payment",
            &payment,
            "--output",
            "table",
        ],
    )
    .await;
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains(" 3.00  USD "), "{text}");
    assert!(text.lines().last().unwrap().starts_with("page 1"), "{text}");

    // Bulk: a table of rows on stdout, in line order.
    let file = write_file(
        "refunds.csv",
        &format!("{HEADER}\nuqpay,{payment},2.5,USD,duplicate,table-2\nuqpay,{payment},x,USD,duplicate,table-3\n"),
    );
    let output = refundkit(
        &env,
        &[
            "--output",
            "table",
            "bulk",
            "--file",
            &file.display().to_string(),
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[0].starts_with("LINE  REFERENCE"), "{text}");
    assert!(rows[1].contains(" 2.50  USD "), "{text}");
    assert!(rows[2].contains("invalid"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_at_wooshpay_says_what_to_use_instead() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let output = refundkit(&env, &["list", "--provider", "wooshpay"]).await;
    assert_eq!(output.status.code(), Some(2));
    let error: Value = serde_json::from_slice(&output.stderr).unwrap();
    assert_eq!(error["error"]["kind"], "unsupported");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("refundkit get wooshpay:re_"), "{message}");
    assert!(message.contains("refundkit recover"), "{message}");
    assert!(message.contains("find_refund_by_key"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_finishes_the_refunds_in_flight_and_a_rerun_does_the_rest() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let file = thousand_row_file(&sim, 300, "sigint");
    let path = file.display().to_string();
    for provider in [sim.uqpay(), sim.wooshpay()] {
        provider.inject_fault(
            Route::CreateRefund,
            Calls::Every,
            Fault::SlowCommit(Duration::from_millis(20)),
        );
    }
    let child = common::command(&env, &["bulk", "--file", &path, "--concurrency", "8"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while total_refunds(&sim) < 40 {
        assert!(started.elapsed() < Duration::from_secs(60), "stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let interrupt = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupt.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(err.contains("not_started"), "{err}");
    let reported = lines(&output);
    assert!(reported.iter().all(|r| r["outcome"] == "ok"), "{err}");
    assert_eq!(
        reported.len(),
        total_refunds(&sim),
        "every refund in flight was finished and reported"
    );
    assert!(reported.len() < 300);

    sim.uqpay().clear_faults();
    sim.wooshpay().clear_faults();
    let output = refundkit(&env, &["bulk", "--file", &path, "--concurrency", "32"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(total_refunds(&sim), 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_after_the_providers_idempotency_window_refunds_nothing_twice() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let file = thousand_row_file(&sim, 20, "window");
    let path = file.display().to_string();
    let output = refundkit(&env, &["bulk", "--file", &path]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(total_refunds(&sim), 20);
    // The providers forget the keys: a plain create would refund again.
    sim.uqpay().set_idempotency_window(Duration::from_millis(1));
    sim.wooshpay()
        .set_idempotency_window(Duration::from_millis(1));
    tokio::time::sleep(Duration::from_millis(20)).await;
    let output = refundkit(&env, &["bulk", "--file", &path]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(lines(&output).iter().all(|r| r["outcome"] == "ok"));
    assert_eq!(total_refunds(&sim), 20, "found by key, not made again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_that_failed_at_the_provider_is_a_failed_row_with_the_refund() {
    let sim = Simulator::start().await.unwrap();
    let env = env_for(&sim);
    let good = sim
        .uqpay()
        .seed_captured(Money::parse("10.00", "USD").unwrap());
    let failing = sim
        .uqpay()
        .seed_captured(Money::parse("10.00", "USD").unwrap());
    sim.uqpay().fail_refunds(&failing, true);
    let file = write_file(
        "refunds.csv",
        &format!(
            "{HEADER}\nuqpay,{good},1,USD,duplicate,f-1\nuqpay,{failing},1,USD,duplicate,f-2\n"
        ),
    );
    let path = file.display().to_string();
    for _ in 0..2 {
        let output = refundkit(&env, &["bulk", "--file", &path]).await;
        assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
        let results = lines(&output);
        let failed = results.iter().find(|r| r["line"] == 3).unwrap();
        assert_eq!(failed["outcome"], "failed", "{failed}");
        assert_eq!(failed["refund"]["status"], "failed", "{failed}");
        assert_eq!(failed["error"]["kind"], "refund_failed", "{failed}");
        assert!(
            failed["error"]["message"]
                .as_str()
                .unwrap()
                .contains("new reference"),
            "{failed}"
        );
        assert!(
            stderr(&output).contains("refunded 1.00 USD"),
            "{}",
            stderr(&output)
        );
    }
    assert_eq!(sim.uqpay().refund_count(), 2, "the re-run made none");
}
