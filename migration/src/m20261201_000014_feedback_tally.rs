//! A running tally of each commitment's published comments, by kind, and of
//! those of them still awaiting an official response, kept by the database
//! itself. Every commitment page shows these counts (`feedback.totalCount`,
//! `feedbackSummary`); counting them walked every published comment of the
//! commitment and checked each against the official replies, a third of the
//! database's time for one fully nested commitment (bench/README, twelfth
//! round). With the tally they are a look-up of a few rows.
//!
//! Triggers keep it, so that no write path can forget it: the service's own
//! (submitting, moderating, answering), imports, and hand-made repairs.
//!
//! - `feedback.answered` says whether a comment has an official reply on its
//!   commitment (what "awaiting a response" asks). The `feedback_answers_*`
//!   triggers set it on the comment when such a reply comes, goes, or
//!   changes; the service never writes it, and its entity does not list it.
//! - The `feedback_tally_*` triggers add each row's contribution to the
//!   tally when the row is written and take it back out when it changes or
//!   goes. A row's contribution depends on its own columns only (commitment,
//!   kind, parent, status, official, answered), so the tally stays exact
//!   whatever order the rows of one statement are handled in.
//!
//! Two sets of triggers rather than one: an update that a trigger makes
//! (setting `answered`) must fire the tally's trigger, and SQLite does not
//! let a trigger fire itself.
//!
//! A burst of comments on one commitment would all update one row, and each
//! transaction holds that row's lock until it commits: on two cores,
//! PostgreSQL committed 1,300 updates a second of one row and 4,200 spread
//! over eight. So each comment counts in one of sixteen rows of its
//! commitment and kind (its id modulo 16), and readers add them up.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FeedbackTally {
    Table,
    CommitmentId,
    Kind,
    Stripe,
    Comments,
    Awaiting,
}

#[derive(DeriveIden)]
enum Feedback {
    Table,
    Answered,
}

/// Whether an official reply on its commitment answers the comment an
/// `UPDATE feedback` is on (SQLite takes no alias there).
const ANSWERED: &str = "EXISTS (SELECT 1 FROM feedback AS reply \
    WHERE reply.commitment_id = feedback.commitment_id AND reply.parent_id = feedback.id \
    AND reply.official)";

/// PostgreSQL: a function per set of triggers.
fn postgres_up() -> String {
    let (add, remove) = (contribution("NEW", 1), contribution("OLD", -1));
    format!(
        r#"
CREATE FUNCTION feedback_tally_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN {remove} END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN {add} END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER feedback_tally_rows
    AFTER INSERT OR DELETE ON feedback
    FOR EACH ROW EXECUTE FUNCTION feedback_tally_follow();
CREATE TRIGGER feedback_tally_changes
    AFTER UPDATE OF commitment_id, kind, parent_id, status, official, answered ON feedback
    FOR EACH ROW
    WHEN ((OLD.commitment_id, OLD.kind, OLD.parent_id, OLD.status, OLD.official, OLD.answered)
          IS DISTINCT FROM (NEW.commitment_id, NEW.kind, NEW.parent_id, NEW.status, NEW.official, NEW.answered))
    EXECUTE FUNCTION feedback_tally_follow();

CREATE FUNCTION feedback_answers_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The comments a reply answered, and (moved) a comment itself, are
    -- checked again; a comment a new official reply answers is answered.
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.official AND OLD.parent_id IS NOT NULL THEN
        UPDATE feedback SET answered = {ANSWERED}
        WHERE feedback.id = OLD.parent_id AND feedback.answered IS DISTINCT FROM {ANSWERED};
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.commitment_id IS DISTINCT FROM NEW.commitment_id THEN
        UPDATE feedback SET answered = {ANSWERED}
        WHERE feedback.id = NEW.id AND feedback.answered IS DISTINCT FROM {ANSWERED};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.official AND NEW.parent_id IS NOT NULL THEN
        UPDATE feedback SET answered = TRUE
        WHERE id = NEW.parent_id AND commitment_id = NEW.commitment_id AND NOT answered;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER feedback_answers_rows
    AFTER INSERT OR DELETE ON feedback
    FOR EACH ROW EXECUTE FUNCTION feedback_answers_follow();
CREATE TRIGGER feedback_answers_changes
    AFTER UPDATE OF commitment_id, parent_id, official ON feedback
    FOR EACH ROW
    WHEN ((OLD.commitment_id, OLD.parent_id, OLD.official)
          IS DISTINCT FROM (NEW.commitment_id, NEW.parent_id, NEW.official))
    EXECUTE FUNCTION feedback_answers_follow();
"#
    )
}

const POSTGRES_DOWN: &str = "
DROP TRIGGER feedback_answers_changes ON feedback;
DROP TRIGGER feedback_answers_rows ON feedback;
DROP FUNCTION feedback_answers_follow();
DROP TRIGGER feedback_tally_changes ON feedback;
DROP TRIGGER feedback_tally_rows ON feedback;
DROP FUNCTION feedback_tally_follow();
";

/// Adds `row`'s (`OLD` or `NEW`) contribution to the tally, `sign` 1 or -1,
/// where the row counts; the same statement on both databases. SQLite has
/// no procedural language, so the condition is the statement's `WHERE`,
/// which also tells SQLite's parser that `ON CONFLICT` is an upsert, not a
/// join.
fn contribution(row: &str, sign: i32) -> String {
    format!(
        "INSERT INTO feedback_tally (commitment_id, kind, stripe, comments, awaiting)
        SELECT {row}.commitment_id, {row}.kind, {row}.id % 16, {sign},
            CASE WHEN {row}.official OR {row}.answered THEN 0 ELSE {sign} END
        WHERE {row}.parent_id IS NULL AND {row}.status = 'published'
        ON CONFLICT (commitment_id, kind, stripe) DO UPDATE
        SET comments = feedback_tally.comments + excluded.comments,
            awaiting = feedback_tally.awaiting + excluded.awaiting;"
    )
}

/// The comment an official reply (`OLD`) answered is checked again.
fn sqlite_recheck_answered(row: &str) -> String {
    format!(
        "UPDATE feedback SET answered = {ANSWERED}
        WHERE {row}.official AND feedback.id = {row}.parent_id
            AND feedback.answered IS NOT {ANSWERED};"
    )
}

/// The comment an official reply (`NEW`) answers is answered.
const SQLITE_ANSWER: &str = "UPDATE feedback SET answered = TRUE
    WHERE NEW.official AND id = NEW.parent_id AND commitment_id = NEW.commitment_id
        AND NOT answered;";

fn sqlite_up() -> Vec<String> {
    let (add, remove) = (contribution("NEW", 1), contribution("OLD", -1));
    let (recheck_old, recheck_new) = (
        sqlite_recheck_answered("OLD"),
        // A comment moved to another commitment.
        format!(
            "UPDATE feedback SET answered = {ANSWERED}
            WHERE OLD.commitment_id IS NOT NEW.commitment_id AND feedback.id = NEW.id
                AND feedback.answered IS NOT {ANSWERED};"
        ),
    );
    vec![
        format!("CREATE TRIGGER feedback_tally_insert AFTER INSERT ON feedback BEGIN {add} END"),
        format!("CREATE TRIGGER feedback_tally_delete AFTER DELETE ON feedback BEGIN {remove} END"),
        format!(
            "CREATE TRIGGER feedback_tally_update
            AFTER UPDATE OF commitment_id, kind, parent_id, status, official, answered ON feedback
            WHEN OLD.commitment_id IS NOT NEW.commitment_id OR OLD.kind IS NOT NEW.kind
                OR OLD.parent_id IS NOT NEW.parent_id OR OLD.status IS NOT NEW.status
                OR OLD.official IS NOT NEW.official OR OLD.answered IS NOT NEW.answered
            BEGIN {remove} {add} END"
        ),
        format!(
            "CREATE TRIGGER feedback_answers_insert AFTER INSERT ON feedback BEGIN {SQLITE_ANSWER} END"
        ),
        format!(
            "CREATE TRIGGER feedback_answers_delete AFTER DELETE ON feedback BEGIN {recheck_old} END"
        ),
        format!(
            "CREATE TRIGGER feedback_answers_update
            AFTER UPDATE OF commitment_id, parent_id, official ON feedback
            WHEN OLD.commitment_id IS NOT NEW.commitment_id OR OLD.parent_id IS NOT NEW.parent_id
                OR OLD.official IS NOT NEW.official
            BEGIN {recheck_old} {recheck_new} {SQLITE_ANSWER} END"
        ),
    ]
}

const SQLITE_DOWN: [&str; 6] = [
    "DROP TRIGGER feedback_answers_update",
    "DROP TRIGGER feedback_answers_delete",
    "DROP TRIGGER feedback_answers_insert",
    "DROP TRIGGER feedback_tally_update",
    "DROP TRIGGER feedback_tally_delete",
    "DROP TRIGGER feedback_tally_insert",
];

/// Marks the comments already answered, and counts the published comments
/// already there into the tally (stripe 0).
async fn count_what_is_there<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    db.execute_unprepared(&format!(
        "UPDATE feedback SET answered = TRUE WHERE {ANSWERED}"
    ))
    .await?;
    db.execute_unprepared(
        "INSERT INTO feedback_tally (commitment_id, kind, stripe, comments, awaiting) \
         SELECT commitment_id, kind, 0, COUNT(*), \
         SUM(CASE WHEN official OR answered THEN 0 ELSE 1 END) \
         FROM feedback WHERE parent_id IS NULL AND status = 'published' \
         GROUP BY commitment_id, kind",
    )
    .await
    .map(|_| ())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FeedbackTally::Table)
                    // No foreign key: a commitment's deletion deletes its
                    // comments, whose triggers bring its rows to zero.
                    .col(big_integer(FeedbackTally::CommitmentId))
                    .col(string(FeedbackTally::Kind))
                    .col(small_integer(FeedbackTally::Stripe))
                    // Published top-level comments, and those of them from
                    // citizens without an official response. A stripe may
                    // hold a negative figure: a comment counts in its id's
                    // stripe, what the migration found in stripe 0.
                    .col(big_integer(FeedbackTally::Comments))
                    .col(big_integer(FeedbackTally::Awaiting))
                    .primary_key(
                        Index::create()
                            .col(FeedbackTally::CommitmentId)
                            .col(FeedbackTally::Kind)
                            .col(FeedbackTally::Stripe),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Feedback::Table)
                    .add_column(boolean(Feedback::Answered).default(false))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // Before the triggers exist, which would count it again.
        count_what_is_there(db).await?;
        crate::execute_on_backend(manager, [postgres_up()], sqlite_up()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_on_backend(manager, [POSTGRES_DOWN], SQLITE_DOWN).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Feedback::Table)
                    .drop_column(Feedback::Answered)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(FeedbackTally::Table).to_owned())
            .await
    }
}
