//! `bench-static`: answers every request with the same JSON body, on the
//! same HTTP server and runtime as ogp-pulse — the most any handler could
//! do on this machine, against which cached queries are measured.

use clap::Parser;
use poem::{EndpointExt, Response, Route, Server, handler, listener::TcpListener, web::Data};

#[derive(Debug, Parser)]
#[command(
    name = "bench-static",
    about = "Serve a fixed JSON body to every request"
)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:8100")]
    bind: String,
    /// File whose bytes are the body (e.g. Q1's response).
    #[arg(long)]
    body: std::path::PathBuf,
}

#[derive(Clone)]
struct Body(bytes::Bytes);

#[handler]
fn answer(Data(body): Data<&Body>) -> Response {
    Response::builder()
        .content_type("application/json")
        .body(body.0.clone())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let body = match std::fs::read(&args.body) {
        Ok(bytes) => Body(bytes.into()),
        Err(err) => {
            eprintln!("bench-static: cannot read {}: {err}", args.body.display());
            return std::process::ExitCode::FAILURE;
        }
    };
    let app = Route::new()
        .at("/*", poem::get(answer).post(answer))
        .at("/", poem::get(answer).post(answer))
        .data(body);
    match Server::new(TcpListener::bind(args.bind)).run(app).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench-static: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
