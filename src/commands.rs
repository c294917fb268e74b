//! What each `ogp-pulse` subcommand does.

use std::net::SocketAddr;

use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};

use crate::{
    accountability::report,
    app::{AppState, routes},
    campaigns::{metrics, metrics_csv},
    config::{
        Cli, Command, DigestCommand, ExportArgs, ExportFormat, MailArgs, MetricsCommand,
        PreviewFormat, ReportCommand, ReportFormat, ServeArgs, StaffCommand,
    },
    db::{ConnectError, Database, redact_url},
    digests::{self, DigestSettings},
    error::AppError,
    exports, graphql,
    import::{self, ImportError},
    mail,
    staff::{Actor, Role, accounts},
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
    #[error("{}", staff_message(.0))]
    Staff(AppError),
    #[error("mail: {0}")]
    Mail(String),
    #[error("{0}")]
    Digest(AppError),
    #[error("{}", staff_message(.0))]
    Report(AppError),
    #[error("{retried} message(s) deferred for a retry, {failed} given up")]
    Undelivered { retried: u64, failed: u64 },
    #[error("{0}")]
    Export(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{} problem(s) in {file}, nothing was recorded:\n{}", .problems.len(), problem_list(.problems))]
    Metrics {
        file: String,
        problems: Vec<metrics_csv::LineProblem>,
    },
}

fn problem_list(problems: &[metrics_csv::LineProblem]) -> String {
    problems
        .iter()
        .map(|problem| format!("  - {problem}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An error of a staff command as an operator should read it.
fn staff_message(err: &AppError) -> String {
    match err {
        AppError::BadUserInput { field, message } => format!("--{field}: {message}"),
        AppError::Database(cause) => format!("database error: {cause}"),
        other => other.to_string(),
    }
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
        Command::Serve(args) => serve(&cli.database_url, *args).await,
        Command::Staff(command) => staff(&cli.database_url, command).await,
        Command::Metrics(MetricsCommand::Import { file, staff }) => {
            import_metrics(&cli.database_url, &file, &staff).await
        }
        Command::Digest(command) => digest(&cli.database_url, command).await,
        Command::Report(command) => print_report(&cli.database_url, command).await,
        Command::Export(args) => export(&cli.database_url, args).await,
    }
}

/// Streams one export to standard output or a file, as the HTTP route does.
async fn export(database_url: &str, args: ExportArgs) -> Result<(), CommandError> {
    let Some(dataset) = exports::Dataset::parse(&args.dataset) else {
        let names: Vec<&str> = exports::Dataset::ALL.iter().map(|d| d.name()).collect();
        return Err(CommandError::Export(format!(
            "no dataset {:?}: choose one of {}",
            args.dataset,
            names.join(", ")
        )));
    };
    let db = open(database_url).await?;
    let plan = crate::catalog::lookups::action_plan_by_key(&db.conn, &args.plan)
        .await
        .map_err(|err| CommandError::Export(err.to_string()))?
        .ok_or_else(|| CommandError::Export(format!("no action plan {:?}", args.plan)))?;
    let export = exports::Export {
        plan,
        dataset,
        format: match args.format {
            ExportFormat::Csv => exports::Format::Csv,
            ExportFormat::Json => exports::Format::Json,
        },
        language: crate::language::LanguagePreference::only(&args.language),
        public_url: args.public_url,
        now: chrono::Utc::now(),
    };
    let written = match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|source| CommandError::Write {
                path: path.display().to_string(),
                source,
            })?;
            let mut out = std::io::BufWriter::new(file);
            exports::write_to(db.conn.clone(), export, &mut out).await
        }
        None => {
            let mut out = std::io::stdout().lock();
            exports::write_to(db.conn.clone(), export, &mut out).await
        }
    };
    written.map(|_| ()).map_err(|source| CommandError::Write {
        path: args
            .output
            .as_ref()
            .map_or_else(|| "standard output".to_owned(), |p| p.display().to_string()),
        source,
    })
}

async fn print_report(database_url: &str, command: ReportCommand) -> Result<(), CommandError> {
    let ReportCommand::Commitment {
        code,
        format,
        language,
        now,
        public_url,
        compliance,
    } = command;
    let db = open(database_url).await?;
    let rules = compliance.rules();
    let settings = report::Settings {
        language: language.as_str(),
        now: now.unwrap_or_else(chrono::Utc::now),
        rules: &rules,
        public_url: &public_url,
    };
    let pack = report::gather(&db.conn, &code, &settings)
        .await
        .map_err(CommandError::Report)?;
    let format = match format {
        ReportFormat::Md => report::Format::Markdown,
        ReportFormat::Html => report::Format::Html,
    };
    print!(
        "{}",
        report::render(&pack, format).map_err(CommandError::Report)?
    );
    Ok(())
}

async fn digest(database_url: &str, command: DigestCommand) -> Result<(), CommandError> {
    match command {
        DigestCommand::Run {
            now,
            dry_run,
            public_url,
            mail,
            compliance,
        } => {
            let sender = mail_sender(&mail)?;
            let db = open(database_url).await?;
            let now = now.unwrap_or_else(chrono::Utc::now);
            let settings = DigestSettings {
                public_url,
                compliance: compliance.rules(),
            };
            let report = digests::run::run_due(&db.conn, &settings, now, dry_run)
                .await
                .map_err(CommandError::Digest)?;
            for digest in &report.digests {
                println!(
                    "{} digest for focal point {}: {}",
                    if dry_run { "would compose" } else { "composed" },
                    digest.focal_point_id,
                    digest.subject
                );
            }
            println!(
                "{} digest(s) {}, {} with nothing new, {} awaiting a confirmed address",
                report.composed,
                if dry_run { "due" } else { "composed" },
                report.nothing_new,
                report.unconfirmed_address
            );
            if dry_run {
                return Ok(());
            }
            let delivered = mail::delivery::deliver_due(&db.conn, &sender, now)
                .await
                .map_err(CommandError::Digest)?;
            println!(
                "delivered {} message(s): {} deferred, {} given up, {} suppressed",
                delivered.sent, delivered.retried, delivered.failed, delivered.suppressed
            );
            if delivered.retried + delivered.failed > 0 {
                return Err(CommandError::Undelivered {
                    retried: delivered.retried,
                    failed: delivered.failed,
                });
            }
            Ok(())
        }
        DigestCommand::Preview {
            focal_point,
            format,
            now,
            public_url,
            compliance,
        } => {
            let db = open(database_url).await?;
            let id = match graphql::focal_point_number(&focal_point) {
                Some(id) => id,
                None => accounts::resolve_focal_point(&db.conn, &focal_point)
                    .await
                    .map_err(CommandError::Staff)?,
            };
            let now = now.unwrap_or_else(chrono::Utc::now);
            let settings = DigestSettings {
                public_url,
                compliance: compliance.rules(),
            };
            match digests::run::preview(&db.conn, &settings, id, now)
                .await
                .map_err(CommandError::Digest)?
            {
                Some(email) => {
                    println!("Subject: {}", email.subject);
                    println!();
                    match format {
                        PreviewFormat::Text => print!("{}", email.text),
                        PreviewFormat::Html => print!("{}", email.html),
                    }
                }
                None => println!("nothing new for focal point {id} in its current period"),
            }
            Ok(())
        }
    }
}

async fn import_metrics(
    database_url: &str,
    file: &std::path::Path,
    email: &str,
) -> Result<(), CommandError> {
    let shown = file.display().to_string();
    let text = tokio::fs::read_to_string(file)
        .await
        .map_err(|source| CommandError::Read {
            path: shown.clone(),
            source,
        })?;
    let (parsed, mut problems) = metrics_csv::parse(&text, graphql::activity_number);
    let db = open(database_url).await?;
    if !problems.is_empty() {
        // Report the other lines' problems too, not just the unreadable ones.
        let checked = metrics::problems(&db.conn, &parsed.rows)
            .await
            .map_err(CommandError::Staff)?;
        problems.extend(parsed.locate(checked));
        problems.sort_by_key(|problem| problem.line);
        return Err(CommandError::Metrics {
            file: shown,
            problems,
        });
    }
    let actor = Actor::Staff(accounts::acting_as(&db.conn, email).await.map_err(
        |err| match err {
            AppError::NotFound(_) => CommandError::Staff(AppError::bad_input(
                "staff",
                "no staff account has this email",
            )),
            other => CommandError::Staff(other),
        },
    )?);
    let rows = parsed.rows.clone();
    let recording = match metrics::record(&db.conn, &actor, chrono::Utc::now(), rows).await {
        Ok(recording) => recording,
        Err(AppError::InvalidRows(problems)) => {
            return Err(CommandError::Metrics {
                file: shown,
                problems: parsed.locate(problems),
            });
        }
        Err(other) => return Err(CommandError::Staff(other)),
    };
    if recording.created + recording.corrected > 0 {
        crate::response_cache::note_external_write(&db.conn, crate::response_cache::AWARENESS)
            .await
            .map_err(|err| CommandError::Staff(err.into()))?;
    }
    println!(
        "recorded {} metrics: {} new, {} corrected, {} unchanged",
        recording.metrics.len(),
        recording.created,
        recording.corrected,
        recording.unchanged
    );
    Ok(())
}

async fn staff(database_url: &str, command: StaffCommand) -> Result<(), CommandError> {
    let db = open(database_url).await?;
    let now = chrono::Utc::now();
    match command {
        StaffCommand::Add {
            email,
            name,
            roles,
            focal_point,
            password_stdin,
        } => {
            let roles = roles
                .iter()
                .map(|role| {
                    Role::parse(role).ok_or_else(|| {
                        CommandError::Staff(AppError::bad_input(
                            "role",
                            format!("{role:?} is not a role (admin, moderator, focal-point)"),
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).map_err(|err| {
                    CommandError::Staff(AppError::Internal(format!("reading the password: {err}")))
                })?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let new = accounts::NewStaff {
                email,
                name,
                roles,
                focal_point,
                password,
            };
            let (account, token) = accounts::create(&db.conn, new, now)
                .await
                .map_err(CommandError::Staff)?;
            println!("created staff account {} ({})", account.email, account.name);
            println!("API token (shown once; send it as `Authorization: Bearer <token>`):");
            println!("{token}");
        }
        StaffCommand::Token {
            email,
            label,
            expires_in_days,
        } => {
            let expires_at =
                expires_in_days.map(|days| now + chrono::Duration::days(i64::from(days)));
            let token = accounts::add_api_token(&db.conn, &email, &label, expires_at, now)
                .await
                .map_err(CommandError::Staff)?;
            match expires_at {
                Some(at) => println!(
                    "API token for {} (expires {at}; shown once):",
                    email.trim().to_lowercase()
                ),
                None => println!(
                    "API token for {} (shown once):",
                    email.trim().to_lowercase()
                ),
            }
            println!("{token}");
        }
        StaffCommand::List => {
            for summary in accounts::list(&db.conn, now)
                .await
                .map_err(CommandError::Staff)?
            {
                let roles: Vec<&str> = summary.roles.iter().map(|role| role.as_str()).collect();
                println!(
                    "{}\t{}\t{}\t{} live credential(s)",
                    summary.account.email,
                    summary.account.name,
                    roles.join(","),
                    summary.live_credentials
                );
            }
        }
        StaffCommand::Revoke { email } => {
            let revoked = accounts::revoke_by_email(&db.conn, &email, now)
                .await
                .map_err(CommandError::Staff)?;
            println!(
                "revoked {revoked} credential(s) of {}",
                email.trim().to_lowercase()
            );
        }
    }
    Ok(())
}

/// Connects and brings the schema up to date.
async fn open(database_url: &str) -> Result<Database, ConnectError> {
    open_pooled(database_url, None).await
}

/// [`open`], keeping `pool_size` connections (the default when `None`).
async fn open_pooled(database_url: &str, pool_size: Option<u32>) -> Result<Database, ConnectError> {
    let db = Database::connect_pooled(database_url, pool_size).await?;
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
    let db = open_pooled(database_url, args.database_pool_size).await?;
    if args.empty {
        tracing::info!("--empty: the bundled action plan is not loaded");
    } else if let Some(report) = import::load_bundled_if_empty(&db.conn).await? {
        tracing::info!(%report, "loaded the bundled Morocco 2018-2020 action plan");
    }
    let sender = mail_sender(&args.api.mail)?;
    let state = AppState::new(db, &args.api);
    tokio::spawn(mail_worker(
        state.db.background.clone(),
        sender,
        DigestSettings {
            public_url: args.api.public_url.clone(),
            compliance: args.api.compliance.rules(),
        },
        std::sync::Arc::clone(&state.metrics),
    ));
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

/// The sender of the outbox, from the settings.
fn mail_sender(mail: &MailArgs) -> Result<mail::delivery::Sender, CommandError> {
    let from: lettre::message::Mailbox = mail
        .mail_from
        .parse()
        .map_err(|_| CommandError::Mail("OGP_PULSE_MAIL_FROM is not an address".to_owned()))?;
    let domain = from.email.domain().to_owned();
    let transport = mail::transport::MailTransport::from_settings(
        mail.smtp_url.as_deref(),
        &mail.mail_outbox_dir,
    )
    .map_err(CommandError::Mail)?;
    Ok(mail::delivery::Sender {
        transport,
        from,
        domain,
    })
}

/// Every few seconds for as long as the service runs: composes the digests
/// that are due (each minute) and delivers the outbox. Several instances
/// share the work safely: a digest slot is claimed once
/// (`digests::run`), a message is taken by one sender (`mail::outbox`).
async fn mail_worker(
    db: sea_orm::DatabaseConnection,
    sender: mail::delivery::Sender,
    settings: DigestSettings,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
) {
    const TICK: std::time::Duration = std::time::Duration::from_secs(5);
    const DIGESTS_EVERY: u32 = 12;
    const KEEP_FINISHED: chrono::Duration = chrono::Duration::days(30);
    let mut tick = 0u32;
    loop {
        let now = chrono::Utc::now();
        if tick.is_multiple_of(DIGESTS_EVERY) {
            match digests::run::run_due(&db, &settings, now, false).await {
                Ok(report) => {
                    if report.composed > 0 {
                        tracing::info!(composed = report.composed, "digests composed");
                    }
                    metrics.digests(&report);
                }
                Err(err) => {
                    tracing::warn!(error = %err, "composing digests failed; retrying shortly")
                }
            }
        }
        tick = tick.wrapping_add(1);
        match mail::delivery::deliver_due(&db, &sender, now).await {
            Ok(report) => {
                if report != mail::delivery::DeliveryReport::default() {
                    tracing::info!(?report, "mail delivered");
                }
                metrics.deliveries(&report);
            }
            Err(err) => tracing::warn!(error = %err, "mail delivery failed; retrying shortly"),
        }
        if tick % DIGESTS_EVERY == 1 {
            // Finished messages are kept a while for the backlog's figures
            // and for support questions, not for ever.
            if let Err(err) = mail::outbox::purge_finished(&db, now - KEEP_FINISHED).await {
                tracing::warn!(error = %err, "cannot purge old mail");
            }
        }
        tokio::time::sleep(TICK).await;
    }
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
