//! Text for messages: what devtoken echoes of its input (a claim, a file name, Apple's answer)
//! is escaped and cut, so an error or finding never carries control characters or a megabyte.

/// `text` with control characters escaped, cut to at most `max` characters (counted after
/// escaping, which makes one control character up to 6) followed by `...` when cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for c in text.chars() {
        let width = if c.is_control() {
            c.escape_default().count()
        } else {
            1
        };
        if count + width > max {
            out.push_str("...");
            break;
        }
        count += width;
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_counts_the_escaped_text() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "abc...");
        assert_eq!(shorten("a\u{1b}b", 20), "a\\u{1b}b");
        // Escaping makes one control character up to 6: the bound holds after escaping.
        let flood = shorten(&"\u{0}".repeat(1_000), 100);
        assert!(flood.chars().count() <= 103, "{}", flood.chars().count());
        assert!(!flood.chars().any(char::is_control));
    }
}
