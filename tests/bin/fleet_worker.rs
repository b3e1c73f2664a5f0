//! `refundkit-fleet-worker`: one process of a fleet test (see `fleet::worker`).

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    refundkit_tests::fleet::worker_main(&args)
}
