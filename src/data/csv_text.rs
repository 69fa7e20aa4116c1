//! Writing CSV text: the scored-flows file, and the numbers behind the page's charts. One rule for
//! quoting, so every file NetSentry writes reads back the way it reads CSV in.

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// One CSV line (without its line break) of `fields`, each quoted as [`csv_field`] needs.
pub fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    fields
        .iter()
        .map(|field| csv_field(field.as_ref()))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::{csv_field, csv_line};

    #[test]
    fn fields_with_separators_are_quoted() {
        assert_eq!(csv_field("BENIGN"), "BENIGN");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn a_line_joins_its_quoted_fields() {
        assert_eq!(
            csv_line(&["epoch", "loss, training"]),
            "epoch,\"loss, training\""
        );
        assert_eq!(csv_line::<&str>(&[]), "");
    }
}
