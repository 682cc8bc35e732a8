package meetings_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/meetings"
)

func (f *meetingFixture) attach(p auth.Principal, id int64, title string) {
	f.t.Helper()
	up, err := f.docs.SpoolAttachment(f.ctx, bytes.NewReader(f.pdf()), title+".pdf")
	if err != nil {
		f.t.Fatal(err)
	}
	defer up.Close()
	if _, err := f.docs.AddAttachment(f.ctx, p, id, title, up); err != nil {
		f.t.Fatal(err)
	}
}

var pagesRE = regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`)

// packetText returns the pages and the text of p's packet of meeting id.
func (f *meetingFixture) packetText(p auth.Principal, id int64) (int, string) {
	f.t.Helper()
	for _, tool := range []string{"pdfinfo", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(f.t, tool)
		}
	}
	rc, _, _, err := f.svc.Packet(f.ctx, p, id)
	if err != nil {
		f.t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	path := filepath.Join(f.t.TempDir(), "packet.pdf")
	os.WriteFile(path, b, 0o600)
	info, _ := exec.Command("pdfinfo", path).Output()
	m := pagesRE.FindSubmatch(info)
	if m == nil {
		f.t.Fatalf("pdfinfo: %s", info)
	}
	n, _ := strconv.Atoi(string(m[1]))
	text, _ := exec.Command("pdftotext", "-raw", path, "-").Output()
	return n, string(text)
}

// A document on the agenda brings its attachments: listed under it, and
// bound into the packet right after it; a draft's attachment added later
// is in the next packet.
func TestAgendaDocumentsBringTheirAttachments(t *testing.T) {
	f := newMeetingWorld(t).fixture(t, 0)
	clerk := f.who("vanthu.sgd")
	d, err := f.docs.Create(f.ctx, clerk, documents.Meta{DocType: "KH", Title: "Dự thảo kế hoạch", DocDate: "2026-11-20"}, f.spool(f.pdf(), "Kế hoạch.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.svc.Create(f.ctx, clerk, f.input())
	if err != nil {
		t.Fatal(err)
	}
	item, err := f.svc.AddItem(f.ctx, clerk, m.ID, meetings.ItemInput{Title: "Góp ý dự thảo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AttachDocument(f.ctx, clerk, m.ID, item.ID, d.ID, 0); err != nil {
		t.Fatal(err)
	}
	chair := f.who("giamdoc.sgd")
	alone, _ := f.packetText(chair, m.ID)
	f.attach(clerk, d.ID, "Phụ lục I")
	f.attach(clerk, d.ID, "Phụ lục II")
	got, err := f.svc.Get(f.ctx, chair, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	atts := got.Items[0].Documents[0].Attachments
	if len(atts) != 2 || atts[0].Title != "Phụ lục I" || atts[1].Position != 2 || !atts[1].PDF {
		t.Fatalf("agenda attachments = %+v", atts)
	}
	pages, text := f.packetText(chair, m.ID)
	if pages != alone+2 || !strings.Contains(text, "lục II (dự thảo) (tr. 4)") {
		t.Fatalf("the packet has %d pages, %d without the attachments:\n%s", pages, alone, text)
	}
	f.attach(clerk, d.ID, "Phụ lục III")
	if more, text := f.packetText(chair, m.ID); more != pages+1 || !strings.Contains(text, "lục III (dự thảo) (tr. 5)") {
		t.Fatalf("after a third attachment: %d pages (before %d)", more, pages)
	}
}
