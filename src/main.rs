use std::process::ExitCode;

use clap::Parser;
use ogp_pulse::{commands, config::Cli};
use tracing_subscriber::EnvFilter;

// A response builds thousands of small strings and maps; glibc's allocator
// spent a fifth of an uncached request's time on them (perf, 2026-11-30).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm_migration=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match commands::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ogp-pulse: {err}");
            ExitCode::FAILURE
        }
    }
}
