//! The initial schema: areas, teams and members, households and residents,
//! needs, plans and visits, users and their credentials, the audit log and
//! the mail outbox. All instants are stored in UTC.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: &'static str, column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

fn fk_null(
    from: &'static str,
    column: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::SetNull)
        .take()
}

fn index(
    table: &'static str,
    name: &'static str,
    columns: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    if unique {
        index.unique();
    }
    index.take()
}

fn tables() -> Vec<TableCreateStatement> {
    vec![
        // Administrative tree: province → commune/ward → village.
        Table::create()
            .table("areas")
            .col(pk_auto("id"))
            .col(integer_null("parent_id"))
            .col(string_len("level", 16))
            .col(string_len_null("code", 32))
            .col(string("name"))
            // JSON array of former names kept after mergers.
            .col(text("aliases").default("[]"))
            .col(double_null("latitude"))
            .col(double_null("longitude"))
            .foreign_key(&mut fk("areas", "parent_id", "areas"))
            .take(),
        Table::create()
            .table("teams")
            .col(pk_auto("id"))
            .col(integer("area_id"))
            .col(string("name"))
            .col(string_len("timezone", 64).default("Asia/Ho_Chi_Minh"))
            .col(string_len_null("tide_station", 64))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("teams", "area_id", "areas"))
            .take(),
        Table::create()
            .table("members")
            .col(pk_auto("id"))
            .col(integer("team_id"))
            .col(string("full_name"))
            .col(string_len("role", 16))
            .col(string_null("email"))
            .col(string_len_null("phone", 32))
            // JSON array of skills.
            .col(text("skills").default("[]"))
            .col(integer("daily_visit_cap").default(8))
            .col(boolean("remote_capable").default(false))
            .col(double_null("home_latitude"))
            .col(double_null("home_longitude"))
            // Availability rules as JSON, validated by doorstep-core.
            .col(text_null("availability"))
            .col(boolean("active").default(true))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("members", "team_id", "teams"))
            .take(),
        Table::create()
            .table("households")
            .col(pk_auto("id"))
            .col(integer("team_id"))
            .col(integer_null("village_id"))
            // The village register's own key of the household.
            .col(string_len("external_id", 64))
            .col(string("address"))
            .col(double_null("latitude"))
            .col(double_null("longitude"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("households", "team_id", "teams"))
            .foreign_key(&mut fk_null("households", "village_id", "areas"))
            .take(),
        Table::create()
            .table("residents")
            .col(pk_auto("id"))
            .col(integer("household_id"))
            .col(string_len("external_id", 64))
            .col(string("full_name"))
            .col(integer_null("birth_year"))
            .col(string_len_null("phone", 32))
            .col(string_len("presence", 16).default("home"))
            .col(string_len_null("country", 2))
            .col(string_len_null("timezone", 64))
            .col(text_null("availability"))
            .col(timestamp_with_time_zone_null("consent_at"))
            .col(string_null("consent_by"))
            .col(text_null("consent_text"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("residents", "household_id", "households"))
            .take(),
        Table::create()
            .table("needs")
            .col(pk_auto("id"))
            .col(integer("resident_id"))
            .col(string_len("step", 32))
            .col(string_len("status", 16).default("open"))
            .col(timestamp_with_time_zone("updated_at"))
            .col(string_null("updated_by"))
            .foreign_key(&mut fk("needs", "resident_id", "residents"))
            .take(),
        Table::create()
            .table("plans")
            .col(pk_auto("id"))
            .col(integer("team_id"))
            .col(timestamp_with_time_zone("horizon_start"))
            .col(timestamp_with_time_zone("horizon_end"))
            .col(string_len("status", 16).default("draft"))
            .col(integer_null("objective"))
            .col(integer_null("upper_bound"))
            .col(integer_null("travel_minutes"))
            .col(integer_null("solver_ms"))
            // Further solver figures as JSON.
            .col(text_null("figures"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("published_at"))
            .foreign_key(&mut fk("plans", "team_id", "teams"))
            .take(),
        Table::create()
            .table("visits")
            .col(pk_auto("id"))
            .col(integer("plan_id"))
            .col(integer("household_id"))
            .col(integer("member_id"))
            .col(timestamp_with_time_zone("start_at"))
            .col(timestamp_with_time_zone("end_at"))
            .col(string_len("mode", 16))
            .col(text("purposes").default("[]"))
            .col(string_len("status", 16).default("proposed"))
            .col(boolean("pinned").default(false))
            // JSON object: need step → outcome.
            .col(text_null("outcome"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("visits", "plan_id", "plans"))
            .foreign_key(&mut fk("visits", "household_id", "households"))
            .foreign_key(&mut fk("visits", "member_id", "members"))
            .take(),
        Table::create()
            .table("unmet")
            .col(pk_auto("id"))
            .col(integer("plan_id"))
            .col(integer("household_id"))
            .col(string_len("reason", 16))
            .col(text("explanation_vi"))
            .col(text("explanation_en"))
            .foreign_key(&mut fk("unmet", "plan_id", "plans"))
            .foreign_key(&mut fk("unmet", "household_id", "households"))
            .take(),
        Table::create()
            .table("users")
            .col(pk_auto("id"))
            .col(string_len("username", 64))
            .col(string("display_name"))
            .col(string_len("role", 16))
            .col(integer_null("team_id"))
            .col(integer_null("area_id"))
            .col(integer_null("member_id"))
            .col(string_null("email"))
            // argon2id PHC string; never the password.
            .col(string("password_hash"))
            .col(boolean("active").default(true))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk_null("users", "team_id", "teams"))
            .foreign_key(&mut fk_null("users", "area_id", "areas"))
            .foreign_key(&mut fk_null("users", "member_id", "members"))
            .take(),
        Table::create()
            .table("sessions")
            .col(pk_auto("id"))
            .col(integer("user_id"))
            .col(string_len("token_hash", 128))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("expires_at"))
            .foreign_key(&mut fk("sessions", "user_id", "users"))
            .take(),
        Table::create()
            .table("api_tokens")
            .col(pk_auto("id"))
            .col(integer("user_id"))
            .col(string("name"))
            .col(string_len("token_hash", 128))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("last_used_at"))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .foreign_key(&mut fk("api_tokens", "user_id", "users"))
            .take(),
        Table::create()
            .table("audit_log")
            .col(big_pk_auto("id"))
            .col(timestamp_with_time_zone("at"))
            // "user:12", "cli", "job:daily-lists", …
            .col(string_len("actor", 64))
            .col(string_len("action", 64))
            .col(string_len("entity", 32))
            .col(integer_null("entity_id"))
            .col(text_null("detail"))
            .take(),
        Table::create()
            .table("mail_outbox")
            .col(big_pk_auto("id"))
            .col(integer_null("team_id"))
            .col(integer_null("member_id"))
            .col(string_len("kind", 32))
            .col(date_null("day"))
            .col(string("recipient"))
            .col(string("subject"))
            .col(text("body_text"))
            .col(text_null("body_html"))
            .col(string_len("status", 16).default("pending"))
            .col(integer("attempts").default(0))
            .col(text_null("last_error"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("sent_at"))
            .foreign_key(&mut fk_null("mail_outbox", "team_id", "teams"))
            .foreign_key(&mut fk_null("mail_outbox", "member_id", "members"))
            .take(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index("areas", "ux_areas_code", &["code"], true),
        index("areas", "ix_areas_parent", &["parent_id"], false),
        index("teams", "ix_teams_area", &["area_id"], false),
        index("members", "ix_members_team", &["team_id"], false),
        index(
            "households",
            "ux_households_team_external",
            &["team_id", "external_id"],
            true,
        ),
        index(
            "households",
            "ix_households_village",
            &["village_id"],
            false,
        ),
        index(
            "residents",
            "ux_residents_household_external",
            &["household_id", "external_id"],
            true,
        ),
        index(
            "needs",
            "ux_needs_resident_step",
            &["resident_id", "step"],
            true,
        ),
        index("plans", "ix_plans_team", &["team_id"], false),
        index("visits", "ix_visits_plan", &["plan_id"], false),
        index(
            "visits",
            "ix_visits_member_start",
            &["member_id", "start_at"],
            false,
        ),
        index("visits", "ix_visits_household", &["household_id"], false),
        index(
            "unmet",
            "ux_unmet_plan_household",
            &["plan_id", "household_id"],
            true,
        ),
        index("users", "ux_users_username", &["username"], true),
        index("sessions", "ux_sessions_token", &["token_hash"], true),
        index("api_tokens", "ux_api_tokens_token", &["token_hash"], true),
        index(
            "audit_log",
            "ix_audit_entity",
            &["entity", "entity_id"],
            false,
        ),
        index("mail_outbox", "ix_outbox_status", &["status"], false),
        index(
            "mail_outbox",
            "ux_outbox_member_day_kind",
            &["member_id", "day", "kind"],
            true,
        ),
    ]
}

/// The audit log is append-only: the database itself refuses to change or
/// delete a row, whatever code runs above it.
fn audit_guards(backend: DatabaseBackend) -> Vec<&'static str> {
    match backend {
        DatabaseBackend::Sqlite => vec![
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        ],
        DatabaseBackend::Postgres => vec![
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
        ],
        _ => vec![],
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        let db = manager.get_connection();
        for statement in audit_guards(manager.get_database_backend()) {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS audit_log_append_only CASCADE")
                .await?;
        }
        for table in tables().iter().rev() {
            let name = table
                .get_table_name()
                .expect("every table is named")
                .clone();
            manager
                .drop_table(Table::drop().table(name).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
