package registers

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFollowUpCSVAndPDF(t *testing.T) {
	due := time.Date(2026, 3, 20, 0, 0, 0, 0, vietnam)
	rows := []FollowUp{{IncomingNumber: 7, Type: "Kế hoạch", NumberSymbol: "206/KH-SGDĐT", Date: time.Date(2026, 3, 2, 0, 0, 0, 0, vietnam),
		Author: "Sở Giáo dục và Đào tạo", Title: "Tổ chức hội khỏe Phù Đổng", Recipient: "Tổ chuyên môn Toán; phối hợp: Văn phòng",
		Due: &due, Progress: "Hoàn thành ngày 19/03/2026, đúng hạn", Response: "15/BC-THCSVL", Notes: "=cmd"}}
	var b bytes.Buffer
	if err := WriteFollowUpCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if !strings.HasPrefix(s, "\uFEFFSố đến,\"Tên loại, số, ký hiệu, ngày tháng và tên cơ quan ban hành văn bản\",Đơn vị hoặc người nhận,Thời hạn giải quyết,Tiến độ giải quyết,") {
		t.Fatalf("CSV head:\n%s", s)
	}
	for _, want := range []string{"07,Kế hoạch số 206/KH-SGDĐT ngày 02/03/2026 của Sở Giáo dục và Đào tạo: Tổ chức hội khỏe Phù Đổng", "20/03/2026", "15/BC-THCSVL", "'=cmd"} {
		if !strings.Contains(s, want) {
			t.Errorf("CSV lacks %q:\n%s", want, s)
		}
	}
	b.Reset()
	h := header
	h.Period = "Từ ngày 01/01/2026 đến ngày 31/03/2026"
	if err := FollowUpPDF(&b, h, rows); err != nil {
		t.Fatal(err)
	}
	_, text := inspect(t, b.Bytes())
	for _, want := range []string{"SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN", "Từ ngày 01/01/2026 đến ngày 31/03/2026", "Thời hạn giải", "Tổ chuyên môn Toán", "Hoàn thành ngày 19/03/2026"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF text lacks %q:\n%s", want, text)
		}
	}
}

func TestSlipPDF(t *testing.T) {
	for _, tool := range []string{"pdfinfo", "pdftotext"} {
		needTool(t, tool)
	}
	due := time.Date(2026, 3, 20, 0, 0, 0, 0, vietnam)
	at := time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)
	s := Slip{Organisation: "Ủy ban nhân dân Quận 1", Unit: "Phòng Giáo dục và Đào tạo Quận 1", Type: "Kế hoạch", NumberSymbol: "206/KH-SGDĐT",
		Date: time.Date(2026, 3, 2, 0, 0, 0, 0, vietnam), Author: "Sở Giáo dục và Đào tạo", Title: "tổ chức hội khỏe Phù Đổng",
		IncomingNumber: 7, ReceivedAt: at, Opinion: "Giao Tổ Giáo dục tiểu học chủ trì, báo cáo trước hạn", Leader: "Võ Minh Quân", DirectedAt: &at,
		Lead: []SlipTask{{Name: "Tổ Giáo dục tiểu học", Due: &due}}, Coordinate: []SlipTask{{Name: "Văn phòng"}}, Due: &due,
		Sections:  []SlipSection{{Section: "Tổ Giáo dục tiểu học", Head: "Trần Thị Hồng", At: &at, Handlers: []SlipTask{{Name: "Nguyễn Văn Dũng", Due: &due}}}},
		Proposals: []SlipNote{{Author: "Nguyễn Văn Dũng", Body: "Đề nghị gửi kế hoạch đến các trường tiểu học", At: at}}}
	var b bytes.Buffer
	if err := SlipPDF(&b, s); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "slip.pdf")
	os.WriteFile(f, b.Bytes(), 0o600)
	info, _ := exec.Command("pdfinfo", f).CombinedOutput()
	if !bytes.Contains(info, []byte("595.28 x 841.89")) && !bytes.Contains(info, []byte("595 x 842")) {
		t.Errorf("not A4 portrait:\n%s", info)
	}
	out, err := exec.Command("pdftotext", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{"PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN", "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO QUẬN 1", "206/KH-SGDĐT", "Số đến: 07",
		"1. Ý kiến của lãnh đạo cơ quan, tổ chức", "Tổ Giáo dục tiểu học (hạn 20/03/2026)", "Võ Minh Quân",
		"2. Ý kiến của lãnh đạo đơn vị", "Nguyễn Văn Dũng (hạn 20/03/2026)", "3. Ý kiến đề xuất của người giải quyết",
		"Đề nghị gửi kế hoạch đến các trường tiểu học", "03/03/2026"} {
		if !strings.Contains(text, want) {
			t.Errorf("the slip lacks %q:\n%s", want, text)
		}
	}
	// An empty slip still prints, with lines to fill in.
	b.Reset()
	if err := SlipPDF(&b, Slip{Unit: "Trường THCS Văn Lang", Type: "Công văn", ReceivedAt: at}); err != nil {
		t.Fatal(err)
	}
}
