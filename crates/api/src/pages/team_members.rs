//! A team's members, and the leader's form for one of them: skills, the
//! most visits a day, calls, free time (from a preset or written as a
//! rule) and leave. The form sends what the API's `PATCH
//! /api/v1/members/{id}` takes to the same use case
//! (`records::edit_member`); a bad field comes back named next to its
//! input, with the form as it was sent (422).

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use doorstep_core::Skill;
use doorstep_service::dashboard::{self, EditableMember, FreeTimePreset, Leave};
use doorstep_service::error::{FieldError, ServiceError};
use doorstep_service::records;
use doorstep_service::teams;
use serde_json::{Value, json};

use super::{Header, PageUser, error_page, form_sent_by_us, render, stale_form};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

#[derive(Template)]
#[template(path = "team_members.html")]
struct MembersPage {
    header: Header,
    team_id: i32,
    team_name: String,
    may_lead: bool,
    saved: Option<String>,
    members: Vec<MemberLine>,
}

struct MemberLine {
    id: i32,
    name: String,
    leader: bool,
    active: bool,
    skills: Vec<&'static str>,
    cap: u32,
    remote: bool,
    free_time: Option<String>,
    leave: Vec<String>,
}

/// The query of the members page.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct MembersQuery {
    /// The member just saved (set by the form's redirect).
    da_luu: Option<String>,
}

/// `GET /teams/{team_id}/thanh-vien`: the team's members.
pub(super) async fn members(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<MembersQuery>, QueryRejection>,
) -> Response {
    let saved = query.ok().and_then(|q| q.0.da_luu);
    match members_page(&state, &user, &id, saved).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(ApiError(e)) => error_page(Some(&user), e),
    }
}

async fn members_page(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    saved: Option<String>,
) -> Result<MembersPage, ApiError> {
    let team_id = parse_id("team_id", id)?;
    let team = teams::team(&state.store, &user.actor, team_id).await?;
    let list = teams::members(&state.store, &user.actor, team_id).await?;
    let may_lead = user.actor.may_lead_team(&state.store, team_id).await?;
    let header = Header::new(
        (
            &format!("Thành viên · {}", team.name),
            &format!("Members · {}", team.name),
        ),
        &team.timezone,
        Some(user),
    );
    let en = header.en;
    let zone: chrono_tz::Tz = team
        .timezone
        .parse()
        .unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    let today = state.now().with_timezone(&zone).date_naive();
    let catalog =
        doorstep_service::team_stations::team_catalog(&state.store, &state.catalog, team.id)
            .await?;
    let saved = saved
        .and_then(|s| s.trim().parse::<i32>().ok())
        .and_then(|id| list.iter().find(|m| m.id == id))
        .map(|m| m.full_name.clone());
    let members = list
        .into_iter()
        .map(|m| {
            let (base, leave) = m
                .availability
                .as_ref()
                .map_or((None, Vec::new()), |a| dashboard::split_leave(&a.rule));
            MemberLine {
                id: m.id,
                name: m.full_name,
                leader: m.role == doorstep_core::MemberRole::Leader,
                active: m.active,
                skills: m
                    .skills
                    .iter()
                    .map(|s| if en { s.label_en() } else { s.label_vi() })
                    .collect(),
                cap: m.daily_visit_cap,
                remote: m.remote_capable,
                free_time: base
                    .and_then(|b| dashboard::free_time_words(&b, &catalog))
                    .map(|(vi, en_words)| if en { en_words } else { vi }),
                leave: leave
                    .iter()
                    .filter(|l| l.to >= today)
                    .map(|l| l.words(en))
                    .collect(),
            }
        })
        .collect();
    Ok(MembersPage {
        header,
        team_id,
        team_name: team.name,
        may_lead,
        saved,
        members,
    })
}

#[derive(Template)]
#[template(path = "team_member_edit.html")]
struct EditPage {
    header: Header,
    member_id: i32,
    team_id: i32,
    team_name: String,
    form: MemberForm,
    /// Every problem, each with its field's label, in the form's order.
    errors: Vec<(String, String, String)>,
}

impl EditPage {
    /// The problem of a field, in the page's language.
    fn error(&self, field: &str) -> Option<&str> {
        super::field_error(&self.errors, field, self.header.en)
    }

    /// The label of a field, in the page's language.
    fn label(&self, field: &str) -> &'static str {
        let (vi, en) = field_label(field);
        self.header.t(vi, en)
    }
}

/// A form field's label.
fn field_label(field: &str) -> (&'static str, &'static str) {
    match field {
        "ho_ten" => ("Họ và tên", "Full name"),
        "ky_nang" => ("Kỹ năng", "Skills"),
        "so_luot" => ("Số lượt thăm tối đa một ngày", "Most visits a day"),
        "goi_xa" => ("Gọi video", "Video calls"),
        "hoat_dong" => ("Đang tham gia", "Taking part"),
        "quy_tac" => ("Thời gian rảnh", "Free time"),
        "nghi_tu" => ("Nghỉ từ ngày", "Leave from"),
        "nghi_den" => ("Đến hết ngày", "Leave until"),
        "nghi_ly_do" => ("Lý do nghỉ", "Reason"),
        _ => ("Biểu mẫu", "Form"),
    }
}

/// The form as shown: from the member as stored, or as it was sent.
struct MemberForm {
    full_name: String,
    skills: Vec<SkillBox>,
    cap: String,
    remote: bool,
    active: bool,
    /// `quy_tac` (the rule below) or a preset's code.
    choice: String,
    rule_text: String,
    presets: Vec<PresetOption>,
    leaves: Vec<LeaveBox>,
    leave_from: String,
    leave_to: String,
    leave_label: String,
}

struct SkillBox {
    code: &'static str,
    vi: &'static str,
    en: &'static str,
    checked: bool,
}

struct PresetOption {
    code: &'static str,
    vi: &'static str,
    en: &'static str,
    words_vi: String,
    words_en: String,
}

struct LeaveBox {
    index: usize,
    vi: String,
    en: String,
    /// Whether it is over.
    past: bool,
    remove: bool,
}

fn presets(state: &AppState) -> Vec<PresetOption> {
    FreeTimePreset::ALL
        .into_iter()
        .map(|p| {
            let (words_vi, words_en) =
                dashboard::free_time_words(&p.rule(), &state.catalog).unwrap_or_default();
            PresetOption {
                code: p.code(),
                vi: p.label_vi(),
                en: p.label_en(),
                words_vi,
                words_en,
            }
        })
        .collect()
}

fn leave_boxes(record: &EditableMember, today: NaiveDate, removed: &[usize]) -> Vec<LeaveBox> {
    record
        .leave
        .iter()
        .enumerate()
        .map(|(index, l)| LeaveBox {
            index,
            vi: l.words(false),
            en: l.words(true),
            past: l.to < today,
            remove: removed.contains(&index),
        })
        .collect()
}

impl MemberForm {
    fn stored(state: &AppState, record: &EditableMember, today: NaiveDate) -> MemberForm {
        let m = &record.member;
        MemberForm {
            full_name: m.full_name.clone(),
            skills: Skill::ALL
                .iter()
                .map(|s| SkillBox {
                    code: s.code(),
                    vi: s.label_vi(),
                    en: s.label_en(),
                    checked: m.skills.contains(s),
                })
                .collect(),
            cap: m.daily_visit_cap.to_string(),
            remote: m.remote_capable,
            active: m.active,
            choice: "quy_tac".into(),
            rule_text: record.free_time.as_ref().map(rule_text).unwrap_or_default(),
            presets: presets(state),
            leaves: leave_boxes(record, today, &[]),
            leave_from: String::new(),
            leave_to: String::new(),
            leave_label: String::new(),
        }
    }

    fn sent(
        state: &AppState,
        record: &EditableMember,
        today: NaiveDate,
        fields: &[(String, String)],
    ) -> MemberForm {
        let one = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let all = |name: &str| -> Vec<&str> {
            fields
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        let skills = all("ky_nang");
        let removed: Vec<usize> = all("bo_nghi")
            .iter()
            .filter_map(|i| i.parse().ok())
            .collect();
        let choice = one("ranh");
        MemberForm {
            full_name: one("ho_ten"),
            skills: Skill::ALL
                .iter()
                .map(|s| SkillBox {
                    code: s.code(),
                    vi: s.label_vi(),
                    en: s.label_en(),
                    checked: skills.contains(&s.code()),
                })
                .collect(),
            cap: one("so_luot"),
            remote: !one("goi_xa").is_empty(),
            active: !one("hoat_dong").is_empty(),
            choice: if FreeTimePreset::parse(&choice).is_some() {
                choice
            } else {
                "quy_tac".into()
            },
            rule_text: one("quy_tac"),
            presets: presets(state),
            leaves: leave_boxes(record, today, &removed),
            leave_from: one("nghi_tu"),
            leave_to: one("nghi_den"),
            leave_label: one("nghi_ly_do"),
        }
    }

    /// The body of `PATCH /api/v1/members/{id}` this form asks for, with
    /// where each part of the free time came from; or the form's own
    /// problems (a rule that is not JSON, leave without its dates).
    fn body(&self, record: &EditableMember) -> Result<(Value, usize), Vec<FieldError>> {
        let mut errors = Vec::new();
        let base: Option<Value> = match FreeTimePreset::parse(&self.choice) {
            Some(preset) => Some(preset.rule()),
            None if self.rule_text.trim().is_empty() => None,
            None => match serde_json::from_str::<Value>(&self.rule_text) {
                Ok(rule) => Some(rule),
                Err(e) => {
                    errors.push(FieldError::new(
                        "quy_tac",
                        format!(
                            "không đọc được quy tắc (JSON) ở dòng {}, cột {}: hãy chọn một mẫu hoặc sửa lại",
                            e.line(),
                            e.column()
                        ),
                        format!(
                            "the rule (JSON) does not read at line {}, column {}: pick a preset or correct it",
                            e.line(),
                            e.column()
                        ),
                    ));
                    None
                }
            },
        };
        let mut leave: Vec<Leave> = record
            .leave
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.leaves.iter().any(|b| b.index == *i && b.remove))
            .map(|(_, l)| l.clone())
            .collect();
        let date = |field: &str, text: &str, errors: &mut Vec<FieldError>| {
            let parsed = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
            if parsed.is_none() {
                errors.push(FieldError::new(
                    field,
                    format!("cần một ngày (năm-tháng-ngày, ví dụ 2026-12-24), nhận {text:?}"),
                    format!("expected a date (year-month-day, e.g. 2026-12-24), got {text:?}"),
                ));
            }
            parsed
        };
        let (from, to) = (self.leave_from.trim(), self.leave_to.trim());
        if !from.is_empty() || !to.is_empty() {
            let from = date("nghi_tu", from, &mut errors);
            // One day off needs only its first day.
            let to = if to.is_empty() {
                from
            } else {
                date("nghi_den", to, &mut errors)
            };
            let label = self.leave_label.trim();
            if let Some(problem) =
                doorstep_service::error::text_error("nghi_ly_do", label, 120, false)
            {
                errors.push(problem);
            }
            if let (Some(from), Some(to)) = (from, to) {
                if to < from {
                    errors.push(FieldError::new(
                        "nghi_den",
                        "ngày cuối phải cùng hoặc sau ngày đầu",
                        "the last day must be the first day or after it",
                    ));
                } else {
                    leave.push(Leave {
                        from,
                        to,
                        label: (!label.is_empty()).then(|| label.to_owned()),
                    });
                }
            }
        }
        let base_excepts = base
            .as_ref()
            .and_then(|b| b.get("except"))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let availability = match dashboard::with_leave(base, &leave) {
            Ok(rule) => rule,
            Err(e) => {
                errors.push(FieldError {
                    field: "quy_tac".into(),
                    ..e
                });
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let cap = self.cap.trim();
        Ok((
            json!({
                "full_name": self.full_name.trim(),
                "skills": self.skills.iter().filter(|s| s.checked).map(|s| s.code).collect::<Vec<_>>(),
                "daily_visit_cap": cap.parse::<i64>().map_or_else(|_| json!(cap), |n| json!(n)),
                "remote_capable": self.remote,
                "active": self.active,
                "availability": availability.unwrap_or(Value::Null),
            }),
            base_excepts,
        ))
    }
}

/// A rule as the form's text shows it: a key a line, and each term of
/// `when` and `except` on a line of its own.
fn rule_text(rule: &Value) -> String {
    let Some(object) = rule.as_object() else {
        return rule.to_string();
    };
    let lines: Vec<String> = object
        .iter()
        .map(|(key, value)| {
            let key = Value::String(key.clone());
            match value.as_array() {
                Some(terms) if terms.iter().all(Value::is_object) && !terms.is_empty() => {
                    let terms: Vec<String> = terms.iter().map(|t| format!("    {t}")).collect();
                    format!("  {key}: [\n{}\n  ]", terms.join(",\n"))
                }
                _ => format!("  {key}: {value}"),
            }
        })
        .collect();
    format!("{{\n{}\n}}", lines.join(",\n"))
}

/// The form's field for a problem the member use case names by its JSON
/// path: the leave's terms follow the free time's own exceptions.
fn form_field(path: &str, base_excepts: usize) -> &'static str {
    let head = path.split(['.', '[']).next().unwrap_or_default();
    match head {
        "full_name" => "ho_ten",
        "skills" => "ky_nang",
        "daily_visit_cap" => "so_luot",
        "remote_capable" => "goi_xa",
        "active" => "hoat_dong",
        "availability" => {
            let leave_term = path
                .strip_prefix("availability.except[")
                .and_then(|rest| rest.split(']').next())
                .and_then(|i| i.parse::<usize>().ok())
                .is_some_and(|i| i >= base_excepts);
            if leave_term { "nghi_tu" } else { "quy_tac" }
        }
        _ => "(body)",
    }
}

fn today(state: &AppState, record: &EditableMember) -> NaiveDate {
    state.now().with_timezone(&record.zone).date_naive()
}

fn edit_page(
    user: &CurrentUser,
    record: &EditableMember,
    form: MemberForm,
    errors: Vec<FieldError>,
) -> EditPage {
    let name = &record.member.full_name;
    let header = Header::new(
        (
            &format!("Sửa thành viên · {name}"),
            &format!("Edit member · {name}"),
        ),
        record.zone.name(),
        Some(user),
    );
    let mut errors: Vec<(String, String, String)> = errors
        .into_iter()
        .map(|e| (e.field, e.message_vi, e.message_en))
        .collect();
    let order = [
        "ho_ten",
        "ky_nang",
        "so_luot",
        "goi_xa",
        "hoat_dong",
        "quy_tac",
        "nghi_tu",
        "nghi_den",
        "nghi_ly_do",
    ];
    errors.sort_by_key(|(f, _, _)| order.iter().position(|o| o == f).unwrap_or(order.len()));
    EditPage {
        header,
        member_id: record.member.id,
        team_id: record.member.team_id,
        team_name: record.team_name.clone(),
        form,
        errors,
    }
}

/// `GET /thanh-vien/{member_id}`: the leader's form for a member.
pub(super) async fn edit_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
) -> Response {
    let record = match member(&state, &user, &id).await {
        Ok(record) => record,
        Err(ApiError(e)) => return error_page(Some(&user), e),
    };
    let form = MemberForm::stored(&state, &record, today(&state, &record));
    render(StatusCode::OK, &edit_page(&user, &record, form, Vec::new()))
}

async fn member(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<EditableMember, ApiError> {
    let member_id = parse_id("member_id", id)?;
    Ok(dashboard::member_for_edit(&state.store, &user.actor, member_id).await?)
}

/// `POST /thanh-vien/{member_id}`: saves the form through the members' use
/// case, then back to the team's members (303); a bad field: the form
/// again with its problems (422).
pub(super) async fn save(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let fields = form.map(|f| f.0).unwrap_or_default();
    let sent = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    if !form_sent_by_us(&headers, &user, sent) {
        return error_page(Some(&user), stale_form());
    }
    let record = match member(&state, &user, &id).await {
        Ok(record) => record,
        Err(ApiError(e)) => return error_page(Some(&user), e),
    };
    let form = MemberForm::sent(&state, &record, today(&state, &record), &fields);
    let (body, base_excepts) = match form.body(&record) {
        Ok(body) => body,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &edit_page(&user, &record, form, errors),
            );
        }
    };
    match records::edit_member(
        &state.store,
        &state.catalog,
        &user.actor,
        record.member.id,
        &body,
        state.now(),
    )
    .await
    {
        Ok(saved) => Redirect::to(&format!(
            "/teams/{}/thanh-vien?da_luu={}#tv-{}",
            saved.team_id, saved.id, saved.id
        ))
        .into_response(),
        Err(ServiceError::Invalid(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| FieldError {
                    field: form_field(&e.field, base_excepts).to_owned(),
                    ..e
                })
                .collect();
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &edit_page(&user, &record, form, errors),
            )
        }
        Err(e) => error_page(Some(&user), e),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_rule_reads_a_term_a_line() {
        let rule = serde_json::json!({"mode": "in_person", "when": [
            {"weekdays": ["sat", "sun"], "hours": ["07:00", "21:00"]},
            {"hours": ["18:00", "21:00"]}]});
        let text = super::rule_text(&rule);
        assert_eq!(
            text,
            "{\n  \"mode\": \"in_person\",\n  \"when\": [\n    {\"hours\":[\"07:00\",\"21:00\"],\"weekdays\":[\"sat\",\"sun\"]},\n    {\"hours\":[\"18:00\",\"21:00\"]}\n  ]\n}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            rule
        );
    }
}
