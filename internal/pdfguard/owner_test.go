package pdfguard

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/internal/testenv"
)

// A PDF with only an owner password opens without one: it passes, marked
// Restricted, whatever its encryption (AES-256 of PDF 2.0 too, which the
// signing reader cannot decrypt). One with a user password does not, and
// the message says what to do.
func TestOwnerPasswordOnly(t *testing.T) {
	if _, err := exec.LookPath("qpdf"); err != nil {
		testenv.Missing(t, "qpdf")
	}
	g := newGuard(t, Options{})
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code string
	}{
		{"aes256-owner.pdf", []string{"", "chủ", "256"}, ""},
		{"aes128-owner.pdf", []string{"", "chủ", "128", "--use-aes=y"}, ""},
		{"aes256-objstm-owner.pdf", []string{"", "chủ", "256"}, ""},
		{"aes256-user.pdf", []string{"người dùng", "chủ", "256"}, CodeEncrypted},
		{"aes128-user.pdf", []string{"người dùng", "chủ", "128", "--use-aes=y"}, CodeEncrypted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name)
			var args []string
			if strings.Contains(tc.name, "objstm") {
				args = append(args, "--object-streams=generate")
			}
			args = append(append(append(args, "--encrypt"), tc.args...), "--", "../../testdata/206-KH-SGDDT.pdf", out)
			if b, err := exec.Command("qpdf", args...).CombinedOutput(); err != nil {
				t.Fatal(err, string(b))
			}
			info, err := g.Check(t.Context(), out)
			if tc.code == "" {
				if err != nil || info.Pages != 12 || !info.Restricted {
					t.Fatalf("%+v, %v; want 12 pages, restricted", info, err)
				}
				return
			}
			var ge *Error
			if !errors.As(err, &ge) || ge.Code != tc.code || !strings.Contains(ge.Message, "mật khẩu mở tệp") {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
	// A plain file is not restricted.
	if info, err := g.Check(t.Context(), "../../testdata/206-KH-SGDDT.pdf"); err != nil || info.Restricted {
		t.Fatalf("plain: %+v, %v", info, err)
	}
}
