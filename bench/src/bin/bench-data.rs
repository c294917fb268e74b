//! `bench-data`: fills an empty database with seeded, realistic data at one
//! of the scales of `bench/README.md`, through the real schema.

use std::time::Instant;

use chrono::{DateTime, Utc};
use clap::Parser;
use ogp_pulse::{db::Database, import, staff};
use ogp_pulse_bench::{Scale, bulk, catalog};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Statement};

#[derive(Debug, Parser)]
#[command(
    name = "bench-data",
    about = "Fill an empty ogp-pulse database with generated data"
)]
struct Args {
    /// sqlite://FILE or postgres://… (migrated first).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// tiny, small (Morocco-sized), world (OGP-sized) or stress (world and
    /// 10 million feedback items).
    #[arg(long, default_value = "small")]
    scale: String,
    #[arg(long)]
    countries: Option<usize>,
    /// Action plans in all.
    #[arg(long)]
    plans: Option<usize>,
    /// Commitments in all.
    #[arg(long)]
    commitments: Option<usize>,
    /// Milestones in all.
    #[arg(long)]
    milestones: Option<usize>,
    /// Feedback items in all.
    #[arg(long)]
    feedback: Option<usize>,
    /// The same seed gives the same data.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// The data's "now": the newest feedback, the end of the year of
    /// awareness figures.
    #[arg(long, default_value = "2026-11-30T00:00:00Z")]
    as_of: DateTime<Utc>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-data: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let named = Scale::named(&args.scale)
        .ok_or_else(|| format!("--scale {:?}: tiny, small, world or stress", args.scale))?;
    let scale = Scale {
        countries: args.countries.unwrap_or(named.countries).max(1),
        plans: args.plans.unwrap_or(named.plans).max(1),
        commitments: args.commitments.unwrap_or(named.commitments),
        milestones: args.milestones.unwrap_or(named.milestones),
        feedback: args.feedback.unwrap_or(named.feedback),
    };
    let started = Instant::now();
    let db = Database::connect(&args.database_url)
        .await
        .map_err(|err| err.to_string())?;
    db.migrate().await.map_err(|err| err.to_string())?;
    let conn = &db.conn;
    let existing = entity::commitment::Entity::find()
        .count(conn)
        .await
        .map_err(|err| err.to_string())?;
    if existing > 0 {
        return Err(format!(
            "the database already holds {existing} commitments: give an empty one"
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    eprintln!("generating {scale:?} (seed {})", args.seed);
    let file = catalog::generate(&scale, &mut rng);
    let report = import::import_json(conn, &file.to_string())
        .await
        .map_err(|err| err.to_string())?;
    eprintln!(
        "catalogue imported ({report}) after {:.1?}",
        started.elapsed()
    );

    let (responder, _) = staff::accounts::create(
        conn,
        staff::accounts::NewStaff {
            email: "bench-responder@gov.example".to_owned(),
            name: "Bench Responder".to_owned(),
            roles: vec![staff::Role::Admin],
            focal_point: None,
            password: None,
        },
        args.as_of,
    )
    .await
    .map_err(|err| err.to_string())?;
    bulk::feedback(conn, &mut rng, scale.feedback, responder.id, args.as_of)
        .await
        .map_err(|err| err.to_string())?;
    bulk::awareness(conn, &mut rng, args.as_of.date_naive(), args.as_of)
        .await
        .map_err(|err| err.to_string())?;
    // Fresh statistics, so the planner sees the data as it now is; on
    // PostgreSQL also the visibility map, which autovacuum would set on a
    // live database a while after the load, so that counts read only their
    // indexes from the first measured request.
    let backend = conn.get_database_backend();
    let statement = match backend {
        sea_orm::DatabaseBackend::Postgres => "VACUUM ANALYZE",
        _ => "ANALYZE",
    };
    conn.execute_raw(Statement::from_string(backend, statement))
        .await
        .map_err(|err| err.to_string())?;
    eprintln!("done in {:.1?}", started.elapsed());
    Ok(())
}
