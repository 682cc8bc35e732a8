package registers

import "io"

// Column is a column of TablePDF: its heading, its width in millimetres
// (the widths add up to the 277 mm between the margins of A4 landscape)
// and how its text is aligned ('L' or 'C').
type Column struct {
	Title string
	Width float64
	Align byte
}

// TablePDF writes rows under title laid out as the registers are (A4
// landscape, the heading repeated on every page, "Trang x/y"), for the
// other tables of the decree's appendices: the file list, a file's index
// and the hand-over list of Appendix V.
func TablePDF(w io.Writer, title string, h Header, cols []Column, rows [][]string) error {
	cs := make([]column, len(cols))
	for i, c := range cols {
		cs[i] = column{title: c.Title, width: c.Width, align: c.Align}
	}
	return writePDF(w, title, h, cs, rows)
}
