package registers

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

func vnTime(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, vietnam)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

// parseCSV checks the byte order mark and reads the rest back.
func parseCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("CSV does not start with the UTF-8 BOM: % x", b[:min(len(b), 8)])
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse back: %v", err)
	}
	return recs
}

func checkHeader(t *testing.T, got []string, cols []column) {
	t.Helper()
	if len(got) != len(cols) {
		t.Fatalf("header has %d columns, want %d: %q", len(got), len(cols), got)
	}
	for i, c := range cols {
		if got[i] != c.title {
			t.Errorf("header[%d] = %q, want %q", i, got[i], c.title)
		}
	}
}

func checkRecord(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("record has %d fields, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d = %q, want %q", i+1, got[i], want[i])
		}
	}
}

func TestWriteOutgoingCSV(t *testing.T) {
	rows := []Outgoing{
		{
			NumberSymbol: "206/KH-SGDĐT",
			// 18:30 UTC on the 12th is already the 13th in Vietnam.
			Date:       time.Date(2026, 2, 12, 18, 30, 0, 0, time.UTC),
			Type:       "Kế hoạch",
			Title:      "Thực hiện công tác cải cách hành chính năm 2026",
			Signer:     "Nguyễn Thị Thu Hà",
			Recipients: "Phòng Giáo dục và Đào tạo Quận 1;\nPhòng Giáo dục và Đào tạo thành phố Thủ Đức",
			FileUnit:   "Văn phòng Sở",
			Copies:     3,
			SentAt:     ptr(vnTime("2026-02-23 08:15")),
			Receipt:    "Đã nhận",
			Notes:      "Hỏa tốc, \"gấp\"",
		},
		{
			NumberSymbol: "07/SGDĐT-VP",
			Date:         vnTime("2026-03-02 00:00"),
			Type:         "Công văn",
			Title:        "V/v hướng dẫn tuyển sinh lớp 10",
			Recipients:   "- Như trên;\n- Lưu: VT.",
			Notes:        "=HYPERLINK(\"http://x\")",
		},
	}
	var b bytes.Buffer
	if err := WriteOutgoingCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte("\r\n")) {
		t.Error("CSV lines do not end in CRLF")
	}
	recs := parseCSV(t, b.Bytes())
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	checkHeader(t, recs[0], outgoingColumns)
	checkRecord(t, recs[1], []string{
		"206/KH-SGDĐT", "13/02/2026",
		"Kế hoạch: Thực hiện công tác cải cách hành chính năm 2026",
		"Nguyễn Thị Thu Hà",
		"Phòng Giáo dục và Đào tạo Quận 1;\nPhòng Giáo dục và Đào tạo thành phố Thủ Đức",
		"Văn phòng Sở", "3", "23/02/2026", "Đã nhận", "Hỏa tốc, \"gấp\"",
	})
	checkRecord(t, recs[2], []string{
		"07/SGDĐT-VP", "02/03/2026", "Công văn: V/v hướng dẫn tuyển sinh lớp 10", "",
		"'- Như trên;\n- Lưu: VT.", "", "0", "", "", "'=HYPERLINK(\"http://x\")",
	})
}

func TestWriteIncomingCSV(t *testing.T) {
	// "Hà" with a combining grave accent: written out composed.
	decomposed := "Nguyễn Thị Thu Ha\u0300"
	rows := []Incoming{
		{
			ReceivedAt:     vnTime("2026-01-05 07:45"),
			IncomingNumber: 1,
			Author:         "Ủy ban nhân dân Thành phố Hồ Chí Minh",
			NumberSymbol:   "12/UBND-VX",
			Date:           vnTime("2025-12-31 00:00"),
			Type:           "Công văn",
			Title:          "V/v nghỉ Tết Nguyên đán năm 2026",
			Recipient:      decomposed,
			ForwardedAt:    ptr(vnTime("2026-01-05 10:00")),
		},
		{ReceivedAt: vnTime("2026-01-06 09:00"), IncomingNumber: 123, Author: "Bộ Giáo dục và Đào tạo"},
		{ReceivedAt: vnTime("2026-01-06 09:00"), Author: "not registered yet"},
	}
	var b bytes.Buffer
	if err := WriteIncomingCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	recs := parseCSV(t, b.Bytes())
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	checkHeader(t, recs[0], incomingColumns)
	checkRecord(t, recs[1], []string{
		"05/01/2026", "01", "Ủy ban nhân dân Thành phố Hồ Chí Minh", "12/UBND-VX", "31/12/2025",
		"Công văn: V/v nghỉ Tết Nguyên đán năm 2026", "Nguyễn Thị Thu Hà", "05/01/2026", "", "",
	})
	if recs[2][1] != "123" || recs[3][1] != "" {
		t.Errorf("incoming numbers %q and %q, want 123 and blank", recs[2][1], recs[3][1])
	}
	if recs[3][4] != "" || recs[3][7] != "" {
		t.Errorf("missing dates written as %q, %q", recs[3][4], recs[3][7])
	}
}

func TestWriteCSVEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := WriteOutgoingCSV(&b, nil); err != nil {
		t.Fatal(err)
	}
	recs := parseCSV(t, b.Bytes())
	if len(recs) != 1 {
		t.Fatalf("empty register: %d records, want the header alone", len(recs))
	}
	if !strings.HasPrefix(recs[0][0], "Số, ký hiệu") {
		t.Errorf("header %q", recs[0])
	}
}

// The printed book may shorten "Nơi nhận"; the CSV lists every unit. A
// relayed document's author is its issuing body, the relay a note.
func TestCSVKeepsEveryRecipientAndNamesTheRelay(t *testing.T) {
	var all []string
	for i := range 30 {
		all = append(all, "Trường thử nghiệm "+strings.Repeat("I", i%3+1)+" số "+string(rune('A'+i%26)))
	}
	var buf bytes.Buffer
	out := Outgoing{NumberSymbol: "01/KH-SGDĐT", Date: vnTime("2026-12-06 08:00"), Type: "Kế hoạch", Title: "Kế hoạch",
		Recipients: "30 đơn vị: " + strings.Join(all[:6], "; ") + "; …", AllRecipients: all, Copies: 1}
	if err := WriteOutgoingCSV(&buf, []Outgoing{out}); err != nil {
		t.Fatal(err)
	}
	recs := parseCSV(t, buf.Bytes())
	if got := recs[1][4]; got != strings.Join(all, "; ") {
		t.Errorf("Nơi nhận = %q, want all 30", got)
	}
	if cells := out.cells(); cells[4] != out.Recipients {
		t.Errorf("the printed book's Nơi nhận = %q", cells[4])
	}
	buf.Reset()
	in := Incoming{ReceivedAt: vnTime("2026-12-06 09:00"), IncomingNumber: 3, Author: "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh",
		RelayedBy: "Phòng Giáo dục và Đào tạo Quận 1", NumberSymbol: "01/KH-SGDĐT", Date: vnTime("2026-12-06 08:00"), Title: "Kế hoạch", Notes: "Đã thu hồi"}
	if err := WriteIncomingCSV(&buf, []Incoming{in}); err != nil {
		t.Fatal(err)
	}
	recs = parseCSV(t, buf.Bytes())
	if recs[1][2] != in.Author || recs[1][9] != "Chuyển tiếp qua Phòng Giáo dục và Đào tạo Quận 1. Đã thu hồi" {
		t.Errorf("author %q, notes %q", recs[1][2], recs[1][9])
	}
}
