package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hcm-edu/vanban/cmd/vanban/internal/oneshot"
	"github.com/hcm-edu/vanban/database"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/signing"
)

const verifyUsage = `usage: vanban verify [--json] [--trust ROOTS.pem] [--offline] [--at YYYY-MM-DD] FILE

Checks the digital signatures of a PDF and what was changed after them.
Needs no database and no configuration; with DATABASE_URL set, it also
shows vanban's record of how each signature was made (the signer's USB
token, remote signing, or a key the server holds). Exits with status 1 unless every
signature is intact and trusted and nothing was changed after the last one.
Without --trust, only the system's root certificates are trusted. Each
signer's certificate is checked against its OCSP responder or CRL (5 s per
request) unless --offline; a revoked one makes its signature invalid.
With --offline, only the OCSP responses and CRLs the document carries (its
DSS, PAdES B-LT) count. --at verifies as of that day (00:00, Vietnam time),
e.g. years ahead: a signature then stands only if a timestamp proves it was
made while its certificate was valid (B-T and later) and, once the
certificate has expired, the document carries its revocation status (B-LT,
B-LTA).`

// verifyCmd prints the verification report of a PDF; it returns an error
// unless the document is valid.
func verifyCmd(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	trust := fs.String("trust", "", "PEM file of the trusted root certificates")
	offline := fs.Bool("offline", false, "do not ask OCSP responders or CRLs; use what the document carries")
	at := fs.String("at", "", "verify as of this day (YYYY-MM-DD) instead of now")
	// flags may come before or after the file
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return fmt.Errorf("%v\n%s", err, verifyUsage)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		return errors.New(strings.TrimSpace(verifyUsage))
	}
	var roots *x509.CertPool
	if *trust != "" {
		b, err := os.ReadFile(*trust)
		if err != nil {
			return fmt.Errorf("unable to read the trusted roots: %v", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(b) {
			return fmt.Errorf("no PEM certificate in %s", *trust)
		}
	}
	if fi, err := os.Stat(files[0]); err == nil && fi.Size() > 64<<20 {
		// oneshot turned the collector off for a small file's one
		// verification; a large one's needs it.
		oneshot.Restore()
	}
	in, err := os.ReadFile(files[0])
	if err != nil {
		return fmt.Errorf("unable to read %s: %v", files[0], err)
	}
	o := signing.VerifyOptions{Roots: roots, Offline: *offline}
	if !*offline {
		o.Revocation = &signing.RevocationChecker{}
	}
	if *at != "" {
		d, err := time.ParseInLocation("2006-01-02", *at, domain.VietnamTime)
		if err != nil {
			return fmt.Errorf("--at %q is not a date YYYY-MM-DD\n%s", *at, verifyUsage)
		}
		o.At = d
	}
	rep, err := signing.Verify(in, o)
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	records, recErr := signatureRecords(in, rep)
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			signing.Report
			Records []documents.SignatureRecord `json:"records,omitempty"`
		}{rep, records}); err != nil {
			return err
		}
	} else {
		printReport(os.Stdout, files[0], rep, records)
	}
	if recErr != nil {
		fmt.Fprintf(os.Stderr, "vanban verify: the records of how the signatures were made are not shown: %v\n", recErr)
	}
	if !rep.Valid {
		return fmt.Errorf("%s is not valid: %s", files[0], rep.VerdictEN)
	}
	return nil
}

// signatureRecords looks up vanban's records of the signatures when
// DATABASE_URL is set; nil otherwise.
func signatureRecords(in []byte, rep signing.Report) ([]documents.SignatureRecord, error) {
	url := os.Getenv("DATABASE_URL")
	if url == "" || len(rep.Signatures) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := database.Open(ctx, url, 2)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return documents.RecordsFor(ctx, db, in, rep.Signatures)
}

func printReport(w io.Writer, name string, rep signing.Report, records []documents.SignatureRecord) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(label, value string) { fmt.Fprintf(tw, "%s\t%s\n", label, value) }
	line("Tệp / File:", name)
	line("Kết luận:", rep.VerdictVI)
	line("Verdict:", rep.VerdictEN)
	if rep.Level != "" {
		line("Mức PAdES / Level:", levelText(rep.Level))
	}
	line("Trường chữ ký / Signature fields:", fmt.Sprintf("%d (kiểm tra được / verified: %d)", rep.SignatureFields, rep.SignaturesVerified))
	line("Sửa sau chữ ký cuối / Changed after the last signature:", yesNo(rep.ModifiedAfterLastSignature))
	for _, c := range rep.Appended {
		line("", changeText(c))
	}
	for i, s := range rep.Signatures {
		fmt.Fprintf(tw, "\nChữ ký %d / Signature %d\t%q\n", i+1, i+1, s.Field)
		signer := s.Signer
		if s.Organisation != "" {
			signer += " (" + s.Organisation + ")"
		}
		line("  Người ký / Signer:", signer)
		line("  Nguyên vẹn / Intact:", yesNo(s.Intact))
		line("  Tin cậy / Trusted:", yesNo(s.Trusted))
		line("  Phạm vi / Coverage:", coverageText(s.Coverage))
		line("  Định dạng / Format:", s.Format+", "+s.Kind)
		if s.SignedAt != nil {
			line("  Thời điểm ký (tự khai) / Signed at (claimed):", s.SignedAt.Format(time.RFC3339))
		}
		if ts := s.Timestamp; ts != nil {
			line("  Dấu thời gian / Timestamp:", fmt.Sprintf("%s, %s; chứng thư / certificate: %s",
				ts.Time.Format(time.RFC3339), ts.Authority, validText(ts.Intact && ts.CertificateValid)))
		} else {
			line("  Dấu thời gian / Timestamp:", "không có / none")
		}
		if s.ProvenAt != nil {
			line("  Có trước / Proven at:", s.ProvenAt.Format(time.RFC3339))
		}
		if s.CertificateSerial != "" {
			line("  Chứng thư / Certificate:", "serial "+s.CertificateSerial+", "+s.Issuer)
		}
		line("  Thu hồi / Revocation:", revocationText(s))
		if i < len(records) && !strings.HasPrefix(s.Format, "document timestamp") { // made by no one
			if r := records[i]; r.Found {
				line("  Cách ký / Made with:", documents.MethodText(r.Method))
				line("  Hồ sơ / Record:", fmt.Sprintf("%s, %s", r.Signer, r.SignedAt.In(domain.VietnamTime).Format("15:04 02/01/2006")))
			} else {
				line("  Cách ký / Made with:", "không có trong hồ sơ của hệ thống này / not in this system's records")
			}
		}
		if s.Reason != "" {
			line("  Lý do / Reason:", s.Reason)
		}
		if s.Location != "" {
			line("  Nơi ký / Location:", s.Location)
		}
		for j, c := range s.ChangesAfter {
			label := ""
			if j == 0 {
				label = "  Sau chữ ký / Written after:"
			}
			line(label, changeText(c))
		}
		for j, p := range s.Problems {
			label := ""
			if j == 0 {
				label = "  Vấn đề / Problems:"
			}
			line(label, strings.ReplaceAll(p, "\n", " "))
		}
	}
	tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "có / yes"
	}
	return "không / no"
}

func validText(b bool) string {
	if b {
		return "hợp lệ / valid"
	}
	return "không hợp lệ / not valid"
}

func coverageText(c string) string {
	switch c {
	case signing.CoverageWhole:
		return "toàn bộ tài liệu / " + c
	case signing.CoverageUpToLater:
		return "đến chữ ký sau / " + c
	case signing.CoverageUpToDSS:
		return "toàn bộ tài liệu, dữ liệu xác thực (DSS) bổ sung sau / " + c
	case signing.CoverageNotTheWhole:
		return "không phải toàn bộ: tài liệu bị sửa sau khi ký / " + c
	}
	return "không xác định / unknown"
}

func revocationText(s signing.SignatureReport) string {
	if d := s.RevocationDetail; d != nil {
		t := d.StringVI() + " / " + d.String()
		if d.Source != "" {
			t += " [" + d.Source + "]"
		}
		return t
	}
	if s.Revocation == signing.RevocationUnknown {
		return "chưa kiểm tra / unknown"
	}
	return s.Revocation
}

func changeText(c signing.Change) string {
	s := c.KindVI + " / " + c.Kind
	if c.Detail != "" {
		s += ": " + c.Detail
	}
	return "- " + s
}

// levelText says what a PAdES level keeps verifiable.
func levelText(l string) string {
	switch l {
	case signing.LevelBB:
		return l + " (chỉ chữ ký / signature only)"
	case signing.LevelBT:
		return l + " (có dấu thời gian / timestamped)"
	case signing.LevelBLT:
		return l + " (kèm dữ liệu xác thực / with validation data)"
	case signing.LevelBLTA:
		return l + " (lưu trữ dài hạn / long-term archival)"
	}
	return l
}
