package signingtest

import (
	"crypto"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// NewTSA starts an RFC 3161 timestamp server for the test and returns its
// URL. Its certificate carries the timeStamping EKU, critical, and chains to
// TSARoot, which every PKI's Roots trusts.
func NewTSA(t testing.TB) string {
	t.Helper()
	loadTSACA(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST a timestamp query", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts := timestamp.Timestamp{
			HashAlgorithm:     req.HashAlgorithm,
			HashedMessage:     req.HashedMessage,
			Time:              time.Now().UTC().Truncate(time.Second),
			Accuracy:          time.Second,
			Policy:            []int{1, 3, 6, 1, 4, 1, 99999, 1},
			Nonce:             req.Nonce,
			AddTSACertificate: req.Certificates,
		}
		resp, err := ts.CreateResponseWithOpts(tsaCA.cert, tsaCA.key, crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// HangingTSA starts a server that accepts timestamp queries and never
// answers, and returns its URL.
func HangingTSA(t testing.TB) string {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv.URL
}
