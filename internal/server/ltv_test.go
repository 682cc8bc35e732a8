package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
)

// The document page and the API show the PAdES level: B-T once signed with
// a timestamp, B-LT after the job has added the validation data.
func TestLTVLevelShown(t *testing.T) {
	e := newEnv(t, envOptions{signing: true})
	roots, err := signing.LoadDevRoots(e.cfg.KeysDir)
	if err != nil {
		t.Fatal(err)
	}
	roots.AddCert(signingtest.TSARoot(t))
	e.docs.EnableSigning(documents.SigningDeps{Keys: signing.DirKeys{Dir: e.cfg.KeysDir}, Roots: roots, MaxBytes: 64 << 20,
		TSA: &signing.TSA{URL: signingtest.NewTSA(t)}})
	e.docs.SetLTVConfig(documents.LTVConfig{Delay: -1})
	clerk := e.login("vanthu.sgd")
	d := e.signAndRegister(t, clerk, e.login("giamdoc.sgd"))
	level := func() string {
		t.Helper()
		status, b, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d", d.ID), clerk, nil, "")
		var out struct {
			Level string `json:"pades_level"`
		}
		if status != 200 || json.Unmarshal(b, &out) != nil {
			t.Fatalf("document: %d %s", status, b)
		}
		return out.Level
	}
	b := newBrowser(t, e)
	b.login("vanthu.sgd")
	page := func() string {
		t.Helper()
		status, p, _ := b.get(fmt.Sprintf("/documents/%d", d.ID))
		if status != 200 {
			t.Fatalf("document page: %d", status)
		}
		return p
	}
	if l := level(); l != signing.LevelBT {
		t.Fatalf("after signing: level %q", l)
	}
	if p := page(); !strings.Contains(p, `id="doc-pades-level" data-level="B-T">PAdES B-T`) || !strings.Contains(p, "chưa bổ sung dữ liệu xác thực dài hạn") {
		t.Fatalf("the page does not show B-T:\n%s", p)
	}
	w := notify.NewWorker(e.db, "ltv", e.docs.LTVHandlers(), notify.WorkerOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for range 5 { // the person's and the seal's jobs race; the loser is retried
		if _, err := e.db.Exec(`UPDATE jobs SET run_at = now() WHERE state = 'queued'`); err != nil {
			t.Fatal(err)
		}
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if l := level(); l != signing.LevelBLT {
		t.Fatalf("after the job: level %q", l)
	}
	if p := page(); !strings.Contains(p, `data-level="B-LT">PAdES B-LT`) || !strings.Contains(p, "kèm dữ liệu xác thực dài hạn") {
		t.Fatalf("the page does not show B-LT:\n%s", p)
	}
}
