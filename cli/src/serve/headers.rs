//! What every response says about itself: its type, and the headers that keep a browser
//! from running, framing, caching or leaking it; and the one message page.

use tiny_http::{Header, ResponseBox};

pub const HTML: &str = "text/html; charset=utf-8";
pub const TEXT: &str = "text/plain; charset=utf-8";

/// A page with a title and one message (errors, refusals, "nothing to revert").
pub fn page(status: u16, title: &str, message: &str) -> ResponseBox {
    respond(status, HTML, runglass_render::html::message_page(title, message, None, None).into_bytes())
}

/// Builds a response with the security headers every answer carries.
pub fn respond(status: u16, content_type: &str, body: Vec<u8>) -> ResponseBox {
    secure(tiny_http::Response::from_data(body).with_status_code(status).boxed(), content_type)
}

/// A file's content (a bundle written to a temporary file), as an attachment.
pub fn attachment(file: std::fs::File, content_type: &str, name: &str) -> ResponseBox {
    let response = tiny_http::Response::from_file(file).boxed();
    with(secure(response, content_type), "Content-Disposition", &format!("attachment; filename=\"{name}\""))
}

/// A redirect to `location` (relative to the request's URL).
pub fn redirect(status: u16, location: &str) -> ResponseBox {
    with(respond(status, "text/plain; charset=utf-8", Vec::new()), "Location", location)
}

fn secure(response: ResponseBox, content_type: &str) -> ResponseBox {
    // frame-ancestors only works in a header, not in a page's meta policy.
    let policy = format!("{}; frame-ancestors 'none'", runglass_render::html::content_security_policy());
    [
        ("Content-Type", content_type),
        ("Content-Security-Policy", policy.as_str()),
        ("X-Content-Type-Options", "nosniff"),
        // Not `no-referrer`: with it, browsers send `Origin: null` on our own forms' POSTs.
        ("Referrer-Policy", "same-origin"),
        ("Cache-Control", "no-store"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]
    .into_iter()
    .fold(response, |r, (name, value)| with(r, name, value))
}

/// Adds a header. Ours are plain ASCII (receipt ids are checked before they get here),
/// so one that is not is left out rather than sent malformed.
fn with(response: ResponseBox, name: &str, value: &str) -> ResponseBox {
    match Header::from_bytes(name.as_bytes(), value.as_bytes()) {
        Ok(h) => response.with_header(h),
        Err(()) => response,
    }
}
