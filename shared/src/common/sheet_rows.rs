//! Row numbers as a spreadsheet shows them, for every CSV the product reads (the e-learning
//! import, bank statements): the header is row 1, each record is one row however many line
//! breaks its quoted cells hold, and a blank line is a row of its own.
//!
//! The csv reader's `Position::line()` counts physical lines and, for CRLF files (RFC 4180's,
//! what Excel writes), gives a record the line of the previous record's `\n`: one less than the
//! sheet shows. Here only the reader's byte offsets are used, and the line ends between two
//! records are counted from the bytes themselves: whatever kind of line end, a record's row is
//! the previous record's plus the line ends that separate them.

/// Counts rows while a csv reader walks `bytes`. Feed it each record's start (the reader's
/// `Position::byte()`), in order.
pub struct SheetRows<'a> {
    bytes: &'a [u8],
    /// (the true start of the last record seen, its row).
    last: Option<(usize, u64)>,
}

fn is_line_end(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// Line ends in `run`: `\r\n` is one, a lone `\r` or `\n` is one; other bytes are not counted.
fn line_ends(run: &[u8]) -> u64 {
    let mut n = 0;
    let mut i = 0;
    while i < run.len() {
        if run[i] == b'\r' && run.get(i + 1) == Some(&b'\n') {
            i += 1;
        }
        if is_line_end(run[i]) {
            n += 1;
        }
        i += 1;
    }
    n
}

impl<'a> SheetRows<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        SheetRows { bytes, last: None }
    }

    /// The row of a record (or an error) at the reader's `position` (none: the file's start).
    pub fn row_of(&mut self, position: Option<&csv::Position>) -> u64 {
        self.row_at(position.map_or(0, |p| p.byte()))
    }

    /// The row of the record the reader says starts at byte `offset`.
    pub fn row_at(&mut self, offset: u64) -> u64 {
        let len = self.bytes.len();
        let mut start = usize::try_from(offset).unwrap_or(len).min(len);
        // The reader may place a record at the `\n` that ends the previous one's `\r\n`.
        while start < len && is_line_end(self.bytes[start]) {
            start += 1;
        }
        let row = match self.last {
            // Before the first record there are only line ends (blank lines) and maybe a BOM.
            None => 1 + line_ends(&self.bytes[..start]),
            Some((prev, prev_row)) if start > prev => {
                // The line ends just before this record: the previous record's own, then one per
                // blank line. A record never ends in a bare line end (a quoted cell closes with
                // its quote), so the run cannot eat into the previous record.
                let mut run_start = start;
                while run_start > prev + 1 && is_line_end(self.bytes[run_start - 1]) {
                    run_start -= 1;
                }
                prev_row + line_ends(&self.bytes[run_start..start]).max(1)
            }
            Some((_, prev_row)) => prev_row,
        };
        self.last = Some((start, row));
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record's row, read as the importers read (flexible, trimmed, header first).
    fn rows(text: &str) -> Vec<(u64, Vec<String>)> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut sheet = SheetRows::new(text.as_bytes());
        reader
            .records()
            .filter_map(Result::ok)
            .map(|r| {
                (
                    sheet.row_of(r.position()),
                    r.iter().map(str::to_string).collect(),
                )
            })
            .collect()
    }

    fn numbers(text: &str) -> Vec<u64> {
        rows(text).into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn lf_and_crlf_files_number_their_rows_alike() {
        let lf = "h1,h2\na,1\nb,2\nc,3\n";
        let crlf = lf.replace('\n', "\r\n");
        assert_eq!(numbers(lf), vec![1, 2, 3, 4]);
        assert_eq!(numbers(&crlf), vec![1, 2, 3, 4]);
        // Without a final line end, and with old Mac line ends.
        assert_eq!(numbers(crlf.trim_end()), vec![1, 2, 3, 4]);
        assert_eq!(numbers(&lf.replace('\n', "\r")), vec![1, 2, 3, 4]);
    }

    #[test]
    fn a_byte_order_mark_does_not_move_the_rows() {
        for ends in ["\n", "\r\n"] {
            let text = format!("\u{feff}h1,h2{ends}a,1{ends}b,2{ends}");
            assert_eq!(numbers(&text), vec![1, 2, 3], "{ends:?}");
        }
    }

    #[test]
    fn a_quoted_line_break_stays_in_its_row() {
        for ends in ["\n", "\r\n"] {
            let text = format!(
                "h1,h2{ends}\"two{ends}lines\",1{ends}b,2{ends}\"ends in a break{ends}\",3{ends}d,4{ends}"
            );
            let got = rows(&text);
            assert_eq!(
                got.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                vec![1, 2, 3, 4, 5],
                "{ends:?}"
            );
            assert_eq!(got[1].1[0], format!("two{ends}lines"));
        }
    }

    #[test]
    fn blank_lines_are_rows_of_their_own() {
        for ends in ["\n", "\r\n"] {
            let text = format!("{ends}h1,h2{ends}a,1{ends}{ends}{ends}b,2{ends}{ends}");
            assert_eq!(numbers(&text), vec![2, 3, 6], "{ends:?}");
        }
    }
}
