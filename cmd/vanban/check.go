package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hcm-edu/vanban/config"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
)

const checkUsage = `usage: vanban check [--online] [--quiet]

Checks what vanban keeps, after a restore or at any time: every version of
every document and every attachment has its object in the store with the
SHA-256 recorded, and every version signed through vanban (or found valid
before) still verifies against the trusted roots (TRUST_ROOTS_FILE, or the
development root in SIGNING_KEYS_DIR). Prints each fault and a summary,
and exits with status 1 on any fault. Revocation is not asked unless
--online (a restore check should not depend on the network)`

// checkOptions is how runCheck verifies signatures.
type checkOptions struct {
	Roots      *x509.CertPool
	Revocation *signing.RevocationChecker
	MaxBytes   int64 // larger signed versions are hashed but not verified
	Quiet      bool  // print faults and the summary only
}

// checkSummary counts what runCheck saw.
type checkSummary struct {
	Objects, Signed, Skipped int
	Faults                   []string
}

// checkRow is one stored object a document names.
type checkRow struct {
	DocumentID int64  `db:"document_id"`
	What       string `db:"what"`
	Key        string `db:"object_key"`
	SHA256     string `db:"sha256"`
	Size       int64  `db:"size_bytes"`
	Signed     bool   `db:"signed"`
}

func checkCmd(ctx context.Context, cfg *config.Config, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	online := fs.Bool("online", false, "ask OCSP responders and CRLs")
	quiet := fs.Bool("quiet", false, "print only faults and the summary")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errors.New(checkUsage)
	}
	db, blobs, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	sd, err := signingDeps(cfg, newLogger(cfg))
	if err != nil {
		return err
	}
	o := checkOptions{Roots: sd.Roots, MaxBytes: cfg.MaxSignBytes, Quiet: *quiet}
	if *online {
		o.Revocation = &signing.RevocationChecker{Timeout: cfg.RevocationTimeout}
	}
	sum, err := runCheck(ctx, db, blobs, o, os.Stdout)
	if err != nil {
		return err
	}
	if len(sum.Faults) > 0 {
		return fmt.Errorf("check: %d fault(s)", len(sum.Faults))
	}
	return nil
}

// runCheck walks every stored object documents name, in document order,
// and prints a line per fault (and per object unless Quiet) and a summary.
// Its error is a failure to run; faults are in the summary.
func runCheck(ctx context.Context, db *sqlx.DB, blobs storage.Blobs, o checkOptions, w io.Writer) (checkSummary, error) {
	var sum checkSummary
	rows, err := db.QueryxContext(ctx, `
		SELECT v.document_id, 'version ' || v.version_no AS what, v.object_key, v.sha256, v.size_bytes,
		       EXISTS (SELECT 1 FROM document_signatures s WHERE s.document_id = v.document_id AND s.version_no = v.version_no)
		       OR EXISTS (SELECT 1 FROM verification_reports r WHERE r.document_id = v.document_id AND r.version_no = v.version_no AND r.valid) AS signed
		FROM document_versions v
		UNION ALL
		SELECT a.document_id, 'attachment ' || a.position, a.object_key, a.sha256, a.size_bytes, false
		FROM document_attachments a
		UNION ALL
		SELECT a.document_id, 'attachment ' || a.position || ' (source)', a.source_object_key, a.source_sha256, a.source_size_bytes, false
		FROM document_attachments a WHERE a.source_object_key IS NOT NULL
		UNION ALL
		SELECT a.document_id, 'attachment ' || a.position || ' (sealed)', a.sealed_object_key, a.sealed_sha256, a.sealed_size_bytes, true
		FROM document_attachments a WHERE a.sealed_object_key IS NOT NULL
		ORDER BY 1, 2`)
	if err != nil {
		return sum, fmt.Errorf("check: unable to list the stored objects: %w", err)
	}
	var all []checkRow
	for rows.Next() {
		var r checkRow
		if err := rows.StructScan(&r); err != nil {
			rows.Close()
			return sum, fmt.Errorf("check: unable to list the stored objects: %w", err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sum, fmt.Errorf("check: unable to list the stored objects: %w", err)
	}
	for _, r := range all {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		sum.Objects++
		where := fmt.Sprintf("document %d %s (%s)", r.DocumentID, r.What, r.Key)
		problem, verdict, err := checkObject(ctx, blobs, r, o)
		if err != nil {
			return sum, err
		}
		switch {
		case problem != "":
			sum.Faults = append(sum.Faults, where+": "+problem)
			fmt.Fprintf(w, "FAULT %s: %s\n", where, problem)
		case verdict == "skipped":
			sum.Skipped++
			fmt.Fprintf(w, "note  %s: too large to verify here (MAX_SIGN_BYTES); SHA-256 ok\n", where)
		case verdict != "":
			sum.Signed++
			if !o.Quiet {
				fmt.Fprintf(w, "ok    %s: SHA-256 ok; %s\n", where, verdict)
			}
		case !o.Quiet:
			fmt.Fprintf(w, "ok    %s: SHA-256 ok\n", where)
		}
	}
	fmt.Fprintf(w, "\n%d stored objects checked, %d signed versions verified, %d not verified (too large); %d fault(s)\n",
		sum.Objects, sum.Signed, sum.Skipped, len(sum.Faults))
	return sum, nil
}

// checkObject reads one object: problem says what is wrong with it, and
// verdict is the signature verdict of a signed one ("skipped" when too
// large). err is a failure to reach the store.
func checkObject(ctx context.Context, blobs storage.Blobs, r checkRow, o checkOptions) (problem, verdict string, err error) {
	rc, err := blobs.Open(ctx, r.Key, 0, -1)
	if errors.Is(err, os.ErrNotExist) {
		return "the object is missing from the store", "", nil
	}
	if err != nil {
		if errors.Is(err, storage.ErrUnavailable) || ctx.Err() != nil {
			return "", "", fmt.Errorf("check: %w", err)
		}
		return "unable to read the object: " + err.Error(), "", nil
	}
	defer rc.Close()
	verify := r.Signed && r.Size <= o.MaxBytes
	h := sha256.New()
	var buf bytes.Buffer
	var dst io.Writer = h
	if verify {
		dst = io.MultiWriter(h, &buf)
	}
	n, err := io.Copy(dst, rc)
	if err != nil {
		if errors.Is(err, storage.ErrUnavailable) || ctx.Err() != nil {
			return "", "", fmt.Errorf("check: reading %s: %w", r.Key, err)
		}
		return "unable to read the object: " + err.Error(), "", nil
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != r.SHA256 || n != r.Size {
		return fmt.Sprintf("SHA-256 %s and %d bytes, recorded %s and %d bytes", got, n, r.SHA256, r.Size), "", nil
	}
	if !r.Signed {
		return "", "", nil
	}
	if !verify {
		return "", "skipped", nil
	}
	rep, err := signing.Verify(buf.Bytes(), signing.VerifyOptions{Roots: o.Roots, Revocation: o.Revocation, Context: ctx})
	if err != nil {
		return "signatures unreadable: " + err.Error(), "", nil
	}
	if !rep.Valid {
		return "signatures do not verify: " + rep.VerdictEN, "", nil
	}
	return "", fmt.Sprintf("%d signature(s) valid", len(rep.Signatures)), nil
}
