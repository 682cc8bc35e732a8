package archivepkg

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/signing/signingtest"
	"github.com/hcm-edu/vanban/storage"
)

type kv struct {
	name string
	data []byte
}

// ordered lists a package's entries in order.
func ordered(t testing.TB, pkg []byte) []kv {
	t.Helper()
	m := entries(t, pkg)
	zr, _ := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	var out []kv
	for _, f := range zr.File {
		out = append(out, kv{f.Name, m[f.Name]})
	}
	return out
}

// build writes entries as a ZIP; with fix, manifest.xml is made anew from
// the other entries.
func build(t testing.TB, es []kv, fix bool) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	var m Manifest
	m.Version = FormatVersion
	for _, e := range es {
		if e.name == ManifestEntry && fix {
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		must(t, err)
		w.Write(e.data)
		s := sha256.Sum256(e.data)
		m.Entries = append(m.Entries, Entry{Path: e.name, SHA256: hex.EncodeToString(s[:]), Size: int64(len(e.data))})
	}
	if fix {
		w, _ := zw.Create(ManifestEntry)
		out, _ := xml.Marshal(m)
		w.Write(out)
	}
	must(t, zw.Close())
	return b.Bytes()
}

func edit(es []kv, name string, fn func([]byte) []byte) []kv {
	out := make([]kv, 0, len(es))
	for _, e := range es {
		if e.name == name {
			if fn == nil {
				continue
			}
			d := fn(bytes.Clone(e.data))
			if d == nil {
				continue
			}
			e.data = d
		}
		out = append(out, e)
	}
	return out
}

func TestImportRefusesBadPackages(t *testing.T) {
	ctx := context.Background()
	pki := signingtest.NewPKI(t)
	src, fileID := source(t, pki)
	pkg := export(t, src, fileID)
	good := ordered(t, pkg)
	const pdf = "vanban/0001/Kế hoạch năm học.pdf"

	dst := newFixture(t, pki)
	dst.db.MustExec(`UPDATE users SET roles = '{clerk}' WHERE username = 'quantri'`)
	dst.db.MustExec(`INSERT INTO users (username, full_name, unit_id, roles, password_hash) VALUES ('admin', 'Quản trị', $1, '{admin}', '!')`, dst.unitID)
	opts := Options{As: "admin", Roots: pki.Roots}

	flip := func(b []byte) []byte { b[len(b)/2] ^= 1; return b }
	// A signed PDF changed inside what its signatures cover, with the
	// metadata and the manifest made to agree with it.
	var forged []kv
	{
		var old, changed []byte
		forged = edit(good, pdf, func(b []byte) []byte {
			old = bytes.Clone(b)
			i := bytes.Index(b, []byte("/Subtype /Image"))
			b[i+300] ^= 0xff
			changed = b
			return b
		})
		os, ns := sha256.Sum256(old), sha256.Sum256(changed)
		forged = edit(forged, "vanban/0001/metadata.xml", func(b []byte) []byte {
			return bytes.Replace(b, []byte(hex.EncodeToString(os[:])), []byte(hex.EncodeToString(ns[:])), 1)
		})
		forged = edit(forged, ManifestEntry, nil)
	}
	bomb := append(edit(good, ManifestEntry, nil), kv{"vanban/0001/bom.pdf", make([]byte, 64<<20)})
	manyElements := func(n int) func([]byte) []byte {
		return func(b []byte) []byte {
			return bytes.Replace(b, []byte("<Description>"), []byte("<Description>"+strings.Repeat("<x/>", n)), 1)
		}
	}

	cases := []struct {
		name string
		pkg  []byte
		opts *Options
		want string
	}{
		{"tampered PDF", build(t, edit(good, pdf, flip), false), nil, `entry "` + pdf + `": SHA-256 does not match`},
		{"wrong checksum", build(t, edit(good, ManifestEntry, func(b []byte) []byte {
			i := bytes.Index(b, []byte(`SHA256="`)) + len(`SHA256="`)
			b[i] = "01"[b[i]&1] // another hex digit
			return b
		}), false), nil, `entry "hoso.xml": SHA-256 does not match the manifest`},
		{"missing entry", build(t, edit(good, "vanban/0002/Công văn 45.pdf", func([]byte) []byte { return nil }), false), nil,
			`entry "vanban/0002/Công văn 45.pdf" is in the manifest but missing`},
		{"extra entry", build(t, append(good, kv{"vanban/0001/ghi-chu.txt", []byte("x")}), false), nil, `"vanban/0001/ghi-chu.txt" is not in the manifest`},
		{"extra entry in the manifest", build(t, append(edit(good, ManifestEntry, nil), kv{"vanban/0001/ghi-chu.txt", []byte("x")}), true), nil,
			`"vanban/0001/ghi-chu.txt" belongs to no document`},
		{"DOCTYPE", build(t, edit(edit(good, FileEntry, func(b []byte) []byte {
			return bytes.Replace(b, []byte("?>\n"), []byte("?>\n<!DOCTYPE HoSo [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>\n"), 1)
		}), ManifestEntry, nil), true), nil, "hoso.xml: a DOCTYPE"},
		{"entity", build(t, edit(edit(good, FileEntry, func(b []byte) []byte {
			return bytes.Replace(b, []byte("<Title>"), []byte("<Title>&b;"), 1)
		}), ManifestEntry, nil), true), nil, "hoso.xml: not well-formed"},
		{"external entity", build(t, edit(edit(good, "vanban/0002/metadata.xml", func(b []byte) []byte {
			return bytes.Replace(b, []byte("?>\n"), []byte("?>\n<!DOCTYPE VanBan SYSTEM \"file:///etc/passwd\">\n"), 1)
		}), ManifestEntry, nil), true), nil, "vanban/0002/metadata.xml: a DOCTYPE"},
		{"10,001 elements", build(t, edit(edit(good, "vanban/0003/metadata.xml", manyElements(MaxElementsPerFile)), ManifestEntry, nil), true), nil,
			"vanban/0003/metadata.xml: more than 10000 XML elements"},
		{"10^6 elements", manyFiles(t, pkg), nil, "more than 1000000 XML elements"},
		{"too many entries", pkg, &Options{As: "admin", Roots: pki.Roots, MaxEntries: 5}, "more than 5"},
		{"zip bomb", build(t, bomb, true), nil, `entry "vanban/0001/bom.pdf": compressed`},
		{"parent path", build(t, append(good, kv{"../../etc/cron.d/x", []byte("x")}), true), nil, `entry "../../etc/cron.d/x": a path with`},
		{"inner parent path", build(t, append(good, kv{"vanban/0001/../../x", []byte("x")}), true), nil, `a path with an empty, . or .. element`},
		{"absolute path", build(t, append(good, kv{"/etc/passwd", []byte("x")}), true), nil, `entry "/etc/passwd": an absolute path`},
		{"duplicate entry", build(t, append(good, kv{FileEntry, good[0].data}), false), nil, `entry "hoso.xml" appears twice`},
		{"forged signature", build(t, forged, true), nil, pdf + ": the signatures do not verify"},
		{"untrusted signer", pkg, &Options{As: "admin"}, ": the signatures do not verify"},
		{"not a ZIP", []byte("%PDF-1.7 not a zip"), nil, "not a ZIP package"},
		{"not an administrator", pkg, &Options{As: "quantri", Roots: pki.Roots}, "not an administrator"},
		{"no such user", pkg, &Options{As: "nobody", Roots: pki.Roots}, "no active user"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := opts
			if c.opts != nil {
				o = *c.opts
			}
			_, err := Import(ctx, dst.db, dst.store, bytes.NewReader(c.pkg), int64(len(c.pkg)), o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Import = %v, want an error with %q", err, c.want)
			}
			t.Log(err)
			var docs, files, units, objects int
			must(t, dst.db.Get(&docs, `SELECT count(*) FROM documents`))
			must(t, dst.db.Get(&files, `SELECT count(*) FROM files`))
			must(t, dst.db.Get(&units, `SELECT count(*) FROM units`))
			objects = countObjects(t, dst)
			if docs+files+objects > 0 || units != 2 {
				t.Errorf("after the refusal: %d documents, %d files, %d units, %d objects", docs, files, units, objects)
			}
		})
	}
	if _, err := Verify(ctx, bytes.NewReader(pkg), int64(len(pkg)), opts); err != nil {
		t.Errorf("Verify of the good package: %v", err)
	}
}

// manyFiles is a package of 101 documents whose metadata.xml hold 9,999
// elements each: each under the limit of a file, more than 10^6 together.
func manyFiles(t testing.TB, pkg []byte) []byte {
	t.Helper()
	var items strings.Builder
	var es []kv
	for i := 1; i <= 101; i++ {
		dir := fmt.Sprintf("vanban/%04d/", i)
		fmt.Fprintf(&items, `<Item DocOrdinal="%d" Path="%s" AddedAt="2026-03-02T08:00:00+07:00"/>`, i, dir)
		es = append(es, kv{dir + metadataName, []byte(`<VanBan xmlns="` + Namespace + `" version="1">` + strings.Repeat("<x/>", 9998) + `</VanBan>`)})
	}
	h := entries(t, pkg)[FileEntry]
	h = bytes.Replace(h, []byte("<DocTotal>3</DocTotal>"), []byte("<DocTotal>101</DocTotal>"), 1)
	i, j := bytes.Index(h, []byte("<Items>")), bytes.Index(h, []byte("</Items>"))
	h = append(append(bytes.Clone(h[:i+7]), items.String()...), h[j:]...)
	return build(t, append([]kv{{FileEntry, h}}, es...), true)
}

func countObjects(t testing.TB, f *fixture) int {
	n := 0
	must(t, f.store.List(context.Background(), "", func(storage.Info) error { n++; return nil }))
	return n
}
