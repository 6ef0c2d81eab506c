//! Exact, non-negative rationals: the rates the calculator computes and the
//! bounds of the band tables.
//!
//! Why not floats: a band edge such as 70 % must put 139/200 (69.5 %) below
//! it and 7/10 exactly on it, every time. Rates and bounds are compared by
//! cross-multiplying their integer parts in `u128`, which cannot overflow
//! for `u64` parts.

use std::cmp::Ordering;
use std::fmt;

/// `numerator / denominator`, with `denominator > 0`.
#[derive(Debug, Clone, Copy)]
pub struct Ratio {
    numerator: u64,
    denominator: u64,
}

/// Why a bound written in `assessment.toml` is not a rate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is not a rate: write a percentage (\"69.5%\"), a fraction (\"7/10\") or a decimal (\"0.695\"){reason}"
)]
pub struct RatioError {
    text: String,
    reason: &'static str,
}

/// Decimal digits a written bound may hold: keeps both parts within `u64`.
const MAX_DIGITS: usize = 15;

impl Ratio {
    /// A rate; `None` for a zero denominator ("no data").
    pub fn new(numerator: u64, denominator: u64) -> Option<Self> {
        (denominator > 0).then_some(Self {
            numerator,
            denominator,
        })
    }

    pub const ZERO: Ratio = Ratio {
        numerator: 0,
        denominator: 1,
    };

    pub fn numerator(self) -> u64 {
        self.numerator
    }

    pub fn denominator(self) -> u64 {
        self.denominator
    }

    /// Parses `"69.5%"`, `"69.5 %"`, `"139/200"` or `"0.695"`.
    pub fn parse(text: &str) -> Result<Self, RatioError> {
        let fail = |reason| RatioError {
            text: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        if let Some(percent) = trimmed.strip_suffix('%') {
            let (numerator, denominator) = decimal(percent.trim_end()).map_err(fail)?;
            let denominator = denominator.checked_mul(100).ok_or(fail(" (too precise)"))?;
            return Ok(Self::new(numerator, denominator).expect("10^k * 100 is positive"));
        }
        if let Some((numerator, denominator)) = trimmed.split_once('/') {
            let numerator = integer(numerator.trim()).map_err(fail)?;
            let denominator = integer(denominator.trim()).map_err(fail)?;
            return Self::new(numerator, denominator).ok_or(fail(" (the denominator is 0)"));
        }
        let (numerator, denominator) = decimal(trimmed).map_err(fail)?;
        Ok(Self::new(numerator, denominator).expect("10^k is positive"))
    }

    /// The rate as a fraction of 1, for machines that want a number. Only
    /// for display: decisions use the exact parts.
    pub fn to_f64(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }

    /// The percentage truncated (not rounded) to one decimal, e.g. `"69.9"`
    /// for 69.96 %. Truncation keeps the shown value in the same band as the
    /// exact rate whenever the band bounds have at most one decimal, which
    /// rounding would not (69.96 % would show as 70.0 % yet score below 70 %).
    pub fn percent_one_decimal(self) -> String {
        let tenths = u128::from(self.numerator) * 1000 / u128::from(self.denominator);
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

impl PartialEq for Ratio {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ratio {}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Self) -> Ordering {
        let left = u128::from(self.numerator) * u128::from(other.denominator);
        let right = u128::from(other.numerator) * u128::from(self.denominator);
        left.cmp(&right)
    }
}

/// Percent with as many decimals as the value has (up to four), else the
/// fraction: `69.5 %`, `10 %`, `1/3`. Used in band and gap messages.
impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scaled = u128::from(self.numerator) * 100 * 10_000;
        let denominator = u128::from(self.denominator);
        if scaled % denominator != 0 {
            return write!(f, "{}/{}", self.numerator, self.denominator);
        }
        let ten_thousandths = scaled / denominator;
        let whole = ten_thousandths / 10_000;
        let fraction = ten_thousandths % 10_000;
        if fraction == 0 {
            write!(f, "{whole} %")
        } else {
            let digits = format!("{fraction:04}");
            write!(f, "{whole}.{} %", digits.trim_end_matches('0'))
        }
    }
}

fn integer(text: &str) -> Result<u64, &'static str> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err("");
    }
    if text.len() > MAX_DIGITS {
        return Err(" (too many digits)");
    }
    text.parse().map_err(|_| "")
}

/// `"69.5"` → (695, 10).
fn decimal(text: &str) -> Result<(u64, u64), &'static str> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err("");
    }
    let digits = format!("{whole}{fraction}");
    if digits.len() > MAX_DIGITS {
        return Err(" (too many digits)");
    }
    let numerator = if digits.is_empty() {
        Ok(0)
    } else {
        integer(&digits)
    }?;
    let exponent = u32::try_from(fraction.len()).map_err(|_| " (too many digits)")?;
    Ok((numerator, 10u64.pow(exponent)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(text: &str) -> Ratio {
        Ratio::parse(text).unwrap()
    }

    #[test]
    fn parses_every_written_form_to_the_same_value() {
        assert_eq!(ratio("69.5%"), Ratio::new(139, 200).unwrap());
        assert_eq!(ratio("69.5 %"), ratio("0.695"));
        assert_eq!(ratio("7/10"), ratio("70%"));
        assert_eq!(ratio(" 0 "), Ratio::ZERO);
        assert_eq!(ratio(".5"), ratio("50%"));
    }

    #[test]
    fn rejects_what_is_not_a_non_negative_rate() {
        for bad in ["", "%", "-5%", "abc", "1/0", "1/", "5%%", "1e3", "1.2.3"] {
            assert!(Ratio::parse(bad).is_err(), "{bad:?} parsed");
        }
        let error = Ratio::parse("1/0").unwrap_err().to_string();
        assert!(error.contains("the denominator is 0"), "{error}");
        assert!(Ratio::parse("0.1234567890123456").is_err());
    }

    #[test]
    fn compares_exactly_where_floats_and_rounding_would_not() {
        assert!(Ratio::new(139, 200).unwrap() < ratio("70%"));
        assert!(Ratio::new(1999, 2000).unwrap() < ratio("100%"));
        assert!(Ratio::new(u64::MAX - 1, u64::MAX).unwrap() < ratio("1"));
        assert_eq!(Ratio::new(u64::MAX, u64::MAX).unwrap(), ratio("1"));
    }

    #[test]
    fn displays_percentages_and_truncates_to_one_decimal() {
        assert_eq!(ratio("69.5%").to_string(), "69.5 %");
        assert_eq!(ratio("1/10").to_string(), "10 %");
        assert_eq!(ratio("1/3").to_string(), "1/3");
        assert_eq!(
            Ratio::new(1399, 2000).unwrap().percent_one_decimal(),
            "69.9"
        );
        assert_eq!(Ratio::new(1, 1).unwrap().percent_one_decimal(), "100.0");
        assert_eq!(Ratio::new(0, 7).unwrap().percent_one_decimal(), "0.0");
    }
}
