//! Prints the fault table of both adapters as Markdown (for docs/reliability.md):
//! `cargo run -p refundkit-tests --example fault_table`.

use refundkit_testkit::conformance;
use refundkit_testkit::Simulator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = Simulator::start().await?;
    for subject in refundkit_tests::subjects(&sim) {
        let rows = conformance::fault_table(&subject)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "{}",
            conformance::fault_table_markdown(&conformance::Subject::name(&subject), &rows)
        );
    }
    Ok(())
}
