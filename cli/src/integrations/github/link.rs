//! The `Link` header of a paginated answer (RFC 8288): where the next page is.
//! GitHub sends `<https://api.github.com/repositories/1/issues/2/comments?page=2>;
//! rel="next", <...>; rel="last"` and no `next` on the last page.

/// The target of the link whose `rel` includes `next`.
pub fn next(header: &str) -> Option<&str> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        // The parameters run up to the next link, which starts with `,` then `<`.
        let params_end = rest[close..].find(",").map_or(rest.len(), |i| close + i);
        let is_next = rest[close + 1..params_end].split(';').any(|param| {
            let Some((name, value)) = param.split_once('=') else { return false };
            name.trim().eq_ignore_ascii_case("rel")
                && value.trim().trim_matches('"').split_ascii_whitespace().any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target);
        }
        rest = &rest[params_end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::next;

    #[test]
    fn finds_next_among_the_links() {
        let page = |n: u32| format!("https://api.github.com/repositories/1/issues/2/comments?per_page=100&page={n}");
        let h = format!(r#"<{}>; rel="prev", <{}>; rel="next", <{}>; rel="last""#, page(1), page(3), page(4));
        assert_eq!(next(&h), Some(page(3).as_str()));
    }

    #[test]
    fn last_page_has_no_next() {
        assert_eq!(next(r#"<https://x/a?page=1>; rel="first", <https://x/a?page=2>; rel="prev""#), None);
        assert_eq!(next(""), None);
        assert_eq!(next("<https://x/a?page=2"), None, "an unclosed link");
    }

    #[test]
    fn rel_may_be_unquoted_or_hold_several_relations() {
        assert_eq!(next("<https://x/a?page=2>; rel=next"), Some("https://x/a?page=2"));
        assert_eq!(next(r#"<https://x/a?page=2>; title="a"; rel="last next""#), Some("https://x/a?page=2"));
    }
}
