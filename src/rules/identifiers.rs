//! Shape checks for Apple's identifiers: key ids, Team IDs, issuer IDs, bundle ids and origins.
//!
//! Each check returns `Ok(())` or a short phrase saying what is wrong, which the caller places in
//! an error naming the field.

/// What kind of identifier a value looks like, used to explain mix-ups ("that is a UUID").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdentifierShape {
    /// 10 upper-case letters and digits: a key id or a Team ID.
    TenCharacter,
    /// 8-4-4-4-12 hexadecimal: an issuer ID.
    Uuid,
    /// Anything else.
    Other,
}

pub(crate) fn shape_of(value: &str) -> IdentifierShape {
    if is_ten_character_id(value) {
        IdentifierShape::TenCharacter
    } else if is_uuid(value) {
        IdentifierShape::Uuid
    } else {
        IdentifierShape::Other
    }
}

/// A key id or Team ID: exactly 10 characters, upper-case ASCII letters and digits.
pub(crate) fn is_ten_character_id(value: &str) -> bool {
    value.len() == 10
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// An issuer ID: a UUID in its 8-4-4-4-12 hexadecimal form.
pub(crate) fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// An OAuth client id or team id of the form `<prefix>.<uuid>`, e.g. `SEARCHADS.<uuid>`; the error
/// names the mix-up (a bare UUID, another service's prefix).
pub(crate) fn check_prefixed_uuid(value: &str, prefix: &str) -> Result<(), String> {
    let expected = format!("{prefix}.<uuid>, e.g. {prefix}.27478e71-3bb0-4588-998c-182e2b405577");
    match value.split_once('.') {
        Some((given, uuid)) if given == prefix && is_uuid(uuid) => Ok(()),
        Some((given, uuid)) if is_uuid(uuid) => {
            Err(format!("has the prefix '{given}'; expected {expected}"))
        }
        _ if is_uuid(value) => Err(format!("is a bare UUID (the key id?); expected {expected}")),
        _ => Err(format!("is not of the form {expected}")),
    }
}

/// A reverse-DNS identifier such as `com.example.app`: two or more dot-separated labels of ASCII
/// letters, digits and hyphens (Apple's bundle id alphabet).
pub(crate) fn check_reverse_dns(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        return Err("is empty");
    }
    if value.len() > 255 {
        return Err("is longer than 255 characters");
    }
    if value.chars().any(char::is_whitespace) {
        return Err("contains whitespace");
    }
    let labels: Vec<&str> = value.split('.').collect();
    if labels.len() < 2 {
        return Err("is not reverse-DNS (expected a form like com.example.app)");
    }
    if labels.iter().any(|label| label.is_empty()) {
        return Err("has an empty label (two dots in a row, or a leading or trailing dot)");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err("has characters other than letters, digits, '-' and '.'");
    }
    Ok(())
}

/// A web origin as a browser sends it in the `Origin` header: `scheme://host[:port]`, where the
/// host may start with a `*.` wildcard label.
pub(crate) fn check_origin(value: &str) -> Result<(), String> {
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err(format!(
            "has no scheme; the Origin header a browser sends includes it, so write 'https://{}'",
            value.trim_start_matches('/')
        ));
    };
    if scheme != "https" && scheme != "http" {
        return Err(format!("has scheme '{scheme}'; expected https or http"));
    }
    if let Some(index) = rest.find(['/', '?', '#']) {
        return Err(format!(
            "has a path, query or fragment ('{}'); an origin is scheme://host[:port] only",
            &rest[index..]
        ));
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    if let Some(port) = port {
        if port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().is_err()
        {
            return Err(format!(
                "has port '{port}', which is not a number from 0 to 65535"
            ));
        }
    }
    if host.is_empty() {
        return Err("has no host".to_string());
    }
    let labels: Vec<&str> = host.split('.').collect();
    for (index, label) in labels.iter().enumerate() {
        let wildcard = *label == "*" && index == 0 && labels.len() > 1;
        let plain = !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !wildcard && !plain {
            return Err(format!(
                "has host '{host}', which is not a host name (letters, digits, '-', an optional leading '*.')"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_character_ids() {
        assert!(is_ten_character_id("ABC123DEFG"));
        assert!(!is_ten_character_id("abc123defg"));
        assert!(!is_ten_character_id("ABC123DEF"));
        assert!(!is_ten_character_id("ABC123DEFGH"));
        assert!(!is_ten_character_id("ABC-23DEFG"));
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("57246542-96fe-1a63-e053-0824d011072a"));
        assert!(is_uuid("57246542-96FE-1A63-E053-0824D011072A"));
        assert!(!is_uuid("57246542-96fe-1a63e053-0824d011072a"));
        assert!(!is_uuid("57246542-96fe-1a63-e053-0824d011072g"));
        assert_eq!(shape_of("ABC123DEFG"), IdentifierShape::TenCharacter);
        assert_eq!(
            shape_of("57246542-96fe-1a63-e053-0824d011072a"),
            IdentifierShape::Uuid
        );
    }

    #[test]
    fn reverse_dns() {
        assert!(check_reverse_dns("com.example.app").is_ok());
        assert!(check_reverse_dns("com.example.weather-kit").is_ok());
        assert!(check_reverse_dns("example").is_err());
        assert!(check_reverse_dns("com..example").is_err());
        assert!(check_reverse_dns("com.example app").is_err());
        assert!(check_reverse_dns("com.exam_ple").is_err());
        assert!(check_reverse_dns("").is_err());
    }

    #[test]
    fn origins() {
        for ok in [
            "https://example.com",
            "https://*.example.com",
            "http://localhost:8080",
            "https://music.example.com",
        ] {
            assert!(check_origin(ok).is_ok(), "{ok}");
        }
        for bad in [
            "example.com",
            "*.example.com",
            "ftp://example.com",
            "https://example.com/",
            "https://example.com/path",
            "https://",
            "https://exa mple.com",
            "https://example.*.com",
            "https://example.com:99999",
            "https://example.com:",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
        assert!(check_origin("*.example.com")
            .unwrap_err()
            .contains("https://*.example.com"));
    }
}

#[cfg(test)]
mod prefixed_uuid_tests {
    use super::check_prefixed_uuid;

    #[test]
    fn prefixed_uuids_name_the_mix_up() {
        let uuid = "27478e71-3bb0-4588-998c-182e2b405577";
        assert!(check_prefixed_uuid(&format!("SEARCHADS.{uuid}"), "SEARCHADS").is_ok());
        let other = check_prefixed_uuid(&format!("BUSINESSAPI.{uuid}"), "SCHOOLAPI").unwrap_err();
        assert!(other.contains("prefix 'BUSINESSAPI'"), "{other}");
        let bare = check_prefixed_uuid(uuid, "SEARCHADS").unwrap_err();
        assert!(bare.contains("bare UUID"), "{bare}");
        let junk = check_prefixed_uuid("SEARCHADS.1234", "SEARCHADS").unwrap_err();
        assert!(
            junk.starts_with("is not of the form SEARCHADS.<uuid>"),
            "{junk}"
        );
    }
}
