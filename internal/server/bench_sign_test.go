package server

import (
	"fmt"
	"testing"

	"github.com/hcm-edu/vanban/internal/testenv"
)

// BenchmarkAPISign is figure (c) of the signing issue: the whole API path of
// a signature (fetch the version from the store, sign, store the new
// version, record it and its verification report), for a 1 MiB and a
// 20 MiB PDF. Compare with BenchmarkSign in ./signing run in the same
// command: go test -run '^$' -bench 'Sign' ./signing ./api
func BenchmarkAPISign(b *testing.B) {
	e := newEnv(b, envOptions{signing: true, maxUploadBytes: 64 << 20})
	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	for _, size := range []struct {
		name  string
		bytes int
	}{{"1MiB", 1 << 20}, {"20MiB", 20 << 20}} {
		b.Run(size.name, func(b *testing.B) {
			b.SetBytes(int64(size.bytes))
			b.ReportAllocs()
			seed := uint64(0)
			for b.Loop() {
				b.StopTimer()
				seed++
				body, ct := multipartBody(b, validFields(), "a.pdf", testenv.PDF(size.bytes, seed))
				status, out, _ := e.request("POST", "/api/v1/documents", clerk, body, ct)
				if status != 201 {
					b.Fatalf("upload: %d %s", status, out)
				}
				var d docJSON
				if err := jsonUnmarshal(out, &d); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				status, out = e.postJSON(b, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": d.Versions[0].SHA256})
				if status != 200 {
					b.Fatalf("sign: %d %s", status, out)
				}
			}
		})
	}
}
