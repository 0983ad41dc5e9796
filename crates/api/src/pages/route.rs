//! A member's day as a route: a sketch of the households' places in visit
//! order (inline SVG drawn here: no map tiles, nothing from another host),
//! and for each stop the links that open it in a map app — `geo:` for the
//! phone's own app, OpenStreetMap in the browser.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Days, NaiveDate};
use doorstep_core::VisitMode;
use doorstep_service::error::ServiceError;
use doorstep_service::schedule::{self, DayRoute};

use super::calendar::{calendar_href, route_href};
use super::{Header, MY_DAY, PageUser, error_page, geo_target, query_date, render};
use crate::error::parse_id;
use crate::{ApiError, AppState, CurrentUser};

/// The sketch's box, in SVG units; its margin keeps markers inside.
const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 300.0;
const MARGIN: f64 = 24.0;
/// The smallest span drawn, in degrees (about 110 m): a day in one lane is
/// not blown up to fill the box.
const MIN_SPAN: f64 = 0.001;

#[derive(Template)]
#[template(path = "route.html")]
struct RoutePage {
    header: Header,
    member_name: String,
    team_name: String,
    heading_vi: String,
    heading_en: String,
    previous: String,
    next: String,
    today: Option<String>,
    /// The day's list of visits.
    list: String,
    calendar: String,
    sketch: Option<Sketch>,
    stops: Vec<Stop>,
    /// Video calls of the day: nowhere to go.
    calls: Vec<Stop>,
}

/// The route drawn in a box `WIDTH` × `HEIGHT`.
struct Sketch {
    width: f64,
    height: f64,
    /// The polyline's points, stop after stop.
    line: String,
    points: Vec<Point>,
    base: Option<(String, String)>,
    /// What the drawing says, for who does not see it.
    label: String,
}

struct Point {
    order: usize,
    x: String,
    y: String,
}

struct Stop {
    order: usize,
    time: String,
    key: String,
    address: String,
    village: String,
    residents: String,
    /// `geo:` for the phone's map app.
    geo: Option<String>,
    /// The place on OpenStreetMap.
    web: Option<String>,
    approximate: bool,
}

/// The query: the day, `YYYY-MM-DD`.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct RouteQuery {
    ngay: Option<String>,
}

/// The place on OpenStreetMap, pinned, at street level.
fn osm_target(lat: f64, lon: f64) -> String {
    format!("https://www.openstreetmap.org/?mlat={lat:.6}&mlon={lon:.6}#map=18/{lat:.6}/{lon:.6}")
}

/// How points of (lat, lon) fall on the sketch: longitudes shrink with
/// the cosine of the latitude, so that a kilometre is as long either way;
/// the whole is scaled to the box, centred, north up.
struct Projection {
    squeeze: f64,
    scale: f64,
    mid_x: f64,
    mid_y: f64,
    /// Kilometres across the box.
    km_across: f64,
}

impl Projection {
    /// The projection that fits `points` in the box; `None` without points.
    fn fitting(points: &[(f64, f64)]) -> Option<Projection> {
        let (first, _) = points.split_first()?;
        let lat0 = points.iter().map(|p| p.0).sum::<f64>() / points.len() as f64;
        let squeeze = lat0.to_radians().cos().max(0.01);
        let (min_x, max_x) = points
            .iter()
            .map(|p| p.1 * squeeze)
            .fold((first.1 * squeeze, first.1 * squeeze), |(a, b), x| {
                (a.min(x), b.max(x))
            });
        let (min_y, max_y) = points
            .iter()
            .map(|p| p.0)
            .fold((first.0, first.0), |(a, b), y| (a.min(y), b.max(y)));
        let span_x = (max_x - min_x).max(MIN_SPAN);
        let span_y = (max_y - min_y).max(MIN_SPAN);
        let scale = ((WIDTH - 2.0 * MARGIN) / span_x).min((HEIGHT - 2.0 * MARGIN) / span_y);
        Some(Projection {
            squeeze,
            scale,
            mid_x: (min_x + max_x) / 2.0,
            mid_y: (min_y + max_y) / 2.0,
            // A degree of latitude is about 111.2 km.
            km_across: WIDTH / scale * 111.2,
        })
    }

    /// Where a point falls in the box.
    fn at(&self, (lat, lon): (f64, f64)) -> (f64, f64) {
        (
            WIDTH / 2.0 + (lon * self.squeeze - self.mid_x) * self.scale,
            HEIGHT / 2.0 - (lat - self.mid_y) * self.scale,
        )
    }
}

/// "1,4 km" or "350 m", in the page's language.
fn distance_words(km: f64, en: bool) -> String {
    let text = if km >= 1.0 {
        format!("{km:.1} km")
    } else {
        format!("{:.0} m", (km * 1000.0 / 10.0).round() * 10.0)
    };
    if en { text } else { text.replace('.', ",") }
}

fn route_page(user: &CurrentUser, route: DayRoute, base: String) -> RoutePage {
    let list = route.list;
    let title = format!("{} · {}", list.member_name, list.date.format("%d/%m/%Y"));
    let header = Header::new((&title, &title), list.zone.name(), Some(user));
    let en = header.en;
    let today = user.now.with_timezone(&list.zone).date_naive();
    let day = |date: NaiveDate| format!("{base}?ngay={date}");
    let (mut stops, mut calls) = (Vec::new(), Vec::new());
    for v in &list.visits {
        let place = v.household.location.as_ref().map(|p| (p.lat, p.lon));
        let remote = v.mode == VisitMode::Remote;
        let stop = Stop {
            order: v.order,
            time: v.window.time.clone(),
            key: v.household.external_id.clone(),
            address: v.household.address.clone(),
            village: v.household.village.clone().unwrap_or_default(),
            residents: v
                .residents
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            geo: place
                .filter(|_| !remote)
                .map(|(lat, lon)| geo_target(lat, lon)),
            web: place
                .filter(|_| !remote)
                .map(|(lat, lon)| osm_target(lat, lon)),
            approximate: v.household.approximate,
        };
        if remote {
            calls.push(stop);
        } else {
            stops.push(stop);
        }
    }
    let placed: Vec<(usize, (f64, f64))> = list
        .visits
        .iter()
        .filter(|v| v.mode != VisitMode::Remote)
        .filter_map(|v| {
            v.household
                .location
                .as_ref()
                .map(|p| (v.order, (p.lat, p.lon)))
        })
        .collect();
    let base_point = route.base.as_ref().map(|p| (p.lat, p.lon));
    let all: Vec<(f64, f64)> = placed.iter().map(|(_, p)| *p).chain(base_point).collect();
    let sketch = match Projection::fitting(&all) {
        Some(projection) if !placed.is_empty() => {
            let at = |p| {
                let (x, y) = projection.at(p);
                (format!("{x:.1}"), format!("{y:.1}"))
            };
            let points: Vec<Point> = placed
                .iter()
                .map(|(order, p)| {
                    let (x, y) = at(*p);
                    Point {
                        order: *order,
                        x,
                        y,
                    }
                })
                .collect();
            let across = distance_words(projection.km_across, en);
            Some(Sketch {
                width: WIDTH,
                height: HEIGHT,
                line: points
                    .iter()
                    .map(|p| format!("{},{}", p.x, p.y))
                    .collect::<Vec<_>>()
                    .join(" "),
                label: if en {
                    format!(
                        "Sketch of the route: {} stop(s) in visit order, north up, about {across} across",
                        points.len()
                    )
                } else {
                    format!(
                        "Sơ đồ đường đi: {} điểm theo thứ tự thăm, hướng bắc ở trên, bề ngang khoảng {across}",
                        points.len()
                    )
                },
                points,
                base: base_point.map(at),
            })
        }
        _ => None,
    };
    RoutePage {
        member_name: list.member_name.clone(),
        team_name: list.team_name.clone(),
        heading_vi: list.heading.vi.clone(),
        heading_en: list.heading.en.clone(),
        previous: day(list.date - Days::new(1)),
        next: day(list.date + Days::new(1)),
        today: (list.date != today).then(|| day(today)),
        list: if user.actor.member_id == Some(list.member_id) {
            format!("{MY_DAY}?ngay={}", list.date)
        } else {
            format!("/members/{}/ngay?ngay={}", list.member_id, list.date)
        },
        calendar: format!(
            "{}&ngay={}",
            calendar_href(list.team_id, list.date, false),
            list.date
        ),
        sketch,
        stops,
        calls,
        header,
    }
}

/// `GET /members/{member_id}/ngay/duong-di?ngay=YYYY-MM-DD`: the member's
/// day as a route, for the member, their leader or an official.
pub(super) async fn day_route(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    query: Result<Query<RouteQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let found = async {
        let member_id = parse_id("member_id", &id).map_err(|ApiError(e)| e)?;
        let date = query_date("ngay", query.ngay.as_deref())?;
        let route = schedule::day_route(
            &state.store,
            &state.catalog,
            &user.actor,
            member_id,
            date,
            state.now(),
        )
        .await?;
        Ok::<_, ServiceError>((member_id, route))
    }
    .await;
    match found {
        Ok((member_id, route)) => {
            let base = route_href(member_id, route.list.date);
            let base = base.split('?').next().unwrap_or_default().to_owned();
            render(StatusCode::OK, &route_page(&user, route, base))
        }
        Err(e) => error_page(Some(&user), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sketch_keeps_north_up_and_distances_even() {
        // Two points 0.01° apart north–south and east–west at 19.4° N.
        let points = [(19.40, 105.80), (19.41, 105.81)];
        let projection = Projection::fitting(&points).unwrap();
        let (a, b) = (projection.at(points[0]), projection.at(points[1]));
        assert!(b.1 < a.1, "north is up");
        assert!(b.0 > a.0, "east is right");
        let (dx, dy) = (b.0 - a.0, a.1 - b.1);
        let squeeze = 19.405_f64.to_radians().cos();
        assert!((dx / dy - squeeze).abs() < 1e-9, "{dx} {dy}");
        for (x, y) in [a, b] {
            assert!((MARGIN - 1e-9..=WIDTH - MARGIN + 1e-9).contains(&x));
            assert!((MARGIN - 1e-9..=HEIGHT - MARGIN + 1e-9).contains(&y));
        }
        let km = projection.km_across;
        assert!(km > 1.0 && km < 3.0, "{km}");
        // One point alone sits in the middle.
        let alone = Projection::fitting(&[(19.4, 105.8)]).unwrap();
        assert_eq!(alone.at((19.4, 105.8)), (WIDTH / 2.0, HEIGHT / 2.0));
        assert_eq!(distance_words(1.26, false), "1,3 km");
        assert_eq!(distance_words(0.347, true), "350 m");
    }
}
