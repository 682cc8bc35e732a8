package server

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/remotesign"
	"github.com/hcm-edu/vanban/remotesign/csctest"
	"github.com/hcm-edu/vanban/signing"
)

// lateRemote is the remote-signing service the server is built with,
// known only once the service runs (its certificates come from the test
// server's development root).
type lateRemote struct{ remotesign.Provider }

// devIssuer issues certificates for a person's key held elsewhere from
// the test server's development root.
func (e *testEnv) devIssuer(t testing.TB, fullName string) func(pub crypto.PublicKey) []*x509.Certificate {
	return func(pub crypto.PublicKey) []*x509.Certificate {
		chain, err := signing.IssueDevCertificate(e.cfg.KeysDir, pkix.Name{CommonName: fullName, Country: []string{"VN"}},
			pub, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		return chain
	}
}

// holdCertificate records chain (leaf first) as username's, as the
// registry does, and sets how they sign.
func (e *testEnv) holdCertificate(t testing.TB, username, mode, source, account, credID string, chain []*x509.Certificate) {
	t.Helper()
	leaf := chain[0]
	sum := sha256.Sum256(leaf.Raw)
	var rest []byte
	for _, c := range chain[1:] {
		rest = append(rest, c.Raw...)
	}
	ctx := context.Background()
	if _, err := e.db.ExecContext(ctx, `
		INSERT INTO user_certificates (user_id, fingerprint, subject, common_name, issuer, serial, not_before, not_after,
		                               der, chain, source, account, credential_id)
		SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 FROM users WHERE username = $1`,
		username, hex.EncodeToString(sum[:]), leaf.Subject.String(), leaf.Subject.CommonName, leaf.Issuer.String(),
		leaf.SerialNumber.Text(16), leaf.NotBefore, leaf.NotAfter, leaf.Raw, rest, source, account, credID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.ExecContext(ctx, `UPDATE users SET signing_mode = $2 WHERE username = $1`, username, mode); err != nil {
		t.Fatal(err)
	}
}

func (e *testEnv) fullName(t testing.TB, username string) string {
	t.Helper()
	var name string
	if err := e.db.GetContext(context.Background(), &name, `SELECT full_name FROM users WHERE username = $1`, username); err != nil {
		t.Fatal(err)
	}
	return name
}

// A leader whose key is at a remote-signing service signs through the
// API with the service's OTP, one document and then a batch with one
// authorisation, against the test CSC service running as its own process
// with the keys in SoftHSM. The files verify in pdfsig, mutool and qpdf.
func TestRemoteSigningThroughCSC(t *testing.T) {
	late := &lateRemote{}
	e := newEnv(t, envOptions{signing: true, remote: late})
	name := e.fullName(t, "giamdoc.sgd")
	svc := csctest.Start(t, csctest.Options{Accounts: []csctest.Account{
		{Name: "giamdoc", CredentialID: "cred-giamdoc", Description: "Khóa ký của Giám đốc", Issue: e.devIssuer(t, name)},
		{Name: "cham", CredentialID: "cred-cham", Behaviour: csctest.Hang, Issue: e.devIssuer(t, name)},
	}})
	csc, err := remotesign.NewCSC(remotesign.CSCConfig{URL: svc.URL, ClientID: svc.ClientID, ClientSecret: svc.ClientSecret, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	late.Provider = csc
	e.holdCertificate(t, "giamdoc.sgd", "remote", "remote", "giamdoc", "cred-giamdoc", svc.Chains["cred-giamdoc"])

	clerk, director := e.login("vanthu.sgd"), e.login("giamdoc.sgd")
	var ids []int64
	var shas []string
	for range 4 {
		f := validFields()
		delete(f, "number")
		delete(f, "symbol")
		d := e.create(t, clerk, f, "Kế hoạch.pdf", fixturePDF(t))
		ids, shas = append(ids, d.ID), append(shas, d.Versions[0].SHA256)
	}
	sign := func(i int, otp string) (int, []byte) {
		return e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", ids[i]), director, map[string]any{"version_sha256": shas[i], "otp": otp})
	}
	status, b := sign(0, svc.WrongOTP("giamdoc"))
	e.refused(t, "a wrong OTP of the remote service", status, b, 422, "otp")
	status, b = sign(0, "")
	e.refused(t, "no OTP", status, b, 422, "otp")

	status, b = sign(0, svc.OTP("giamdoc"))
	if status != 200 {
		t.Fatalf("remote signing: %d %s", status, b)
	}
	var list struct {
		Items []struct {
			Method string `json:"method"`
			Kind   string `json:"kind"`
		} `json:"items"`
	}
	e.call(t, "GET", fmt.Sprintf("/api/v1/documents/%d/signatures", ids[0]), director, nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].Method != "remote" {
		t.Fatalf("signatures: %+v", list.Items)
	}
	e.checkLatestSigned(t, director, ids[0], 1)

	var batch struct {
		Signed int `json:"signed"`
		Failed int `json:"failed"`
	}
	items := []map[string]any{}
	for i := 1; i < 4; i++ {
		items = append(items, map[string]any{"id": ids[i], "version_sha256": shas[i]})
	}
	body := e.call(t, "POST", "/api/v1/documents/sign-batch", director, map[string]any{"items": items, "otp": svc.OTP("giamdoc")}, 200, &batch)
	if batch.Signed != 3 || batch.Failed != 0 {
		t.Fatalf("batch: %s", body)
	}
	for i := 1; i < 4; i++ {
		e.call(t, "GET", fmt.Sprintf("/api/v1/documents/%d/signatures", ids[i]), director, nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].Method != "remote" {
			t.Fatalf("document %d after the batch: %+v (%s)", ids[i], list.Items, body)
		}
	}

	// A service that does not answer: refused in time, nothing signed.
	if _, err := e.db.Exec(`UPDATE user_certificates SET removed_at = now()`); err != nil {
		t.Fatal(err)
	}
	e.holdCertificate(t, "giamdoc.sgd", "remote", "remote", "cham", "cred-cham", svc.Chains["cred-cham"])
	f := validFields()
	delete(f, "number")
	delete(f, "symbol")
	d := e.create(t, clerk, f, "Kế hoạch.pdf", fixturePDF(t))
	start := time.Now()
	status, b = e.postJSON(t, fmt.Sprintf("/api/v1/documents/%d/sign", d.ID), director, map[string]any{"version_sha256": d.Versions[0].SHA256, "otp": svc.OTP("cham")})
	if status != 409 || decodeError(t, b).Error.Code != "remote_unavailable" || time.Since(start) > 20*time.Second {
		t.Fatalf("a hanging service: %d %s after %s", status, b, time.Since(start))
	}
	e.call(t, "GET", fmt.Sprintf("/api/v1/documents/%d/signatures", d.ID), clerk, nil, 200, &list)
	if len(list.Items) != 0 {
		t.Fatalf("signed by a service that never answered: %+v", list.Items)
	}
}

// checkLatestSigned downloads the latest version and runs the independent
// verifiers on it.
func (e *testEnv) checkLatestSigned(t *testing.T, token string, id int64, n int) {
	t.Helper()
	_, no := e.latest(t, token, id)
	status, pdf, _ := e.request("GET", fmt.Sprintf("/api/v1/documents/%d/versions/%d/download", id, no), token, nil, "")
	if status != 200 {
		t.Fatalf("download %d: %d", id, status)
	}
	testenv.CheckSignedPDF(t, pdf, n)
}
