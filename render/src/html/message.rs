//! A small page in the receipts' style for what the server has to say: confirm a
//! deletion, report an error, ask for the access token.

use maud::html;

use super::{Forms, document};

/// A small page in the same style: a title, a message paragraph, an optional form (POST to
/// `action` with a submit button labelled `button`) and an optional link back to `back`.
pub fn message_page(title: &str, message: &str, form: Option<(&str, &str)>, back: Option<&str>) -> String {
    let body = html! {
        header.top {
            p.eyebrow { "runglass" }
            h1 { (title) }
        }
        main.panel {
            p { (message) }
            @if let Some((action, button)) = form {
                form method="post" action=(action) { button.primary type="submit" { (button) } }
            }
            @if let Some(back) = back { p { a href=(back) { "← Back" } } }
        }
    };
    let forms = if form.is_some() { Forms::SameOrigin } else { Forms::None };
    document(&format!("{title} · runglass"), None, forms, body)
}
