//! What each `ogp-pulse` subcommand does.

use std::net::SocketAddr;

use poem::{
    listener::{Acceptor, Listener, TcpListener},
    Server,
};

use crate::{
    app::{routes, AppState},
    config::{Cli, Command, ServeArgs},
    db::{redact_url, ConnectError, Database},
    graphql,
    import::{self, ImportError},
};

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Database(#[from] ConnectError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(#[source] std::io::Error),
}

pub async fn run(cli: Cli) -> Result<(), CommandError> {
    match cli.command {
        Command::ExportSchema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Migrate => {
            let db = open(&cli.database_url).await?;
            tracing::info!("migrations applied");
            drop(db);
            Ok(())
        }
        Command::Import { file } => {
            let db = open(&cli.database_url).await?;
            let report = import::import_path(&db.conn, &file).await?;
            if report.changed_nothing() {
                println!("{}: already up to date ({report})", file.display());
            } else {
                println!("{}: imported ({report})", file.display());
            }
            Ok(())
        }
        Command::Serve(args) => serve(&cli.database_url, args).await,
    }
}

/// Connects and brings the schema up to date.
async fn open(database_url: &str) -> Result<Database, ConnectError> {
    let db = Database::connect(database_url).await?;
    db.migrate().await?;
    tracing::info!(database = %redact_url(database_url), "database ready");
    Ok(db)
}

async fn serve(database_url: &str, args: ServeArgs) -> Result<(), CommandError> {
    // Bind before touching the database, so a port in use is reported at once.
    let acceptor = TcpListener::bind(args.bind)
        .into_acceptor()
        .await
        .map_err(|source| CommandError::Listen {
            addr: args.bind,
            source,
        })?;
    let db = open(database_url).await?;
    if args.empty {
        tracing::info!("--empty: the bundled action plan is not loaded");
    } else if let Some(report) = import::load_bundled_if_empty(&db.conn).await? {
        tracing::info!(%report, "loaded the bundled Morocco 2018-2020 action plan");
    }
    let state = AppState::new(db, &args.api);
    let local = acceptor
        .local_addr()
        .first()
        .and_then(|addr| addr.as_socket_addr().map(ToString::to_string))
        .unwrap_or_else(|| args.bind.to_string());
    tracing::info!("serving GraphiQL on http://{local}/ and the API on http://{local}/graphql");
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(
            routes(state),
            shutdown_signal(),
            Some(std::time::Duration::from_secs(10)),
        )
        .await
        .map_err(CommandError::Serve)
}

/// Ctrl-C in a terminal, SIGTERM from a service manager or an orchestrator.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
