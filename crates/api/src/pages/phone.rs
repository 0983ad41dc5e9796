//! The member's calendar on their phone: the secret address of their feed,
//! printed and as a QR code drawn here (inline SVG; no other site).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use doorstep_service::error::ServiceError;
use doorstep_service::feeds::{self, FeedOf};

use super::{HOME_ZONE, Header, MY_DAY, PageUser, error_page, render};
use crate::AppState;

#[derive(Template)]
#[template(path = "phone.html")]
struct PhonePage {
    header: Header,
    /// The feed's full address.
    url: String,
    /// The same as a QR code, an `<svg>` element.
    qr: String,
    back: &'static str,
}

/// `GET /lich-cua-toi/dien-thoai`: the signed-in member's calendar feed,
/// its address printed and as a QR code to scan with the phone's camera.
pub(super) async fn phone_calendar(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> Response {
    let Some(member_id) = user.actor.member_id else {
        return error_page(
            Some(&user),
            ServiceError::NotFound {
                vi: "tài khoản này không gắn với thành viên nào của tổ nên không có lịch thăm hộ"
                    .into(),
                en: "this account is not linked to a team member, so it has no visit calendar"
                    .into(),
            },
        );
    };
    let address = match feeds::feed_address(
        &state.store,
        &user.actor,
        FeedOf::Member(member_id),
        state.now(),
    )
    .await
    {
        Ok(address) => address,
        Err(e) => return error_page(Some(&user), e),
    };
    let url = format!("{}{}", origin(&headers, state.secure_cookie), address.url);
    let qr = match qr_svg(&url) {
        Ok(qr) => qr,
        Err(e) => return error_page(Some(&user), e),
    };
    let page = PhonePage {
        header: Header::new(
            ("Lịch trên điện thoại", "Calendar on my phone"),
            HOME_ZONE,
            Some(&user),
        ),
        url,
        qr,
        back: MY_DAY,
    };
    render(StatusCode::OK, &page)
}

/// The address the browser reached doorstep at: `https` behind a proxy
/// that says so or when cookies are `Secure`, the `Host` it asked for.
fn origin(headers: &HeaderMap, secure: bool) -> String {
    let forwarded = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let scheme = match forwarded("x-forwarded-proto") {
        Some(proto) if proto.eq_ignore_ascii_case("https") => "https",
        Some(_) => "http",
        None if secure => "https",
        None => "http",
    };
    let host = forwarded("x-forwarded-host")
        .or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()))
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// A QR code of `text` as an `<svg>` element to put in a page.
fn qr_svg(text: &str) -> Result<String, ServiceError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(|e| ServiceError::Internal(format!("QR code: {e}")))?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build();
    // Inline in HTML: no XML declaration.
    let start = image.find("<svg").unwrap_or(0);
    Ok(image[start..].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_svg_element_and_the_origin_follows_the_proxy() {
        let svg = qr_svg("https://xa.example/ics/abc.ics").unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(origin(&headers, false), "http://127.0.0.1:8080");
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        headers.insert("x-forwarded-host", "doorstep.xa.vn".parse().unwrap());
        assert_eq!(origin(&headers, false), "https://doorstep.xa.vn");
        headers.insert(header::HOST, "evil\"<".parse().unwrap());
        headers.remove("x-forwarded-host");
        assert_eq!(origin(&headers, true), "https://localhost");
    }
}
