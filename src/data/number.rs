//! Reading numeric fields: the hot path of ingest, and the policy for what is not a number.
//!
//! `Infinity` (any case, signed), `NaN` and empty fields are missing values, as are numbers
//! beyond an `f32`; anything else that does not parse is text, which skips its row.

/// Why a cell holds no usable number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingKind {
    /// The literal `Infinity` or `inf`, either sign (CICFlowMeter's rate over a zero duration).
    Infinity,
    /// The literal `NaN`.
    Nan,
    /// An empty field.
    Empty,
    /// A number beyond the range of an `f32`.
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
    match parse_decimal(text) {
        Some(value) => Number::Value(value),
        None => parse_general(text),
    }
}

/// Exponents, literals and text: the general parser, kept out of line so the decimal path
/// inlines into the row loop without the float parser's large stack frame.
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

/// Powers of ten that an `f64` holds exactly.
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Flow statistics are plain decimals (`6`, `-1`, `666666.6667`); reading them directly is
/// several times faster than a general float parser, and exact: with at most 15 digits the
/// digits and the power of ten are exact doubles, so their quotient is correctly rounded
/// (Clinger's fast path), as the general parser would round it. Anything else (a `+`, an
/// exponent, a literal, more digits) returns `None` for the general parser.
#[inline]
fn parse_decimal(text: &[u8]) -> Option<f32> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let mut mantissa: u64 = 0;
    let mut count = 0;
    let mut point = None;
    for (index, &byte) in digits.iter().enumerate() {
        let digit = byte.wrapping_sub(b'0');
        if digit <= 9 {
            mantissa = mantissa * 10 + u64::from(digit);
            count += 1;
        } else if byte == b'.' && point.is_none() {
            point = Some(index);
        } else {
            return None;
        }
        if count > 15 {
            return None;
        }
    }
    if count == 0 {
        return None;
    }
    // Most fields are integers: skip the division (a slow instruction) for them.
    let magnitude = match point {
        Some(point) if point + 1 < digits.len() => {
            mantissa as f64 / POWERS_OF_TEN[digits.len() - point - 1]
        }
        _ => mantissa as f64,
    };
    Some(if negative { -magnitude } else { magnitude } as f32)
}

/// `bytes` without ASCII whitespace at either end.
#[inline]
pub fn trim(bytes: &[u8]) -> &[u8] {
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last))
            if !first.is_ascii_whitespace() && !last.is_ascii_whitespace() =>
        {
            return bytes;
        }
        _ => {}
    }
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
    fn the_decimal_path_rounds_as_the_general_parser_does() {
        let texts = [
            "0",
            "-0",
            "7",
            "-1",
            "65535",
            "4000000",
            "666666.6667",
            "0.5773502692",
            "-3.25",
            "123456789012345",
            "1.",
            ".5",
            "99999999.99999",
        ];
        for text in texts {
            let general = fast_float2::parse::<f64, _>(text).unwrap() as f32;
            assert_eq!(parse_decimal(text.as_bytes()), Some(general), "{text}");
        }
        for text in ["1.2.3", "1e5", "+1", "-", ".", "1234567890123456", "1,5"] {
            assert_eq!(parse_decimal(text.as_bytes()), None, "{text}");
        }
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
