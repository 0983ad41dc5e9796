//! The administrative tree: provinces, communes, villages.

use doorstep_core::AreaLevel;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

use super::Change;
use crate::Code;
use crate::StoreError;
use crate::entity::area;
use doorstep_core::records::{Area, Team};

/// An area to create when missing, found by its official code.
#[derive(Clone, Debug)]
pub struct AreaInput {
    /// Province, commune or village.
    pub level: AreaLevel,
    /// The official code (for villages without one, a stable local code).
    pub code: String,
    /// The current name.
    pub name: String,
    /// The parent's code.
    pub parent_code: Option<String>,
    /// Former names.
    pub aliases: Vec<String>,
    /// Latitude of its centre.
    pub latitude: Option<f64>,
    /// Longitude of its centre.
    pub longitude: Option<f64>,
}

/// Creates the area when no area has its code; an area that has it is left
/// as it is.
///
/// # Errors
/// The parent code is unknown, or the database fails.
pub async fn ensure_area(
    db: &impl ConnectionTrait,
    input: &AreaInput,
) -> Result<(i32, Change), StoreError> {
    if let Some(existing) = area::Entity::find()
        .filter(area::Column::Code.eq(input.code.as_str()))
        .one(db)
        .await?
    {
        return Ok((existing.id, Change::Unchanged));
    }
    let parent_id = match &input.parent_code {
        Some(code) => Some(
            area::Entity::find()
                .filter(area::Column::Code.eq(code.as_str()))
                .one(db)
                .await?
                .ok_or_else(|| {
                    StoreError::NotFound(format!("area with code {code} does not exist"))
                })?
                .id,
        ),
        None => None,
    };
    let created = area::ActiveModel {
        parent_id: Set(parent_id),
        level: Set(Code(input.level)),
        code: Set(Some(input.code.clone())),
        name: Set(input.name.clone()),
        aliases: Set(serde_json::to_string(&input.aliases).expect("strings serialise")),
        latitude: Set(input.latitude),
        longitude: Set(input.longitude),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((created.id, Change::Created))
}

/// The area with this id.
///
/// # Errors
/// The database fails.
pub async fn find_area(db: &impl ConnectionTrait, id: i32) -> Result<Option<Area>, StoreError> {
    Ok(area::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Area::try_from)
        .transpose()?)
}

/// The villages a team serves: its own area when it is a village, else the
/// villages under its commune.
///
/// # Errors
/// The database fails.
pub async fn villages_of_team(
    db: &impl ConnectionTrait,
    team: &Team,
) -> Result<Vec<Area>, StoreError> {
    let Some(own) = find_area(db, team.area_id).await? else {
        return Ok(Vec::new());
    };
    if own.level == AreaLevel::Village {
        return Ok(vec![own]);
    }
    Ok(area::Entity::find()
        .filter(area::Column::ParentId.eq(own.id))
        .order_by_asc(area::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Area::try_from)
        .collect::<Result<_, _>>()?)
}

/// Whether `area_id` is `ancestor` or lies under it.
///
/// # Errors
/// The database fails.
pub async fn area_within(
    db: &impl ConnectionTrait,
    area_id: i32,
    ancestor: i32,
) -> Result<bool, StoreError> {
    let mut current = Some(area_id);
    // The tree is province → commune → village; the bound stops a cycle.
    for _ in 0..8 {
        match current {
            Some(id) if id == ancestor => return Ok(true),
            Some(id) => current = find_area(db, id).await?.and_then(|a| a.parent_id),
            None => return Ok(false),
        }
    }
    Ok(false)
}

/// The area with this code.
///
/// # Errors
/// The database fails.
pub async fn find_area_by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<Area>, StoreError> {
    Ok(area::Entity::find()
        .filter(area::Column::Code.eq(code))
        .one(db)
        .await?
        .map(Area::try_from)
        .transpose()?)
}

/// A subquery of the ids of `area_id` and every area under it (SQLite and
/// PostgreSQL): `… IN (subtree_sql(7))`.
pub(crate) fn subtree_sql(area_id: i32) -> String {
    format!(
        "WITH RECURSIVE subtree(id) AS (SELECT id FROM areas WHERE id = {area_id} \
         UNION ALL SELECT a.id FROM areas a JOIN subtree s ON a.parent_id = s.id) \
         SELECT id FROM subtree"
    )
}
