//! Who is asking, and what they may see and do.
//!
//! - `admin`: everything.
//! - `official`: reads every team whose area lies in theirs (an area and
//!   everything under it); changes nothing.
//! - `leader`: reads and plans their own team.
//! - `volunteer`: reads their own team's published plans and their own
//!   visits; of the register, only the households (and their residents)
//!   they visit on the team's calendar, see [`Actor::register_reach`]. Of
//!   the team's calendar and plans: every visit's time, member, register
//!   key, village and purposes, the address only of their own visits, and
//!   what a plan leaves out only as counts (its entries name residents).
//!
//! A record outside the actor's scope is "not found", never "forbidden", so
//! that nobody can probe other villages. A record in scope that the actor may
//! not change is "forbidden".

use doorstep_core::UserRole;
use doorstep_store::Store;

use crate::error::ServiceError;

/// The person (or process) a use case acts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The signed-in user, `None` for the CLI and jobs.
    pub user_id: Option<i32>,
    /// Sign-in name, or the process's name (`cli`, `demo`).
    pub username: String,
    /// What they may do.
    pub role: UserRole,
    /// The team of a leader or volunteer.
    pub team_id: Option<i32>,
    /// The area of an official.
    pub area_id: Option<i32>,
    /// The member record of a leader or volunteer.
    pub member_id: Option<i32>,
}

impl Actor {
    /// A process acting with every right: the CLI run by the operator, the
    /// demo loader, the jobs.
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: None,
            username: name.to_owned(),
            role: UserRole::Admin,
            team_id: None,
            area_id: None,
            member_id: None,
        }
    }

    /// How the audit log names the actor: `user:12` or the process's name.
    pub fn label(&self) -> String {
        match self.user_id {
            Some(id) => format!("user:{id}"),
            None => self.username.clone(),
        }
    }

    /// Whether the actor may read the team.
    ///
    /// # Errors
    /// The store fails.
    pub async fn may_see_team(&self, store: &Store, team_id: i32) -> Result<bool, ServiceError> {
        Ok(match self.role {
            UserRole::Admin => true,
            UserRole::Leader | UserRole::Volunteer => self.team_id == Some(team_id),
            UserRole::Official => {
                let Some(area) = self.area_id else {
                    return Ok(false);
                };
                match doorstep_store::find_team(store.connection(), team_id).await? {
                    Some(team) => {
                        doorstep_store::area_within(store.connection(), team.area_id, area).await?
                    }
                    None => false,
                }
            }
        })
    }

    /// How much of a team's register the actor reads, once they may see
    /// the team: `None` for all of it; `Some(member)` for only the
    /// households that member visits on the team's calendar (a volunteer:
    /// a visit on it, not cancelled, assigned to them).
    pub fn register_reach(&self) -> Option<i32> {
        match self.role {
            // A volunteer without a member record visits nobody.
            UserRole::Volunteer => Some(self.member_id.unwrap_or(0)),
            UserRole::Admin | UserRole::Official | UserRole::Leader => None,
        }
    }

    /// Whether the actor may read the household of the team: they see the
    /// team and the household is within their [`register_reach`].
    ///
    /// # Errors
    /// The store fails.
    ///
    /// [`register_reach`]: Actor::register_reach
    pub async fn may_see_household(
        &self,
        store: &Store,
        team_id: i32,
        household_id: i32,
    ) -> Result<bool, ServiceError> {
        if !self.may_see_team(store, team_id).await? {
            return Ok(false);
        }
        Ok(match self.register_reach() {
            None => true,
            Some(member_id) => {
                doorstep_store::repo::plans::member_visits_household(
                    store.connection(),
                    team_id,
                    member_id,
                    household_id,
                )
                .await?
            }
        })
    }

    /// Whether the actor may plan for the team (leader of it, or admin).
    ///
    /// # Errors
    /// The store fails.
    pub async fn may_lead_team(&self, _store: &Store, team_id: i32) -> Result<bool, ServiceError> {
        Ok(match self.role {
            UserRole::Admin => true,
            UserRole::Leader => self.team_id == Some(team_id),
            UserRole::Official | UserRole::Volunteer => false,
        })
    }

    /// Not found unless the actor may read the team.
    ///
    /// # Errors
    /// Not found, or the store fails.
    pub async fn require_see_team(&self, store: &Store, team_id: i32) -> Result<(), ServiceError> {
        if self.may_see_team(store, team_id).await?
            && doorstep_store::find_team(store.connection(), team_id)
                .await?
                .is_some()
        {
            Ok(())
        } else {
            Err(ServiceError::not_found("team", team_id))
        }
    }

    /// Not found unless the actor may read the team; forbidden unless they
    /// may plan for it.
    ///
    /// # Errors
    /// Not found, forbidden, or the store fails.
    pub async fn require_lead(&self, store: &Store, team_id: i32) -> Result<(), ServiceError> {
        self.require_see_team(store, team_id).await?;
        if self.may_lead_team(store, team_id).await? {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(
                "chỉ tổ trưởng của tổ mới được làm việc này".into(),
                "only the team's leader may do this".into(),
            ))
        }
    }
}
