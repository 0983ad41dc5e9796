//! Planning a team's stored data: blackout periods, per-household overrides
//! of priority and visit length, the residents a visit meets, unmet entries
//! per resident (consent, remote calls), calendar feeds, and the sign-in
//! attempts that rate-limit failed logins.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: &'static str, column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

fn add(table: &'static str, column: ColumnDef) -> TableAlterStatement {
    Table::alter().table(table).add_column(column).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A storm, a fishing ban, a holiday: no visit is planned inside it.
        manager
            .create_table(
                Table::create()
                    .table("blackouts")
                    .col(pk_auto("id"))
                    .col(integer("team_id"))
                    // NULL: the whole team; else one village of its commune.
                    .col(integer_null("village_id"))
                    .col(string("label"))
                    // The blackout as JSON, validated by doorstep-core.
                    .col(text("rule"))
                    .col(string_len("created_by", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("blackouts", "team_id", "teams"))
                    .foreign_key(&mut fk("blackouts", "village_id", "areas"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_blackouts_team")
                    .table("blackouts")
                    .col("team_id")
                    .take(),
            )
            .await?;

        // Leaders may override what the open needs imply.
        manager
            .alter_table(add("households", integer_null("priority").take()))
            .await?;
        manager
            .alter_table(add("households", integer_null("service_minutes").take()))
            .await?;

        // The residents a visit expects to meet (JSON array of ids), and the
        // planner's id of the job, so a re-plan can keep what it can.
        manager
            .alter_table(add("visits", text("residents").default("[]").take()))
            .await?;
        manager
            .alter_table(add("visits", string_len("job", 32).default("").take()))
            .await?;

        // The plan's horizon in the team's calendar, and its summary.
        manager
            .alter_table(add("plans", date_null("start_date").take()))
            .await?;
        manager
            .alter_table(add("plans", integer_null("days").take()))
            .await?;
        manager
            .alter_table(add("plans", string_len_null("created_by", 64).take()))
            .await?;

        // Unmet entries name a resident when the reason is the resident's
        // (no consent, a remote call left out): several per household.
        manager
            .drop_index(
                Index::drop()
                    .name("ux_unmet_plan_household")
                    .table("unmet")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(add("unmet", integer_null("resident_id").take()))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_unmet_plan_household")
                    .table("unmet")
                    .col("plan_id")
                    .col("household_id")
                    .take(),
            )
            .await?;

        // Secret calendar addresses (/ics/SECRET.ics) of a member or a team.
        // The secret is kept as it is, so that its owner can read the address
        // again; a feed holds no phone numbers or identity data.
        manager
            .create_table(
                Table::create()
                    .table("calendar_feeds")
                    .col(pk_auto("id"))
                    .col(integer("team_id"))
                    // NULL: the whole team's feed (for its leader).
                    .col(integer_null("member_id"))
                    .col(string_len("secret", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("calendar_feeds", "team_id", "teams"))
                    .foreign_key(&mut fk("calendar_feeds", "member_id", "members"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_calendar_feeds_secret")
                    .table("calendar_feeds")
                    .col("secret")
                    .unique()
                    .take(),
            )
            .await?;

        // Sign-in attempts, to slow down password guessing per user and per
        // address across every node.
        manager
            .create_table(
                Table::create()
                    .table("login_attempts")
                    .col(big_pk_auto("id"))
                    .col(string_len("username", 64))
                    .col(string_len("address", 64))
                    .col(boolean("success"))
                    .col(timestamp_with_time_zone("at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_login_attempts_user")
                    .table("login_attempts")
                    .col("username")
                    .col("at")
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_login_attempts_address")
                    .table("login_attempts")
                    .col("address")
                    .col("at")
                    .take(),
            )
            .await?;
        manager
            .alter_table(add(
                "sessions",
                timestamp_with_time_zone_null("revoked_at").take(),
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["login_attempts", "calendar_feeds", "blackouts"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
