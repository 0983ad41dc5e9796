//! The checks every page passes: a title, a language, a label on every
//! field, nothing pointing to another site (a page holds residents' names
//! and phone numbers, and a request to another host would carry its
//! address there), and no serious or critical axe-core finding under
//! WCAG 2.1 A and AA.

use std::path::PathBuf;

use serde_json::Value;
use url::Url;

use crate::harness::Browser;

/// The variable that names axe-core's `axe.min.js` (`.ci/run` sets it).
pub const AXE_VAR: &str = "DOORSTEP_AXE_JS";

/// Where `.ci/run` installs axe-core when the variable is not set.
const AXE_DEFAULT: &str = ".cache/doorstep/node/node_modules/axe-core/axe.min.js";

/// The schemes a page may point to besides its own origin: a call, a
/// point for the phone's map app, a mail.
const SCHEMES_ALLOWED: [&str; 3] = ["tel", "geo", "mailto"];

/// Map apps' web addresses a page may link to (host, path prefix): on a
/// phone they open the map app. Nothing else on another host is allowed.
const MAP_APPS: [(&str, &str); 4] = [
    ("maps.google.com", "/"),
    ("www.google.com", "/maps"),
    ("maps.apple.com", "/"),
    ("www.openstreetmap.org", "/"),
];

/// The axe-core rule tags run: WCAG 2.0 and 2.1, levels A and AA.
const AXE_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// How many of a finding's elements a report names.
const TARGETS_SHOWN: usize = 3;

/// axe-core's script: `DOORSTEP_AXE_JS`, or the copy `.ci/run` installs.
pub fn axe_source() -> String {
    let path = std::env::var_os(AXE_VAR).map_or_else(
        || {
            let home = std::env::var_os("HOME").unwrap_or_default();
            PathBuf::from(home).join(AXE_DEFAULT)
        },
        PathBuf::from,
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core at {} ({e}): install it with `npm install --prefix ~/.cache/doorstep/node \
             axe-core@4`, or name its axe.min.js in {AXE_VAR}",
            path.display()
        )
    })
}

/// What is wrong with the page shown, one line each; empty when it passes.
pub async fn check_page(browser: &Browser<'_>, origin: &str, axe: &str) -> Vec<String> {
    let found = browser.script(PAGE_FACTS).await;
    let mut problems: Vec<String> = found["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    let origin = Url::parse(origin).expect("the server's origin is a URL");
    for target in found["targets"].as_array().into_iter().flatten() {
        let (element, attribute, url) = (
            target["element"].as_str().unwrap_or_default(),
            target["attribute"].as_str().unwrap_or_default(),
            target["url"].as_str().unwrap_or_default(),
        );
        if !allowed(url, attribute, &origin) {
            problems.push(format!(
                "{element} {attribute}=\"{url}\" points to another host"
            ));
        }
    }
    problems.extend(axe_findings(browser, axe).await);
    problems
}

/// Whether a page may point to `url` from the attribute `attribute`.
fn allowed(url: &str, attribute: &str, origin: &Url) -> bool {
    let Ok(url) = Url::parse(url) else {
        return false;
    };
    if url.origin() == origin.origin() || SCHEMES_ALLOWED.contains(&url.scheme()) {
        return true;
    }
    // An image written into the page itself fetches nothing.
    if url.scheme() == "data" && attribute == "src" {
        return true;
    }
    url.scheme() == "https"
        && attribute == "href"
        && MAP_APPS
            .iter()
            .any(|(host, prefix)| url.host_str() == Some(*host) && url.path().starts_with(prefix))
}

/// The page's title, language and labels, and every address it points to
/// (resolved against the page), from the page itself.
const PAGE_FACTS: &str = r#"
const problems = [];
if (!document.title.trim()) problems.push('the page has no <title> text');
if (!(document.documentElement.getAttribute('lang') || '').trim()) {
  problems.push('<html> has no lang');
}
const describe = (el) => {
  let s = el.tagName.toLowerCase();
  if (el.id) s += '#' + el.id;
  for (const name of ['name', 'type', 'class']) {
    const value = el.getAttribute(name);
    if (value) s += `[${name}="${value}"]`;
  }
  return s;
};
const hasText = (el) => !!el && el.textContent.trim().length > 0;
for (const field of document.querySelectorAll('input, select, textarea')) {
  const type = (field.getAttribute('type') || 'text').toLowerCase();
  // Hidden fields take no input; buttons are named by their value.
  if (field.tagName === 'INPUT' && ['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) {
    continue;
  }
  const byFor = !!field.id
    && Array.from(document.querySelectorAll('label[for]')).some((l) => l.htmlFor === field.id && hasText(l));
  const wrapping = hasText(field.closest('label'));
  const ariaLabel = (field.getAttribute('aria-label') || '').trim().length > 0;
  const labelledBy = (field.getAttribute('aria-labelledby') || '').split(/\s+/)
    .some((id) => id && hasText(document.getElementById(id)));
  if (!(byFor || wrapping || ariaLabel || labelledBy)) {
    problems.push(`${describe(field)} has no label (<label for>, a wrapping <label> or aria-label)`);
  }
}
const targets = [];
for (const attribute of ['href', 'src', 'action', 'formaction']) {
  for (const el of document.querySelectorAll(`[${attribute}]`)) {
    const raw = el.getAttribute(attribute);
    let url;
    try {
      url = new URL(raw, document.baseURI).href;
    } catch (e) {
      url = raw;
    }
    targets.push({element: describe(el), attribute, url});
  }
}
return {problems, targets};
"#;

/// axe-core's serious and critical findings on the page shown, each with
/// its rule, impact, help and first elements.
async fn axe_findings(browser: &Browser<'_>, axe: &str) -> Vec<String> {
    // A new page has no axe: the script goes in with each check.
    browser
        .script(&format!("{axe}\n;return typeof window.axe;"))
        .await;
    let answer = browser
        .script_async(
            r#"
const [tags, done] = arguments;
axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
  .then((result) => done({violations: result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.length,
    targets: v.nodes.map((n) => n.target.join(' ')),
    // Why the first element fails, with its figures (a contrast ratio).
    why: v.nodes.length ? [...v.nodes[0].any, ...v.nodes[0].all, ...v.nodes[0].none]
      .map((check) => check.message).join('; ') : '',
  }))}))
  .catch((e) => done({error: String(e)}));
"#,
            vec![serde_json::json!(AXE_TAGS)],
        )
        .await;
    if let Some(error) = answer["error"].as_str() {
        return vec![format!("axe-core did not run: {error}")];
    }
    answer["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            let targets: Vec<&str> = v["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .take(TARGETS_SHOWN)
                .collect();
            format!(
                "axe {} ({}): {} — {} element(s): {} — first: {}",
                v["id"].as_str().unwrap_or_default(),
                v["impact"].as_str().unwrap_or_default(),
                v["help"].as_str().unwrap_or_default(),
                v["nodes"],
                targets.join(" | "),
                v["why"].as_str().unwrap_or_default(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::allowed;
    use url::Url;

    #[test]
    fn only_the_origin_calls_maps_and_mail_are_allowed() {
        let origin = Url::parse("http://127.0.0.1:8080").unwrap();
        for (url, attribute) in [
            ("http://127.0.0.1:8080/teams/1", "href"),
            ("http://127.0.0.1:8080/assets/doorstep.css", "href"),
            ("tel:0912345678", "href"),
            ("geo:19.41,105.79?q=19.41,105.79", "href"),
            ("mailto:to@example.invalid", "href"),
            (
                "https://www.google.com/maps/search/?api=1&query=19.4,105.7",
                "href",
            ),
            ("data:image/png;base64,AAAA", "src"),
        ] {
            assert!(allowed(url, attribute, &origin), "{url}");
        }
        for (url, attribute) in [
            ("http://127.0.0.1:9090/teams/1", "href"),
            ("https://cdn.example.com/app.js", "src"),
            ("https://fonts.googleapis.com/css", "href"),
            ("https://www.google.com/search?q=x", "href"),
            ("http://www.google.com/maps", "href"),
            ("https://maps.google.com/", "action"),
            ("javascript:alert(1)", "href"),
            ("data:text/html,x", "href"),
        ] {
            assert!(!allowed(url, attribute, &origin), "{url}");
        }
    }
}
