package registers

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// The byte order mark makes Excel read the file as UTF-8 rather than in
// the machine's code page, which would garble the diacritics.
const bom = "\uFEFF"

// WriteOutgoingCSV writes the register of outgoing documents as CSV: UTF-8
// with a byte order mark, CRLF line ends, a row of the Appendix IV
// headings, then one row per document, dates as dd/mm/yyyy in Vietnam time.
func WriteOutgoingCSV(w io.Writer, rows []Outgoing) error {
	return writeCSV(w, outgoingColumns, len(rows), func(i int) []string { return rows[i].csvCells() })
}

// WriteIncomingCSV writes the register of incoming documents as CSV, like
// WriteOutgoingCSV.
func WriteIncomingCSV(w io.Writer, rows []Incoming) error {
	return writeCSV(w, incomingColumns, len(rows), func(i int) []string { return rows[i].cells() })
}

func writeCSV(w io.Writer, cols []column, n int, row func(int) []string) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return fmt.Errorf("registers: unable to write the CSV: %v", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = c.title
	}
	if err := cw.Write(rec); err != nil {
		return fmt.Errorf("registers: unable to write the CSV: %v", err)
	}
	for i := range n {
		for j, s := range row(i) {
			rec[j] = csvCell(s)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("registers: unable to write the CSV: %v", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("registers: unable to write the CSV: %v", err)
	}
	return nil
}

// csvCell normalises s to NFC, the form spreadsheets and fonts expect, and
// defuses a cell a spreadsheet would take for a formula (OWASP "CSV
// injection"): the text is the user's, the file is opened in Excel.
func csvCell(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD"))
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteTableCSV writes a table of any headings as CSV, like the registers:
// UTF-8 with a byte order mark, CRLF line ends.
func WriteTableCSV(w io.Writer, headings []string, rows [][]string) error {
	cols := make([]column, len(headings))
	for i, h := range headings {
		cols[i] = column{title: h}
	}
	return writeCSV(w, cols, len(rows), func(i int) []string { return rows[i] })
}
