//! Reading numeric fields: the hot path of ingest, and the policy for what is not a number.
//!
//! `Infinity` (any case, signed), `NaN` and empty fields are missing values, as are numbers
//! beyond an `f32`; anything else that does not parse is text, which skips its row.

/// Why a cell holds no usable number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingKind {
    Infinity,
    Nan,
    Empty,
    OutOfRange,
}

/// What a numeric field holds.
pub enum Number {
    /// A finite number that fits an `f32`.
    Value(f32),
    /// No usable number, and why.
    Missing(MissingKind),
    /// Text that is not a number.
    Text,
}

/// Reads a trimmed numeric field.
#[inline]
pub fn parse_number(text: &[u8]) -> Number {
    if text.is_empty() {
        return Number::Missing(MissingKind::Empty);
    }
    match parse_integer(text) {
        Some(value) => Number::Value(value),
        None => parse_general(text),
    }
}

/// Floats, literals and text: the general parser, kept out of line so the integer path inlines
/// into the row loop without the float parser's large stack frame.
#[inline(never)]
fn parse_general(text: &[u8]) -> Number {
    match fast_float2::parse::<f64, _>(text) {
        Ok(value) if value.is_nan() => Number::Missing(MissingKind::Nan),
        // "Infinity" and "inf" are literals; "1e400" is a number too large for any float.
        Ok(value) if value.is_infinite() => Number::Missing(
            if text
                .iter()
                .any(|byte| byte.is_ascii_alphabetic() && !byte.eq_ignore_ascii_case(&b'e'))
            {
                MissingKind::Infinity
            } else {
                MissingKind::OutOfRange
            },
        ),
        Ok(value) if value.abs() > f64::from(f32::MAX) => Number::Missing(MissingKind::OutOfRange),
        Ok(value) => Number::Value(value as f32),
        Err(_) => Number::Text,
    }
}

/// Most flow statistics are small integers; reading them directly is several times faster than a
/// general float parser. Anything else (a sign other than `-`, a point, an exponent, more than
/// 18 digits) returns `None` for the general parser.
#[inline]
fn parse_integer(text: &[u8]) -> Option<f32> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut value: i64 = 0;
    for &byte in digits {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + i64::from(digit);
    }
    Some(if negative {
        -(value as f32)
    } else {
        value as f32
    })
}

/// `bytes` without ASCII whitespace at either end.
pub fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|byte| !byte.is_ascii_whitespace())
        .map_or(start, |end| end + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Option<f32> {
        match parse_number(text.as_bytes()) {
            Number::Value(value) => Some(value),
            _ => None,
        }
    }

    fn missing(text: &str) -> Option<MissingKind> {
        match parse_number(text.as_bytes()) {
            Number::Missing(kind) => Some(kind),
            _ => None,
        }
    }

    #[test]
    fn integers_and_floats() {
        assert_eq!(value("0"), Some(0.0));
        assert_eq!(value("-1"), Some(-1.0));
        assert_eq!(value("4000000"), Some(4_000_000.0));
        assert_eq!(value("666666.6667"), Some(666_666.7));
        assert_eq!(value("1e3"), Some(1000.0));
        assert_eq!(value("+5"), Some(5.0));
        assert_eq!(value("123456789012345678901"), Some(1.234_567_9e20));
    }

    #[test]
    fn missing_values_by_kind() {
        assert_eq!(missing(""), Some(MissingKind::Empty));
        assert_eq!(missing("Infinity"), Some(MissingKind::Infinity));
        assert_eq!(missing("-Infinity"), Some(MissingKind::Infinity));
        assert_eq!(missing("inf"), Some(MissingKind::Infinity));
        assert_eq!(missing("NaN"), Some(MissingKind::Nan));
        assert_eq!(missing("1e39"), Some(MissingKind::OutOfRange));
        assert_eq!(missing("1e400"), Some(MissingKind::OutOfRange));
    }

    #[test]
    fn text_is_neither() {
        for text in ["two", "1,5", "12abc", "-", "--1", "0x10"] {
            assert!(
                matches!(parse_number(text.as_bytes()), Number::Text),
                "{text}"
            );
        }
    }

    #[test]
    fn trim_strips_ascii_whitespace() {
        assert_eq!(trim(b"  12\r"), b"12");
        assert_eq!(trim(b"   "), b"");
    }
}
