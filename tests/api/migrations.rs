//! The migration goes down and up again, and its foreign keys are enforced.

use entity::{commitment, commitment_translation};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};

use crate::support::{TestDatabase, on_both_backends};

on_both_backends! {
    async fn migrations_go_down_and_up_again(backend: Backend) {
        let database = TestDatabase::new(backend).await;
        let conn = &database.db.conn;
        let commitments = commitment::Entity::find()
            .all(conn)
            .await
            .expect("a migrated database has a commitment table");
        assert!(commitments.is_empty());

        Migrator::down(conn, None).await.expect("every migration goes down");
        let gone = commitment::Entity::find().all(conn).await;
        assert!(gone.is_err(), "the commitment table survived `down`: {gone:?}");
        let pending = Migrator::get_pending_migrations(conn)
            .await
            .expect("list pending migrations");
        assert_eq!(pending.len(), Migrator::migrations().len(), "every migration is pending again");

        Migrator::up(conn, None).await.expect("every migration goes up again");
        let back = commitment::Entity::find()
            .all(conn)
            .await
            .expect("the commitment table is back after `up`");
        assert!(back.is_empty());
        let pending = Migrator::get_pending_migrations(conn)
            .await
            .expect("list pending migrations");
        assert!(pending.is_empty(), "{} migration(s) still pending", pending.len());
    }

    async fn a_translation_of_a_missing_commitment_is_refused(backend: Backend) {
        let database = TestDatabase::new(backend).await;
        let conn = &database.db.conn;
        let orphan = commitment_translation::ActiveModel {
            commitment_id: Set(424_242),
            language: Set("en".to_owned()),
            title: Set("A translation of nothing".to_owned()),
            full_title: Set(None),
            public_problem: Set(None),
            description: Set(None),
            how_it_contributes: Set(None),
            ogp_relevance: Set(None),
            additional_information: Set(None),
        };
        let inserted = commitment_translation::Entity::insert(orphan)
            .exec_without_returning(conn)
            .await;
        assert!(inserted.is_err(), "the foreign key to commitment is not enforced: {inserted:?}");
        let rows = commitment_translation::Entity::find()
            .count(conn)
            .await
            .expect("count translations");
        assert_eq!(rows, 0);
    }
}
